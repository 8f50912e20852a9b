package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// installScript is the install step of the GitHub Actions.
const installScript = "../../.github/actions/install.sh"

// fakeRelease serves releases the way GitHub does (download/TAG/FILE, and latest redirecting to
// tag/TAG), from files the test writes, and records the paths asked for.
type fakeRelease struct {
	root string
	mu   sync.Mutex
	got  []string
}

func (f *fakeRelease) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.got = append(f.got, r.URL.Path)
	f.mu.Unlock()
	if r.URL.Path == "/latest" {
		http.Redirect(w, r, "/tag/v1.2.3", http.StatusFound)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/tag/") {
		fmt.Fprintln(w, "release page")
		return
	}
	http.FileServer(http.Dir(f.root)).ServeHTTP(w, r)
}

func (f *fakeRelease) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got...)
}

// fakeBinary is an ejops that knows only its version, as `ejops version` prints it.
func fakeBinary(tag string) []byte {
	return []byte(fmt.Sprintf("#!/bin/sh\necho 'ejops %s'\necho 'commit 0123abc'\n", tag))
}

func tarGz(t *testing.T, name string, data []byte) []byte {
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	for _, f := range []struct {
		name string
		data []byte
	}{{"README.md", []byte("# ejops\n")}, {name, data}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o755, Size: int64(len(f.data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zipped(t *testing.T, name string, data []byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeRelease writes a snapshot release of tag, named as .goreleaser.yaml names it, with the
// archives and checksums.txt; tamper changes an archive after its checksum was taken.
func writeRelease(t *testing.T, root, tag string, tamper string) {
	dir := filepath.Join(root, "download", tag)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var sums strings.Builder
	for _, p := range []string{"linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64", "windows_amd64", "windows_arm64"} {
		name := fmt.Sprintf("ejops_%s_%s.tar.gz", strings.TrimPrefix(tag, "v"), p)
		data := tarGz(t, "ejops", fakeBinary(tag))
		if strings.HasPrefix(p, "windows") {
			name = strings.TrimSuffix(name, ".tar.gz") + ".zip"
			data = zipped(t, "ejops.exe", fakeBinary(tag))
		}
		fmt.Fprintf(&sums, "%x  %s\n", sha256.Sum256(data), name)
		if p == tamper {
			data = append(data, 0)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "checksums.txt"), []byte(sums.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// needTools skips the test on a machine without what the install step runs.
func needTools(t *testing.T, tools ...string) {
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the install step needs %s, which this machine lacks", tool)
		}
	}
}

// runInstall runs the install script with args against the release server at url.
func runInstall(t *testing.T, url string, env []string, args ...string) (string, error) {
	cmd := exec.Command("bash", append([]string{installScript}, args...)...)
	cmd.Env = append(os.Environ(), "EJOPS_RELEASES="+url, "EJOPS_OS=linux", "EJOPS_ARCH=amd64", "RUNNER_TEMP="+t.TempDir())
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestInstallScript(t *testing.T) {
	needTools(t, "bash", "curl", "tar", "unzip")
	rel := &fakeRelease{root: t.TempDir()}
	writeRelease(t, rel.root, "v1.2.3", "")
	writeRelease(t, rel.root, "v6.6.6", "linux_amd64")
	srv := httptest.NewServer(rel)
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "bin")

	out, err := runInstall(t, srv.URL, nil, "install", "v1.2.3", dir)
	if err != nil || !strings.Contains(out, "installed ejops v1.2.3 (linux/amd64) in "+dir) {
		t.Fatalf("install: %v\n%s", err, out)
	}
	if v, err := exec.Command(filepath.Join(dir, "ejops"), "version").Output(); err != nil || !strings.HasPrefix(string(v), "ejops v1.2.3\n") {
		t.Fatalf("the installed ejops: %v %q", err, v)
	}
	want := []string{"/download/v1.2.3/checksums.txt", "/download/v1.2.3/ejops_1.2.3_linux_amd64.tar.gz"}
	if got := rel.requests(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("requests %q, want %q", got, want)
	}

	// A restored cache: the binary is there, nothing is downloaded.
	out, err = runInstall(t, srv.URL, nil, "install", "1.2.3", dir)
	if err != nil || !strings.Contains(out, "ejops v1.2.3 is already in") || len(rel.requests()) != 2 {
		t.Errorf("second install: %v, %d requests\n%s", err, len(rel.requests()), out)
	}

	// A tampered archive is refused, and the binary already there stays.
	out, err = runInstall(t, srv.URL, nil, "install", "v6.6.6", dir)
	if err == nil || !strings.Contains(out, "ejops_6.6.6_linux_amd64.tar.gz does not match checksums.txt of v6.6.6") ||
		!strings.Contains(out, "refusing to install it") {
		t.Fatalf("a wrong checksum: %v\n%s", err, out)
	}
	if v, _ := exec.Command(filepath.Join(dir, "ejops"), "version").Output(); !strings.HasPrefix(string(v), "ejops v1.2.3\n") {
		t.Errorf("a refused archive replaced the binary: %q", v)
	}
	// Another platform of the same release is fine.
	other := t.TempDir()
	if out, err := runInstall(t, srv.URL, []string{"EJOPS_ARCH=arm64", "EJOPS_OS=windows"}, "install", "v6.6.6", other); err != nil {
		t.Fatalf("windows/arm64: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(other, "ejops.exe")); err != nil {
		t.Errorf("windows/arm64: %v", err)
	}
}

func TestInstallScriptRefuses(t *testing.T) {
	needTools(t, "bash", "curl", "tar")
	rel := &fakeRelease{root: t.TempDir()}
	writeRelease(t, rel.root, "v1.2.3", "")
	// A release whose checksums leave out this platform.
	writeRelease(t, rel.root, "v2.0.0", "")
	sums := filepath.Join(rel.root, "download", "v2.0.0", "checksums.txt")
	data, _ := os.ReadFile(sums)
	var kept []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if !strings.HasSuffix(l, "linux_amd64.tar.gz") {
			kept = append(kept, l)
		}
	}
	if err := os.WriteFile(sums, []byte(strings.Join(kept, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rel)
	defer srv.Close()
	tests := map[string]struct {
		args []string
		env  []string
		want string
	}{
		"a platform without a checksum": {args: []string{"install", "v2.0.0"}, want: "checksums.txt of v2.0.0 has no entry for ejops_2.0.0_linux_amd64.tar.gz"},
		"a version never released":      {args: []string{"install", "v9.9.9"}, want: "cannot download " + srv.URL + "/download/v9.9.9/checksums.txt"},
		"a version that is no tag":      {args: []string{"install", "v1; rm -rf /"}, want: `version "v1; rm -rf /" is not a release tag`},
		"an unknown architecture":       {args: []string{"install", "v1.2.3"}, env: []string{"EJOPS_ARCH=", "RUNNER_ARCH=ARM"}, want: "no ejops release for the architecture ARM"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			out, err := runInstall(t, srv.URL, tc.env, append(tc.args, dir)...)
			if err == nil || !strings.Contains(out, tc.want) {
				t.Fatalf("%v\n%s\nwant %q", err, out, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("installed %v", entries)
			}
		})
	}
}

func TestInstallScriptOutputs(t *testing.T) {
	needTools(t, "bash", "curl")
	rel := &fakeRelease{root: t.TempDir()}
	srv := httptest.NewServer(rel)
	defer srv.Close()
	tests := map[string]struct {
		version, ref, want string
	}{
		"a tag":                  {version: "v1.4.0", want: "version=v1.4.0\ntag=v1.4.0\ndir=TMP/ejops/v1.4.0\n"},
		"a version without v":    {version: "1.4.0", want: "version=v1.4.0\ntag=v1.4.0\ndir=TMP/ejops/v1.4.0\n"},
		"latest":                 {version: "latest", want: "version=v1.2.3\ntag=v1.2.3\ndir=TMP/ejops/v1.2.3\n"},
		"the action's tag":       {ref: "v1.3.0", want: "version=v1.3.0\ntag=v1.3.0\ndir=TMP/ejops/v1.3.0\n"},
		"the action at a branch": {ref: "main", want: "version=v1.2.3\ntag=v1.2.3\ndir=TMP/ejops/v1.2.3\n"},
		"a checkout":             {version: "./", want: "version=./\ntag=source\ndir=TMP/ejops/source\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tmp := t.TempDir()
			out, err := runInstall(t, srv.URL, []string{"EJOPS_ACTION_REF=" + tc.ref, "RUNNER_TEMP=" + tmp}, "outputs", tc.version)
			if err != nil || out != strings.ReplaceAll(tc.want, "TMP", tmp) {
				t.Fatalf("%v\n%s\nwant\n%s", err, out, tc.want)
			}
		})
	}
}

// TestInstallScriptBuildsACheckout builds a tiny module laid out like this repository, as the
// repository's own workflows build ejops with version ./.
func TestInstallScriptBuildsACheckout(t *testing.T) {
	needTools(t, "bash", "go")
	src := t.TempDir()
	for name, text := range map[string]string{
		"go.mod":            "module example.com/fake\n\ngo 1.22\n",
		"cmd/ejops/main.go": "package main\n\nfunc main() { println(\"ejops from source\") }\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(src, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "bin")
	out, err := runInstall(t, "http://127.0.0.1:1", nil, "install", src, dir)
	if err != nil || !strings.Contains(out, "built ejops from "+src) {
		t.Fatalf("%v\n%s", err, out)
	}
	if got, err := exec.Command(filepath.Join(dir, "ejops")).CombinedOutput(); err != nil || string(got) != "ejops from source\n" {
		t.Errorf("the built ejops: %v %q", err, got)
	}
}

// TestReleaseArchiveNames keeps the names GoReleaser gives the archives and the names the install
// step downloads the same.
func TestReleaseArchiveNames(t *testing.T) {
	cfg, err := os.ReadFile("../../.goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile(installScript)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`name_template: "ejops_{{ .Version }}_{{ .Os }}_{{ .Arch }}"`, "name_template: checksums.txt",
		"goos: [linux, darwin, windows]", "goarch: [amd64, arm64]", "-X main.version=v{{ .Version }}",
	} {
		if !bytes.Contains(cfg, []byte(want)) {
			t.Errorf(".goreleaser.yaml does not hold %s", want)
		}
	}
	if !bytes.Contains(script, []byte(`archive="ejops_${tag#v}_${os}_${arch}.$ext"`)) || !bytes.Contains(script, []byte(`/checksums.txt"`)) {
		t.Error("install.sh does not download the archive names of .goreleaser.yaml")
	}
}
