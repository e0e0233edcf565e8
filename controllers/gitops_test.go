package controllers_test

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/internal/ecisim"
	"github.com/eci-commit-operator/eci-commit-operator/internal/testenv"
)

// GitOps tools read real objects: kstatus (Flux, kpt) and the shipped Argo
// CD health check must agree on each phase.
func TestGitOpsToolsReadEachPhase(t *testing.T) {
	slow := newTarget(t, func(g *ecisim.ContainerGroup) { g.PhaseDuration = time.Hour })
	running := slow.commit("gitops-running")
	create(t, running)
	waitFor(t, running, "a task", func(o *eciv1.ContainerCommit) bool {
		return o.Status.TaskID != "" && o.Status.Phase == eciv1.PhaseRunning
	})

	ok := newTarget(t)
	succeeded := ok.commit("gitops-succeeded")
	create(t, succeeded)

	stopped := newTarget(t, func(g *ecisim.ContainerGroup) { g.Status = "Stopped" })
	failed := stopped.commit("gitops-failed")
	create(t, failed)

	cases := []struct {
		obj     *eciv1.ContainerCommit
		kstatus status.Status
		argo    string
	}{
		{waitForPhase(t, running, eciv1.PhaseRunning, time.Second), status.InProgressStatus, "Progressing"},
		{waitForPhase(t, succeeded, eciv1.PhaseSucceeded, 20*time.Second), status.CurrentStatus, "Healthy"},
		{waitForPhase(t, failed, eciv1.PhaseFailed, 20*time.Second), status.FailedStatus, "Degraded"},
	}
	for _, tc := range cases {
		raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(tc.obj)
		if err != nil {
			t.Fatal(err)
		}
		res, err := status.Compute(&unstructured.Unstructured{Object: raw})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != tc.kstatus {
			t.Errorf("%s: kstatus %s (%s), want %s", tc.obj.Name, res.Status, res.Message, tc.kstatus)
		}
		health, msg, err := testenv.ArgoCDHealth(raw)
		if err != nil {
			t.Fatal(err)
		}
		if health != tc.argo || msg == "" {
			t.Errorf("%s: Argo CD health %s %q, want %s with a message", tc.obj.Name, health, msg, tc.argo)
		}
	}
}
