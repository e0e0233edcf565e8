package controllers

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
)

func TestTrimForCacheKeepsWhatSkippingNeeds(t *testing.T) {
	ttl := int32(60)
	done := metav1.Now()
	full := func(phase eciv1.Phase) *eciv1.ContainerCommit {
		return &eciv1.ContainerCommit{
			ObjectMeta: metav1.ObjectMeta{
				Name: "c", Namespace: "n", ResourceVersion: "7",
				Labels:        map[string]string{"team": "a"},
				Annotations:   map[string]string{eciv1.RetryRequestedAnnotation: "1", "note": "big"},
				ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
			},
			Spec: eciv1.ContainerCommitSpec{ContainerGroupID: "eci-1", ContainerName: "app", TTLSecondsAfterFinished: &ttl},
			Status: eciv1.ContainerCommitStatus{
				Phase: phase, TaskID: "t-1", RegionID: "cn-hangzhou", LastHandledRequestedAt: "0", CompletionTime: &done,
				Message: "long", CommitPhases: []eciv1.CommitPhaseInfo{{Phase: "PullBaseImage"}},
			},
		}
	}

	out, err := TrimForCache(full(eciv1.PhaseRunning))
	running := out.(*eciv1.ContainerCommit)
	if err != nil || running.ManagedFields != nil || running.Spec.ContainerGroupID != "eci-1" || running.Status.Message != "long" {
		t.Fatalf("a running object lost more than managed fields: %+v", running)
	}

	out, _ = TrimForCache(full(eciv1.PhaseSucceeded))
	finished := out.(*eciv1.ContainerCommit)
	want := eciv1.ContainerCommitStatus{Phase: eciv1.PhaseSucceeded, TaskID: "t-1", RegionID: "cn-hangzhou", LastHandledRequestedAt: "0"}
	if finished.Status.Phase != want.Phase || finished.Status.TaskID != want.TaskID || finished.Status.RegionID != want.RegionID ||
		finished.Status.LastHandledRequestedAt != want.LastHandledRequestedAt || finished.Status.Message != "" || finished.Status.CommitPhases != nil {
		t.Errorf("finished status: %+v", finished.Status)
	}
	if finished.Spec.TTLSecondsAfterFinished == nil || finished.Status.CompletionTime == nil {
		t.Errorf("TTL bookkeeping lost: %+v %+v", finished.Spec, finished.Status)
	}
	if finished.Spec.ContainerGroupID != "" || finished.Labels != nil || len(finished.Annotations) != 1 || finished.ResourceVersion != "7" || finished.Name != "c" {
		t.Errorf("finished metadata/spec: %+v", finished.ObjectMeta)
	}
	if !retryRequested(finished) {
		t.Error("the retry request did not survive trimming")
	}

	if out, _ := TrimForCache("not a ContainerCommit"); out != "not a ContainerCommit" {
		t.Error("other objects must pass through")
	}
}
