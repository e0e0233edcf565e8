package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/internal/eci"
	"github.com/eci-commit-operator/eci-commit-operator/internal/tracker"
)

// reconcileTask mirrors the shared tracker's latest view of the object's
// task into its status. The tracker wakes the object when the view changes,
// so nothing here polls.
func (r *ContainerCommitReconciler) reconcileTask(ctx context.Context, obj *eciv1.ContainerCommit) (ctrl.Result, error) {
	key := tracker.Key{Region: obj.Status.RegionID, TaskID: obj.Status.TaskID}
	via, problem, err := r.cloudFor(ctx, obj)
	if err != nil {
		return ctrl.Result{}, err
	}
	if problem != "" {
		// The task runs on; a tracked one keeps the credentials it had.
		markInProgress(obj, eciv1.PhaseRunning, eciv1.ReasonCredentialsNotFound, problem)
		return ctrl.Result{RequeueAfter: credentialsWait}, nil
	}
	obs, ok := r.tracker.Track(key, client.ObjectKeyFromObject(obj), via)
	switch {
	case !ok:
		if obj.Status.Phase != eciv1.PhaseRunning {
			markInProgress(obj, eciv1.PhaseRunning, eciv1.ReasonTaskRunning, "Waiting for the first report on task "+obj.Status.TaskID)
		}
		return ctrl.Result{}, nil
	case obs.Err != nil:
		// The task runs in the cloud whatever our calls' fate; keep tracking.
		recordCloudError(obj, obs.Err)
		markInProgress(obj, eciv1.PhaseRunning, reasonFor(obs.Err.Kind, eciv1.ReasonCloudUnavailable),
			"Reading task state failed, retrying: "+describeError(obs.Err))
		return ctrl.Result{}, nil
	case obs.Missing:
		r.tracker.Forget(key)
		msg := fmt.Sprintf("The cloud does not know task %s", obj.Status.TaskID)
		markFailed(obj, metav1.NewTime(r.now()), eciv1.ReasonTaskNotFound, msg)
		r.event(obj, corev1.EventTypeWarning, "Failed", "Track", msg)
		return ctrl.Result{}, nil
	}

	task := obs.Task
	mirrorTask(obj, task)
	switch task.Status {
	case eci.TaskSucceeded:
		r.tracker.Forget(key)
		msg := fmt.Sprintf("Image %s pushed", imageReference(obj.Spec.Image))
		markSucceeded(obj, completionTime(task, r.now()), msg)
		r.event(obj, corev1.EventTypeNormal, "Succeeded", "Track", msg)
		logf.FromContext(ctx).Info("Commit succeeded", "image", obj.Status.Image)
	case eci.TaskFailed:
		r.tracker.Forget(key)
		msg := "Commit task failed: " + task.Message
		markFailed(obj, completionTime(task, r.now()), eciv1.ReasonTaskFailed, msg)
		r.event(obj, corev1.EventTypeWarning, "Failed", "Track", msg)
		logf.FromContext(ctx).Info("Commit failed", "message", task.Message)
	default:
		msg := fmt.Sprintf("Task %s running", task.TaskID)
		if task.Progress != "" {
			msg += ", " + task.Progress
		}
		if task.Message != "" {
			msg += ": " + task.Message
		}
		obj.Status.LastError = nil
		markInProgress(obj, eciv1.PhaseRunning, eciv1.ReasonTaskRunning, msg)
	}
	return ctrl.Result{}, nil
}

// mirrorTask copies the cloud's report of a task into status.
func mirrorTask(obj *eciv1.ContainerCommit, task eci.Task) {
	obj.Status.Progress = task.Progress
	obj.Status.Message = task.Message
	if !task.CreationTime.IsZero() {
		t := metav1.NewTime(task.CreationTime)
		obj.Status.StartTime = &t
	}
	phases := make([]eciv1.CommitPhaseInfo, 0, len(task.Phases))
	for _, p := range task.Phases {
		info := eciv1.CommitPhaseInfo{Phase: p.Phase, Status: p.Status, Message: p.Message}
		if !p.RecordTime.IsZero() {
			t := metav1.NewTime(p.RecordTime)
			info.RecordTime = &t
		}
		phases = append(phases, info)
	}
	obj.Status.CommitPhases = phases
}

func completionTime(task eci.Task, now time.Time) metav1.Time {
	if !task.FinishedTime.IsZero() {
		return metav1.NewTime(task.FinishedTime)
	}
	return metav1.NewTime(now)
}
