// Package install checks that the Helm chart and the kustomize install
// render, lint, carry a hardened pod, ship the same CRD and permissions as
// config/, and are accepted by a real API server.
package install

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/eci-commit-operator/eci-commit-operator/internal/testenv"
)

var (
	k8s       client.Client
	helm      string
	kustomize string
	chart     = filepath.Join(testenv.RepoRoot(), "charts", "eci-commit-operator")
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if helm, err = testenv.Helm(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if kustomize, err = testenv.Kustomize(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env, cfg, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	if k8s, err = testenv.NewClient(cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// valueSets are the chart configurations under test.
var valueSets = map[string][]string{
	"defaults": nil,
	"no CRDs":  {"--set", "crds.enabled=false"},
	"everything changed": {
		"--set", "replicaCount=2",
		"--set", "crds.keep=false",
		"--set", "leaderElection.enabled=false",
		"--set", "serviceAccount.name=custom-sa",
		"--set", "serviceAccount.annotations.pod-identity\\.alibabacloud\\.com/role-name=eci-committer",
		"--set", "cloud.network=public",
		"--set", "cloud.endpoint=https://eci.example.internal",
		"--set", "cloud.defaultRegion=cn-beijing",
		"--set", "cloud.qps=5",
		"--set", "cloud.credentials.existingSecret=aliyun-ak",
		"--set", "logLevel=debug",
		"--set", "metrics.serviceMonitor.enabled=true",
		"--set", "extraArgs[0]=--max-concurrent-reconciles=8",
		"--set", "image.repository=registry.example/eci-commit-operator",
		"--set", "image.tag=v9.9.9",
	},
	"metrics off": {"--set", "metrics.enabled=false"},
	"namespaced":  {"--set", "watchNamespaces={team-a,team-b}"},
}

func TestHelmLint(t *testing.T) {
	for name, args := range valueSets {
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command(helm, append([]string{"lint", "--strict", chart}, args...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("helm lint: %v\n%s", err, out)
			}
		})
	}
}

func TestHelmChartRendersHardenedAndIsAccepted(t *testing.T) {
	for name, args := range valueSets {
		t.Run(name, func(t *testing.T) {
			ns := "chart-" + strings.ToLower(strings.ReplaceAll(name, " ", "-"))
			out, err := exec.Command(helm, append([]string{"template", "eci", chart, "--namespace", ns}, args...)...).Output()
			if err != nil {
				t.Fatalf("helm template: %v", err)
			}
			objs := decode(t, out)
			byKind := map[string][]*unstructured.Unstructured{}
			for _, o := range objs {
				byKind[o.GetKind()] = append(byKind[o.GetKind()], o)
			}
			crds := byKind["CustomResourceDefinition"]
			switch name {
			case "no CRDs":
				if len(crds) != 0 {
					t.Error("crds.enabled=false still renders the CRD")
				}
			case "everything changed":
				if len(crds) != 1 || crds[0].GetAnnotations()["helm.sh/resource-policy"] != "" {
					t.Error("crds.keep=false still keeps the CRD")
				}
				if len(byKind["ServiceMonitor"]) != 1 || len(byKind["Role"]) != 0 {
					t.Errorf("kinds: %v", kinds(byKind))
				}
				args := containerArgs(t, byKind["Deployment"][0])
				for _, want := range []string{"--leader-elect=false", "--eci-network=public", "--eci-endpoint=https://eci.example.internal",
					"--default-region=cn-beijing", "--cloud-qps=5", "--zap-log-level=debug", "--max-concurrent-reconciles=8"} {
					if !strings.Contains(args, want) {
						t.Errorf("args lack %s: %s", want, args)
					}
				}
			case "namespaced":
				if len(byKind["ClusterRole"]) != 0 || len(byKind["Role"]) != 3 || len(byKind["RoleBinding"]) != 3 ||
					!strings.Contains(containerArgs(t, byKind["Deployment"][0]), "--watch-namespace=team-a,team-b") {
					t.Errorf("namespaced install: kinds %v, args %s", kinds(byKind), containerArgs(t, byKind["Deployment"][0]))
				}
				for _, ns := range []string{"team-a", "team-b"} {
					if err := k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !strings.Contains(err.Error(), "already exists") {
						t.Fatal(err)
					}
				}
			case "metrics off":
				if len(byKind["Service"]) != 0 || !strings.Contains(containerArgs(t, byKind["Deployment"][0]), "--metrics-bind-address=0") {
					t.Error("metrics.enabled=false still serves metrics")
				}
			default:
				if len(crds) != 1 || crds[0].GetAnnotations()["helm.sh/resource-policy"] != "keep" {
					t.Error("the CRD is not installed and kept by default")
				}
				sameCRDAsConfig(t, crds[0])
			}
			for _, d := range byKind["Deployment"] {
				checkHardened(t, d)
			}
			applyDryRun(t, ns, objs)
		})
	}
}

func TestKustomizeDefaultRendersHardenedAndIsAccepted(t *testing.T) {
	out, err := exec.Command(kustomize, "build", filepath.Join(testenv.RepoRoot(), "config", "default")).Output()
	if err != nil {
		t.Fatalf("kustomize build: %v", err)
	}
	objs := decode(t, out)
	var deployments int
	for _, o := range objs {
		if o.GetKind() == "Deployment" {
			deployments++
			checkHardened(t, o)
		}
		if o.GetKind() == "CustomResourceDefinition" {
			sameCRDAsConfig(t, o)
		}
	}
	if deployments != 1 {
		t.Fatalf("%d Deployments, want 1", deployments)
	}
	applyDryRun(t, "eci-commit-operator-system", objs)
}

func decode(t *testing.T, data []byte) []*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			break
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
	if len(objs) == 0 {
		t.Fatal("nothing rendered")
	}
	return objs
}

func kinds(m map[string][]*unstructured.Unstructured) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s=%d", k, len(v)))
	}
	return out
}

