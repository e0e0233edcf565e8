// Package gitops checks the shipped Argo CD health check against its own
// samples, in the layout Argo CD's resource_customizations tests use.
package gitops

import (
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"

	"github.com/eci-commit-operator/eci-commit-operator/internal/testenv"
)

type healthTests struct {
	Tests []struct {
		HealthStatus struct {
			Status  string `json:"status"`
			Message string `json:"message"`
		} `json:"healthStatus"`
		InputPath string `json:"inputPath"`
	} `json:"tests"`
}

// The kstatus reading each sample must give, so that Flux and kpt agree
// with Argo CD.
var kstatusOf = map[string]status.Status{
	"Progressing": status.InProgressStatus,
	"Healthy":     status.CurrentStatus,
	"Degraded":    status.FailedStatus,
}

func TestArgoCDHealthSamples(t *testing.T) {
	dir := filepath.Dir(testenv.ArgoCDHealthScript)
	data, err := os.ReadFile(filepath.Join(dir, "health_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var suite healthTests
	if err := yaml.UnmarshalStrict(data, &suite); err != nil {
		t.Fatal(err)
	}
	if len(suite.Tests) < 4 {
		t.Fatalf("%d samples, want one per phase family", len(suite.Tests))
	}
	for _, tc := range suite.Tests {
		t.Run(tc.InputPath, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, tc.InputPath))
			if err != nil {
				t.Fatal(err)
			}
			js, err := utilyaml.ToJSON(raw)
			if err != nil {
				t.Fatal(err)
			}
			u := &unstructured.Unstructured{}
			if err := u.UnmarshalJSON(js); err != nil {
				t.Fatal(err)
			}
			obj := u.Object
			got, msg, err := testenv.ArgoCDHealth(obj)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.HealthStatus.Status || msg != tc.HealthStatus.Message {
				t.Errorf("health %s %q, want %s %q", got, msg, tc.HealthStatus.Status, tc.HealthStatus.Message)
			}
			// A sample without status is new: kstatus reads it as InProgress
			// only once it has an observedGeneration to compare; skip those.
			if _, hasStatus := obj["status"]; !hasStatus {
				return
			}
			res, err := status.Compute(&unstructured.Unstructured{Object: obj})
			if err != nil {
				t.Fatal(err)
			}
			if want := kstatusOf[tc.HealthStatus.Status]; res.Status != want {
				t.Errorf("kstatus %s (%s), want %s", res.Status, res.Message, want)
			}
		})
	}
}

func TestObservedGenerationLagIsProgressing(t *testing.T) {
	obj := map[string]any{
		"metadata": map[string]any{"generation": int64(2)},
		"status":   map[string]any{"observedGeneration": int64(1), "phase": "Succeeded"},
	}
	if got, _, err := testenv.ArgoCDHealth(obj); err != nil || got != "Progressing" {
		t.Fatalf("health %s (%v), want Progressing while the controller lags", got, err)
	}
}
