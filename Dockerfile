# syntax=docker/dockerfile:1
# The ejops image: one static binary on distroless, running as a non-root user. The build is
# reproducible: the same source and Go version give the same binary (-trimpath, no build ID, no
# VCS stamp; the version comes from the VERSION argument).
#
#   docker build --build-arg VERSION=v1.2.3 -t ejops:v1.2.3 .
#   docker run --rm ejops:v1.2.3 version

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags="-s -w -buildid= -X main.version=${VERSION}" \
      -o /out/ejops ./cmd/ejops

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ejops /ejops
USER 65532:65532
# apply --watch --listen :9090 serves /healthz, /readyz and /metrics here.
EXPOSE 9090
ENTRYPOINT ["/ejops"]
CMD ["help"]
