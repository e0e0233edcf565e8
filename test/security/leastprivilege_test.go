package security

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/internal/ecisim"
	"github.com/eci-commit-operator/eci-commit-operator/internal/testenv"
)

// TestNamespacedInstallWorksWithItsOwnRBACOnly installs the chart's RBAC
// for watchNamespaces={team-a} for real and runs the manager binary as its
// service account, authenticated as that account and nothing more. A
// commit in team-a must succeed, one in team-b must be left alone, and the
// manager must never be refused by the API server: the chart's rules are
// enough, and they are all it has.
func TestNamespacedInstallWorksWithItsOwnRBACOnly(t *testing.T) {
	const ops, region, group = "ops", "cn-hangzhou", "eci-scoped0001"
	helm, err := testenv.Helm()
	if err != nil {
		t.Fatal(err)
	}
	env, cfg, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	work := t.TempDir()
	admin, err := testenv.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, ns := range []string{ops, "team-a", "team-b"} {
		if err := admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	rendered, err := exec.Command(helm, "template", "eci", filepath.Join(testenv.RepoRoot(), "charts", "eci-commit-operator"),
		"--namespace", ops, "--set", "watchNamespaces={team-a}", "--set", "serviceAccount.name=eci-operator").Output()
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(rendered), 4096)
	applied := 0
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			break
		}
		switch u.GetKind() {
		case "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding":
			if err := admin.Create(ctx, u); err != nil {
				t.Fatalf("installing %s %s: %v", u.GetKind(), u.GetName(), err)
			}
			applied++
		}
	}

	user, err := env.AddUser(envtest.User{Name: "system:serviceaccount:" + ops + ":eci-operator", Groups: []string{"system:serviceaccounts", "system:authenticated"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfigData, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(work, "kubeconfig")
	if err := os.WriteFile(kubeconfig, kubeconfigData, 0o600); err != nil {
		t.Fatal(err)
	}

	sim := ecisim.New(ecisim.Options{PhaseDuration: 200 * time.Millisecond})
	sim.AddCredential(ecisim.Credential{AccessKeyID: "LTAI-scoped", AccessKeySecret: "scoped-secret"})
	sim.AddContainerGroup(ecisim.ContainerGroup{ID: group, Region: region, Status: "Running", Containers: []string{"app"}})
	srv := httptest.NewServer(sim)
	defer srv.Close()

	mgr := startManager(t, work, append(os.Environ(), "ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI-scoped", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=scoped-secret"),
		"--kubeconfig", kubeconfig, "--eci-endpoint", srv.URL, "--eci-insecure-http",
		"--watch-namespace", "team-a", "--leader-elect", "--leader-election-namespace", ops,
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0", "--tracking-min-interval", "200ms")

	newCommit := func(ns string) *eciv1.ContainerCommit {
		return &eciv1.ContainerCommit{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "scoped"},
			Spec: eciv1.ContainerCommitSpec{RegionID: region, ContainerGroupID: group, ContainerName: "app",
				Image: eciv1.ImageSpec{Repository: "registry-vpc.cn-hangzhou.aliyuncs.com/scoped/app", Tag: ns}},
		}
	}
	inScope, outOfScope := newCommit("team-a"), newCommit("team-b")
	for _, o := range []*eciv1.ContainerCommit{inScope, outOfScope} {
		if err := admin.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	waitForPhase(t, admin, mgr, inScope, eciv1.PhaseSucceeded)
	time.Sleep(time.Second)
	if err := admin.Get(ctx, client.ObjectKeyFromObject(outOfScope), outOfScope); err != nil {
		t.Fatal(err)
	}
	if outOfScope.Status.Phase != "" || len(sim.Tasks()) != 1 {
		t.Errorf("team-b was acted on: status %+v, %d tasks", outOfScope.Status, len(sim.Tasks()))
	}

	// The service account itself cannot read team-b's Secrets or any
	// ContainerCommits outside its namespaces.
	restricted, err := testenv.NewClient(user.Config())
	if err != nil {
		t.Fatal(err)
	}
	if err := restricted.Get(ctx, client.ObjectKey{Namespace: "team-b", Name: "any"}, &corev1.Secret{}); !apierrors.IsForbidden(err) {
		t.Errorf("reading a Secret of team-b: %v, want forbidden", err)
	}
	if err := restricted.List(ctx, &eciv1.ContainerCommitList{}); !apierrors.IsForbidden(err) {
		t.Errorf("listing ContainerCommits cluster-wide: %v, want forbidden", err)
	}
	logs := mgr.logs(t)
	if n := strings.Count(strings.ToLower(logs), "forbidden"); n > 0 {
		t.Errorf("the manager was refused %d times:\n%s", n, tail(logs))
	}
	fmt.Printf("least privilege: %d RBAC objects from the chart, manager as system:serviceaccount:%s:eci-operator, team-a committed, team-b untouched, 0 refusals\n", applied, ops)
}
