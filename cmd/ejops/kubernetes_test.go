package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/ejops/ejops/runner/watch"
	"github.com/ejops/ejops/spec"
)

// k8sObject is the part of a Kubernetes manifest the checks read.
type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		// Selector is matchLabels in a Deployment or ServiceMonitor, the labels in a Service.
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
			Name        string            `yaml:"app.kubernetes.io/name"`
		} `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"metadata"`
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
		Ports []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
		Endpoints []struct {
			Port string `yaml:"port"`
			Path string `yaml:"path"`
		} `yaml:"endpoints"`
	} `yaml:"spec"`
}

type podSpec struct {
	ServiceAccountName string      `yaml:"serviceAccountName"`
	Containers         []container `yaml:"containers"`
	Volumes            []struct {
		Name string `yaml:"name"`
	} `yaml:"volumes"`
}

type container struct {
	Name  string   `yaml:"name"`
	Args  []string `yaml:"args"`
	Env   []struct{ Name, Value string }
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	StartupProbe   *probe `yaml:"startupProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	VolumeMounts   []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
	SecurityContext struct {
		ReadOnlyRootFilesystem bool `yaml:"readOnlyRootFilesystem"`
	} `yaml:"securityContext"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

// readManifests decodes every Kubernetes document of the example's top-level YAML files.
func readManifests(t *testing.T, dir string) map[string]k8sObject {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	objs := map[string]k8sObject{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var o k8sObject
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			objs[o.Kind] = o
		}
	}
	return objs
}

// mountOf returns the mount of c that holds file, by the longest mount path.
func (c container) mountOf(file string) (name, at string) {
	for _, m := range c.VolumeMounts {
		if strings.HasPrefix(file, m.MountPath+"/") && len(m.MountPath) > len(at) {
			name, at = m.Name, m.MountPath
		}
	}
	return name, at
}

// TestKubernetesExample checks the example's wiring offline: the ejops container's arguments are
// accepted by apply --watch, the probes and the scrape configuration point at the paths and the
// port it serves, and the specs path is where git-sync publishes its link. kubeconform checks the
// manifests against the Kubernetes schemas in CI.
func TestKubernetesExample(t *testing.T) {
	objs := readManifests(t, "../../examples/kubernetes")
	dep := objs["Deployment"]
	pod := dep.Spec.Template.Spec
	const app = "app.kubernetes.io/name"
	if name := dep.Spec.Template.Metadata.Labels[app]; name == "" || dep.Spec.Selector.MatchLabels[app] != name {
		t.Errorf("selector %v does not match the pod labels %v", dep.Spec.Selector.MatchLabels, dep.Spec.Template.Metadata.Labels)
	}
	byName := map[string]container{}
	for _, c := range pod.Containers {
		byName[c.Name] = c
		if !c.SecurityContext.ReadOnlyRootFilesystem {
			t.Errorf("container %s: root file system not read-only", c.Name)
		}
	}
	ej, gs := byName["ejops"], byName["git-sync"]
	if len(ej.Args) == 0 || len(gs.Args) == 0 {
		t.Fatalf("containers ejops and git-sync expected, got %v", pod.Containers)
	}
	if pod.ServiceAccountName != objs["ServiceAccount"].Metadata.Name {
		t.Errorf("service account %q is not the one declared (%q)", pod.ServiceAccountName, objs["ServiceAccount"].Metadata.Name)
	}

	// The arguments are the binary's: parsed by apply's own flags, with the container's environment.
	envs := map[string]string{}
	for _, v := range ej.Env {
		envs[v.Name] = v.Value
	}
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &bytes.Buffer{}, getenv: func(k string) string { return envs[k] }}
	if ej.Args[0] != "apply" {
		t.Fatalf("ejops runs %q, want apply", ej.Args[0])
	}
	a, code := parseApplyArgs(e, ej.Args[1:])
	if code >= 0 {
		t.Fatalf("apply %v: exit %d: %s", ej.Args[1:], code, e.stderr)
	}
	if !a.watch.on || a.watch.listen == "" || len(a.paths) != 1 {
		t.Fatalf("want apply --watch --listen ADDR PATH, got %v", ej.Args)
	}
	_, port, _ := strings.Cut(a.watch.listen, ":")

	// Probes and scraping reach what --listen serves.
	portName := ""
	for _, p := range ej.Ports {
		if fmt.Sprint(p.ContainerPort) == port {
			portName = p.Name
		}
	}
	if portName == "" {
		t.Fatalf("no container port for --listen %s: %+v", a.watch.listen, ej.Ports)
	}
	for name, p := range map[string]*probe{"startup": ej.StartupProbe, "liveness": ej.LivenessProbe, "readiness": ej.ReadinessProbe} {
		want := watch.HealthPath
		if name == "readiness" {
			want = watch.ReadyPath
		}
		if p == nil || p.HTTPGet.Path != want || p.HTTPGet.Port != portName {
			t.Errorf("%s probe %+v, want GET %s on port %s", name, p, want, portName)
		}
	}
	ann := dep.Spec.Template.Metadata.Annotations
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != port || ann["prometheus.io/path"] != watch.MetricsPath {
		t.Errorf("scrape annotations %v, want port %s and path %s", ann, port, watch.MetricsPath)
	}
	svc := objs["Service"]
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort != portName || svc.Spec.Selector.Name != dep.Spec.Template.Metadata.Labels[app] {
		t.Fatalf("service %+v, want the pods' port %s", svc.Spec, portName)
	}
	sm := objs["ServiceMonitor"]
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != svc.Spec.Ports[0].Name || sm.Spec.Endpoints[0].Path != watch.MetricsPath {
		t.Errorf("service monitor endpoints %+v, want port %s and path %s", sm.Spec.Endpoints, svc.Spec.Ports[0].Name, watch.MetricsPath)
	}
	if sm.Spec.Selector.MatchLabels[app] != svc.Metadata.Labels[app] {
		t.Errorf("service monitor selects %v, the service is labelled %v", sm.Spec.Selector.MatchLabels, svc.Metadata.Labels)
	}
	if objs["PrometheusRule"].Kind == "" {
		t.Error("no PrometheusRule")
	}

	checkKubernetesVolumes(t, pod, ej, gs, a)
}

