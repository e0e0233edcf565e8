package controllers

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/internal/eci"
)

// statusPatch writes an object's status as a merge patch against the last
// state written, guarded by the resourceVersion so that a write based on a
// stale read fails instead of overwriting a newer status.
type statusPatch struct {
	client client.Client
	before *eciv1.ContainerCommit
}

func newStatusPatch(c client.Client, obj *eciv1.ContainerCommit) *statusPatch {
	return &statusPatch{client: c, before: obj.DeepCopy()}
}

func (p *statusPatch) apply(ctx context.Context, obj *eciv1.ContainerCommit) error {
	if equality.Semantic.DeepEqual(p.before.Status, obj.Status) {
		return nil
	}
	obj.Status.ObservedGeneration = obj.Generation
	err := p.client.Status().Patch(ctx, obj, client.MergeFromWithOptions(p.before, client.MergeFromWithOptimisticLock{}))
	if err == nil {
		// Counted here, once the transition is stored, so that a write
		// that failed and is retried is not counted twice.
		recordTransition(&p.before.Status, &obj.Status)
		p.before = obj.DeepCopy()
	}
	return err
}

// setCondition sets a condition stamped with the object's generation.
func setCondition(obj *eciv1.ContainerCommit, condType string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&obj.Status.Conditions, metav1.Condition{
		Type: condType, Status: status, Reason: reason, Message: message, ObservedGeneration: obj.Generation,
	})
}

// markInProgress records a non-final state: Ready is False and Reconciling
// True, which kstatus reads as InProgress.
func markInProgress(obj *eciv1.ContainerCommit, phase eciv1.Phase, reason, message string) {
	obj.Status.Phase = phase
	setCondition(obj, eciv1.ConditionReady, metav1.ConditionFalse, reason, message)
	setCondition(obj, eciv1.ConditionReconciling, metav1.ConditionTrue, reason, message)
	meta.RemoveStatusCondition(&obj.Status.Conditions, eciv1.ConditionStalled)
	if obj.Status.TaskID == "" {
		setCondition(obj, eciv1.ConditionSubmitted, metav1.ConditionFalse, reason, message)
	}
}

// markSucceeded records the final success.
func markSucceeded(obj *eciv1.ContainerCommit, now metav1.Time, message string) {
	obj.Status.Phase = eciv1.PhaseSucceeded
	obj.Status.CompletionTime = &now
	obj.Status.Image = imageReference(obj.Spec.Image)
	setCondition(obj, eciv1.ConditionReady, metav1.ConditionTrue, eciv1.ReasonSucceeded, message)
	meta.RemoveStatusCondition(&obj.Status.Conditions, eciv1.ConditionReconciling)
	meta.RemoveStatusCondition(&obj.Status.Conditions, eciv1.ConditionStalled)
}

// markFailed records the final failure: Stalled is True, which kstatus
// reads as Failed.
func markFailed(obj *eciv1.ContainerCommit, now metav1.Time, reason, message string) {
	obj.Status.Phase = eciv1.PhaseFailed
	obj.Status.CompletionTime = &now
	setCondition(obj, eciv1.ConditionReady, metav1.ConditionFalse, reason, message)
	setCondition(obj, eciv1.ConditionStalled, metav1.ConditionTrue, reason, message)
	meta.RemoveStatusCondition(&obj.Status.Conditions, eciv1.ConditionReconciling)
	if obj.Status.TaskID == "" {
		setCondition(obj, eciv1.ConditionSubmitted, metav1.ConditionFalse, reason, message)
	}
}

// recordCloudError keeps the cloud's answer verbatim in status.
func recordCloudError(obj *eciv1.ContainerCommit, e *eci.Error) {
	obj.Status.LastError = &eciv1.CloudError{Code: e.Code, Message: e.Message, RequestID: e.RequestID}
}

// reasonFor maps an error kind to a condition reason.
func reasonFor(k eci.Kind, terminal string) string {
	switch k {
	case eci.KindThrottled:
		return eciv1.ReasonThrottled
	case eci.KindAuth:
		return eciv1.ReasonAuthenticationFailed
	case eci.KindRejected:
		return terminal
	}
	return eciv1.ReasonCloudUnavailable
}

func imageReference(img eciv1.ImageSpec) string {
	if img.Tag == "" {
		return img.Repository
	}
	return img.Repository + ":" + img.Tag
}

func describeError(e *eci.Error) string {
	if e.RequestID == "" {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s (request ID %s)", e.Code, e.Message, e.RequestID)
}
