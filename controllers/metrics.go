package controllers

import (
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/internal/metrics"
)

// recordTransition updates the commit metrics for a stored status change.
func recordTransition(before, after *eciv1.ContainerCommitStatus) {
	if before.TaskID == "" && after.TaskID != "" {
		metrics.CommitsStarted.Inc()
	}
	if before.Phase.IsFinished() || !after.Phase.IsFinished() {
		return
	}
	result := strings.ToLower(string(after.Phase))
	reason := ""
	if ready := meta.FindStatusCondition(after.Conditions, eciv1.ConditionReady); ready != nil {
		reason = ready.Reason
	}
	metrics.CommitsFinished.WithLabelValues(result, reason).Inc()
	if after.SubmissionTime != nil && after.CompletionTime != nil {
		metrics.CommitDuration.WithLabelValues(result).Observe(after.CompletionTime.Sub(after.SubmissionTime.Time).Seconds())
	}
}

// TrackedTasks returns how many running tasks the controller follows.
func (r *ContainerCommitReconciler) TrackedTasks() int {
	if r.tracker == nil {
		return 0
	}
	return r.tracker.Len()
}