// checkKubernetesVolumes checks that the specs path is below git-sync's link, in the volume both
// containers mount, and that the credentials' secret files and the suspend file are in mounted
// volumes.
func checkKubernetesVolumes(t *testing.T, pod podSpec, ej, gs container, a applyArgs) {
	t.Helper()
	flags := map[string]string{}
	for _, arg := range gs.Args {
		k, v, _ := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		flags[k] = v
	}
	link := path.Join(flags["root"], flags["link"])
	if !strings.HasPrefix(a.paths[0], link+"/") {
		t.Errorf("ejops applies %s, outside git-sync's link %s", a.paths[0], link)
	}
	ejVol, _ := ej.mountOf(a.paths[0])
	gsVol, _ := gs.mountOf(link)
	if ejVol == "" || ejVol != gsVol {
		t.Errorf("the specs are in volume %q for ejops and %q for git-sync", ejVol, gsVol)
	}
	if v, _ := ej.mountOf(a.watch.suspendFile); v == "" {
		t.Errorf("the suspend file %s is in no mounted volume", a.watch.suspendFile)
	}
	set, _ := spec.Load("../../examples/kubernetes/jobs")
	if len(set.Credentials) == 0 {
		t.Fatal("the example's specs declare no credential")
	}
	for _, c := range set.Credentials {
		if v, _ := ej.mountOf(c.SecretFrom.File); v == "" {
			t.Errorf("credential %s reads its secret from %q, in no mounted volume", c.Name, c.SecretFrom.File)
		}
	}
	declared := map[string]bool{}
	for _, v := range pod.Volumes {
		declared[v.Name] = true
	}
	for _, c := range pod.Containers {
		for _, m := range c.VolumeMounts {
			if !declared[m.Name] {
				t.Errorf("container %s mounts undeclared volume %s", c.Name, m.Name)
			}
		}
	}
}