func containerArgs(t *testing.T, d *unstructured.Unstructured) string {
	t.Helper()
	containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	args, _, _ := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
	return strings.Join(args, " ")
}

// checkHardened asserts the restricted pod security profile.
func checkHardened(t *testing.T, d *unstructured.Unstructured) {
	t.Helper()
	var spec corev1.PodTemplateSpec
	raw, _, _ := unstructured.NestedMap(d.Object, "spec", "template")
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &spec); err != nil {
		t.Fatal(err)
	}
	psc := spec.Spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod security context %+v", d.GetName(), psc)
	}
	for _, c := range spec.Spec.Containers {
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil ||
			*sc.AllowPrivilegeEscalation || sc.Capabilities == nil || !reflect.DeepEqual(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
			t.Errorf("%s/%s: container security context %+v", d.GetName(), c.Name, sc)
		}
		if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s/%s: no memory request or limit", d.GetName(), c.Name)
		}
	}
}

// sameCRDAsConfig asserts that an installed CRD matches config/crd/bases.
func sameCRDAsConfig(t *testing.T, u *unstructured.Unstructured) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "crd", "bases", "eci.containercommit.dev_containercommits.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var want, got apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(want.Spec, got.Spec) {
		t.Error("the installed CRD's spec differs from config/crd/bases")
	}
}

// applyDryRun sends every object to the API server with server-side apply
// and dry-run, after creating the namespace for real. Kinds the test API
// server does not serve (ServiceMonitor) are skipped.
func applyDryRun(t *testing.T, ns string, objs []*unstructured.Unstructured) {
	t.Helper()
	ctx := context.Background()
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.GetKind() == "ServiceMonitor" {
			continue
		}
		err := k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("install-test"), client.ForceOwnership, client.DryRunAll)
		if meta.IsNoMatchError(err) {
			t.Errorf("%s %s: kind not served: %v", o.GetKind(), o.GetName(), err)
			continue
		}
		if err != nil {
			t.Errorf("%s %s rejected: %v", o.GetKind(), o.GetName(), err)
		}
	}
}
