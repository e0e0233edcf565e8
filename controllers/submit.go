package controllers

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/internal/eci"
	"github.com/eci-commit-operator/eci-commit-operator/internal/tracker"
)

// reconcileSubmission creates the object's cloud task, exactly once.
//
// CommitContainer has no idempotency token, so the controller first records
// its intent (status.submissionTime) and only then calls. An intent found
// without a task ID means an earlier call may have created a task whose
// answer was lost: that task is looked up and adopted before any new call.
func (r *ContainerCommitReconciler) reconcileSubmission(ctx context.Context, obj *eciv1.ContainerCommit, patch *statusPatch) (ctrl.Result, error) {
	live := &eciv1.ContainerCommit{}
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(obj), live); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if live.ResourceVersion != obj.ResourceVersion {
		// The cache is behind; the watch brings the newer version shortly.
		return ctrl.Result{}, nil
	}

	region := obj.Spec.RegionID
	if region == "" {
		region = r.DefaultRegion
	}
	if region == "" {
		markFailed(obj, metav1.NewTime(r.now()), eciv1.ReasonRegionUnknown,
			"spec.regionId is empty and the controller has no --default-region")
		r.event(obj, corev1.EventTypeWarning, eciv1.ReasonRegionUnknown, "Submit", "spec.regionId is empty and the controller has no --default-region")
		return ctrl.Result{}, nil
	}

	if obj.Status.SubmissionTime != nil {
		if adopted, wait := r.adopt(ctx, obj); adopted || wait > 0 {
			return ctrl.Result{RequeueAfter: wait}, nil
		}
	}

	obj.Status.RegionID = region
	obj.Status.ContainerGroupID = obj.Spec.ContainerGroupID
	submitted := metav1.NewTime(r.now())
	obj.Status.SubmissionTime = &submitted
	markInProgress(obj, eciv1.PhaseSubmitting, eciv1.ReasonSubmitting, "Calling CommitContainer")
	if err := patch.apply(ctx, obj); err != nil {
		// Nothing was called: whoever changed the object first wins.
		return ctrl.Result{}, err
	}

	res, err := r.Cloud.CommitContainer(ctx, commitRequest(obj, region))
	if err != nil {
		return r.submissionFailed(ctx, obj, eci.AsError(err)), nil
	}
	r.backoff.reset(obj.UID)
	r.taskCreated(ctx, obj, res.TaskID, res.RequestID, eciv1.ReasonTaskCreated,
		fmt.Sprintf("Commit task %s created (request ID %s)", res.TaskID, res.RequestID))
	return ctrl.Result{}, r.persistTaskID(ctx, obj, patch)
}

// persistTaskID writes the new task ID at once, retrying on conflicts, so
// that it is not left to the deferred patch alone.
func (r *ContainerCommitReconciler) persistTaskID(ctx context.Context, obj *eciv1.ContainerCommit, patch *statusPatch) error {
	var err error
	for range 3 {
		if err = patch.apply(ctx, obj); err == nil {
			return nil
		}
		logf.FromContext(ctx).Error(err, "Recording the task ID failed; retrying")
		live := &eciv1.ContainerCommit{}
		if getErr := r.APIReader.Get(ctx, client.ObjectKeyFromObject(obj), live); getErr != nil {
			continue
		}
		if live.Status.TaskID != "" {
			return nil
		}
		status := obj.Status
		patch.before = live.DeepCopy()
		live.Status = status
		*obj = *live
	}
	// The next reconcile finds the intent without a task ID and adopts the
	// task from the cloud.
	return err
}

// taskCreated records a task that now belongs to the object.
func (r *ContainerCommitReconciler) taskCreated(ctx context.Context, obj *eciv1.ContainerCommit, taskID, requestID, reason, message string) {
	obj.Status.TaskID = taskID
	obj.Status.RequestID = requestID
	obj.Status.LastError = nil
	setCondition(obj, eciv1.ConditionSubmitted, metav1.ConditionTrue, reason, message)
	markInProgress(obj, eciv1.PhaseRunning, eciv1.ReasonTaskRunning, message)
	r.event(obj, corev1.EventTypeNormal, "Submitted", "Submit", message)
	logf.FromContext(ctx).Info("Commit task recorded", "taskId", taskID, "requestId", requestID, "region", obj.Status.RegionID, "reason", reason)
	r.tracker.Track(tracker.Key{Region: obj.Status.RegionID, TaskID: taskID}, client.ObjectKeyFromObject(obj))
}

// submissionFailed decides what a failed CommitContainer call means.
func (r *ContainerCommitReconciler) submissionFailed(ctx context.Context, obj *eciv1.ContainerCommit, e *eci.Error) ctrl.Result {
	log := logf.FromContext(ctx)
	recordCloudError(obj, e)
	reason := reasonFor(e.Kind, eciv1.ReasonCommitRejected)
	msg := "CommitContainer failed: " + describeError(e)
	answered := e.HTTPStatus != 0
	switch {
	case !e.Kind.Retryable():
		// The cloud refused the request itself: no task exists, and the same
		// request would be refused again.
		markFailed(obj, metav1.NewTime(r.now()), reason, msg)
		r.event(obj, corev1.EventTypeWarning, "Failed", "Submit", msg)
		log.Info("Commit rejected", "code", e.Code, "requestId", e.RequestID)
		return ctrl.Result{}
	case answered:
		// Throttled or a server error: the cloud answered, so this call made
		// no task, and a new call is safe after a pause.
		obj.Status.SubmissionTime = nil
		wait := r.backoff.next(obj.UID, e.Kind)
		markInProgress(obj, eciv1.PhasePending, reason, fmt.Sprintf("%s; retrying in %s", msg, wait.Round(time.Second)))
		r.event(obj, corev1.EventTypeWarning, reason, "Submit", msg)
		log.Info("Commit not accepted; retrying", "code", e.Code, "requestId", e.RequestID, "after", wait)
		return ctrl.Result{RequeueAfter: wait}
	default:
		// No answer: the call may have created a task. Keep the intent so
		// that the next attempt looks for that task before calling again.
		wait := r.backoff.next(obj.UID, e.Kind)
		markInProgress(obj, eciv1.PhaseSubmitting, reason,
			fmt.Sprintf("%s; the task may exist, checking before any new call in %s", msg, wait.Round(time.Second)))
		r.event(obj, corev1.EventTypeWarning, reason, "Submit", msg)
		log.Info("No answer to CommitContainer; will look for its task", "code", e.Code, "after", wait)
		return ctrl.Result{RequeueAfter: wait}
	}
}

