package controllers

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
)

// retryRequested reports whether the object carries a retry request it has
// not handled yet.
func retryRequested(obj *eciv1.ContainerCommit) bool {
	v := obj.Annotations[eciv1.RetryRequestedAnnotation]
	return v != "" && v != obj.Status.LastHandledRequestedAt
}

// handleRetry starts a new attempt of a Failed commit: the failed attempt
// moves to status.history and the new one starts from Pending. Succeeded
// commits are final; a request on one is acknowledged and ignored.
func (r *ContainerCommitReconciler) handleRetry(ctx context.Context, obj *eciv1.ContainerCommit) {
	requestedAt := obj.Annotations[eciv1.RetryRequestedAnnotation]
	if obj.Status.Phase != eciv1.PhaseFailed {
		obj.Status.LastHandledRequestedAt = requestedAt
		r.event(obj, corev1.EventTypeNormal, "RetryIgnored", "Retry", "Only a Failed ContainerCommit can be re-run; this one "+string(obj.Status.Phase))
		return
	}

	s := obj.Status
	record := eciv1.AttemptRecord{
		Attempt: s.Attempt, Phase: s.Phase, TaskID: s.TaskID, RequestID: s.RequestID, LastError: s.LastError,
		SubmissionTime: s.SubmissionTime, CompletionTime: s.CompletionTime,
	}
	if ready := meta.FindStatusCondition(s.Conditions, eciv1.ConditionReady); ready != nil {
		record.Reason, record.Message = ready.Reason, ready.Message
	}
	history := append(s.History, record)
	if len(history) > eciv1.MaxAttemptHistory {
		history = history[len(history)-eciv1.MaxAttemptHistory:]
	}
	now := metav1.NewTime(r.now())
	obj.Status = eciv1.ContainerCommitStatus{
		ObservedGeneration:     s.ObservedGeneration,
		Attempt:                s.Attempt + 1,
		AttemptStartTime:       &now,
		LastHandledRequestedAt: requestedAt,
		History:                history,
	}
	msg := fmt.Sprintf("Attempt %d requested; attempt %d ended %s", obj.Status.Attempt, s.Attempt, s.Phase)
	markInProgress(obj, eciv1.PhasePending, eciv1.ReasonRetryRequested, msg)
	r.event(obj, corev1.EventTypeNormal, eciv1.ReasonRetryRequested, "Retry", msg)
	logf.FromContext(ctx).Info("New attempt requested", "attempt", obj.Status.Attempt, "requestedAt", requestedAt)
}
