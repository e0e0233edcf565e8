package controllers

import (
	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
)

// TrimForCache is the manager's cache transform for ContainerCommits. It
// drops managed fields from every object, and from finished ones (which
// never change again and dominate a long-lived cluster) everything but what
// deciding to skip or expire them reads: phase, task, completion time, TTL
// and the retry bookkeeping. Code
// that acts on a finished object reads it live first.
func TrimForCache(in any) (any, error) {
	obj, ok := in.(*eciv1.ContainerCommit)
	if !ok {
		return in, nil
	}
	obj.ManagedFields = nil
	if !obj.Status.Phase.IsFinished() {
		return obj, nil
	}
	var annotations map[string]string
	if v, ok := obj.Annotations[eciv1.RetryRequestedAnnotation]; ok {
		annotations = map[string]string{eciv1.RetryRequestedAnnotation: v}
	}
	obj.Annotations = annotations
	obj.Labels = nil
	obj.Spec = eciv1.ContainerCommitSpec{TTLSecondsAfterFinished: obj.Spec.TTLSecondsAfterFinished}
	obj.Status = eciv1.ContainerCommitStatus{
		Phase:                  obj.Status.Phase,
		CompletionTime:         obj.Status.CompletionTime,
		RegionID:               obj.Status.RegionID,
		TaskID:                 obj.Status.TaskID,
		LastHandledRequestedAt: obj.Status.LastHandledRequestedAt,
	}
	return obj, nil
}