// adopt looks for a task that an earlier, unanswered call created. It
// returns adopted when it found one, or a wait when the cloud may not show
// it yet. When neither, the intent is cleared and a new call is safe.
func (r *ContainerCommitReconciler) adopt(ctx context.Context, obj *eciv1.ContainerCommit) (adopted bool, wait time.Duration) {
	since := obj.Status.SubmissionTime.Add(-r.ClockSkew)
	task, err := r.findUnclaimedTask(ctx, obj, since)
	if err != nil {
		e := eci.AsError(err)
		recordCloudError(obj, e)
		wait := r.backoff.next(obj.UID, e.Kind)
		markInProgress(obj, eciv1.PhaseSubmitting, reasonFor(e.Kind, eciv1.ReasonCloudUnavailable),
			"Looking for the task of an unanswered CommitContainer call failed: "+describeError(e))
		return false, wait
	}
	if task != nil {
		r.taskCreated(ctx, obj, task.TaskID, "", "TaskAdopted",
			fmt.Sprintf("Commit task %s adopted: created by an earlier call whose answer was lost", task.TaskID))
		return true, 0
	}
	if waited := r.now().Sub(obj.Status.SubmissionTime.Time); waited < r.AdoptionGrace {
		markInProgress(obj, eciv1.PhaseSubmitting, eciv1.ReasonSubmitting,
			"Waiting for the cloud to show the task of an unanswered CommitContainer call")
		return false, min(r.AdoptionGrace-waited, 5*time.Second)
	}
	logf.FromContext(ctx).Info("No task found for the unanswered call; submitting again", "since", since)
	obj.Status.SubmissionTime = nil
	return false, 0
}

// findUnclaimedTask returns the oldest task of the object's container
// created at or after since that no other ContainerCommit holds.
func (r *ContainerCommitReconciler) findUnclaimedTask(ctx context.Context, obj *eciv1.ContainerCommit, since time.Time) (*eci.Task, error) {
	var found []eci.Task
	req := eci.DescribeRequest{RegionID: obj.Status.RegionID, ContainerGroupID: obj.Spec.ContainerGroupID, MaxResults: eci.MaxDescribeResults}
	for {
		page, err := r.Cloud.DescribeCommitContainerTasks(ctx, req)
		if err != nil {
			return nil, err
		}
		for _, t := range page.Tasks {
			if t.ContainerName == obj.Spec.ContainerName && !t.CreationTime.Before(since) {
				found = append(found, t)
			}
		}
		if page.NextToken == "" || len(page.Tasks) == 0 {
			break
		}
		req.NextToken = page.NextToken
	}
	slices.SortFunc(found, func(a, b eci.Task) int { return a.CreationTime.Compare(b.CreationTime) })
	for i := range found {
		claimed, err := r.claimedByOther(ctx, obj.UID, found[i].TaskID)
		if err != nil {
			return nil, err
		}
		if !claimed {
			return &found[i], nil
		}
	}
	return nil, nil
}

func (r *ContainerCommitReconciler) claimedByOther(ctx context.Context, self types.UID, taskID string) (bool, error) {
	var holders eciv1.ContainerCommitList
	if err := r.List(ctx, &holders, client.MatchingFields{taskIDIndex: taskID}); err != nil {
		return false, err
	}
	for _, h := range holders.Items {
		if h.UID != self {
			return true, nil
		}
	}
	return false, nil
}

func commitRequest(obj *eciv1.ContainerCommit, region string) eci.CommitRequest {
	s := obj.Spec
	req := eci.CommitRequest{
		RegionID:         region,
		ContainerGroupID: s.ContainerGroupID,
		ContainerName:    s.ContainerName,
		Image:            eci.Image{Repository: s.Image.Repository, Tag: s.Image.Tag, Message: s.Image.Message, Author: s.Image.Author},
	}
	if a := s.AcrRegistryInfo; a != nil {
		req.AcrRegistry = &eci.AcrRegistry{InstanceID: a.InstanceID, RegionID: a.RegionID, ArnService: a.ArnService, ArnUser: a.ArnUser}
	}
	if a := s.Arn; a != nil {
		req.Role = &eci.Role{RoleArn: a.RoleArn, RoleType: string(a.RoleType)}
	}
	return req
}

func (r *ContainerCommitReconciler) event(obj *eciv1.ContainerCommit, eventType, reason, action, message string) {
	if r.Recorder != nil {
		r.Recorder.Eventf(obj, nil, eventType, reason, action, "%s", message)
	}
}
