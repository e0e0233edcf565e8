package controllers

import (
	"context"
	"fmt"
	"slices"
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

// reconcileSubmission creates the object's cloud task, exactly once.
//
// CommitContainer has no idempotency token, so:
//   - the controller records its intent (status.submissionTime) before it
//     calls, and the task ID right after;
//   - an intent found without a task ID means an earlier call may have
//     created a task whose answer was lost: that task is looked up in the
//     cloud and adopted, and only when the cloud shows none after the
//     adoption grace is the call made again;
//   - submissions to one container are serialized (one open intent per
//     container), so that a task found by adoption can only be this
//     object's;
//   - the intent is written with the resourceVersion the decision was made
//     on, so a decision taken on a stale cache fails to write and makes no
//     call; other objects' claims and intents are read live.
func (r *ContainerCommitReconciler) reconcileSubmission(ctx context.Context, obj *eciv1.ContainerCommit, patch *statusPatch) (ctrl.Result, error) {
	if obj.Status.AttemptStartTime == nil {
		start := obj.CreationTimestamp
		obj.Status.AttemptStartTime = &start
	}

	var target targetKey
	if obj.Status.SubmissionTime != nil {
		// An earlier call may have made a task: its target is the recorded one.
		target = targetKey{region: obj.Status.RegionID, group: obj.Status.ContainerGroupID, container: obj.Spec.ContainerName}
	} else {
		res, err := r.resolveTarget(ctx, obj)
		switch {
		case err != nil:
			return ctrl.Result{}, err
		case res.failReason != "":
			markFailed(obj, metav1.NewTime(r.now()), res.failReason, res.message)
			r.event(obj, corev1.EventTypeWarning, res.failReason, "Submit", res.message)
			return ctrl.Result{}, nil
		case res.waitReason != "":
			markInProgress(obj, eciv1.PhasePending, res.waitReason, res.message)
			return ctrl.Result{RequeueAfter: res.requeueAfter}, nil
		}
		target = res.target
	}
	via, problem, err := r.cloudFor(ctx, obj)
	if err != nil {
		return ctrl.Result{}, err
	}
	if problem != "" {
		phase := eciv1.PhasePending
		if obj.Status.SubmissionTime != nil {
			phase = eciv1.PhaseSubmitting
		}
		markInProgress(obj, phase, eciv1.ReasonCredentialsNotFound, problem)
		return ctrl.Result{RequeueAfter: credentialsWait}, nil
	}
	if !r.targets.tryLock(target) {
		// Another worker submits to the same container right now.
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	defer r.targets.unlock(target)

	if obj.Status.SubmissionTime != nil {
		// Most often the cache merely lags behind the task ID written a
		// moment ago: make sure before asking the cloud.
		live := &eciv1.ContainerCommit{}
		if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(obj), live); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
		if live.ResourceVersion != obj.ResourceVersion {
			return ctrl.Result{}, nil // the watch brings the newer version shortly
		}
		if adopted, wait := r.adopt(ctx, obj, via); adopted || wait > 0 {
			return ctrl.Result{RequeueAfter: wait}, nil
		}
	}
	if r.deadlinePassed(obj) {
		msg := fmt.Sprintf("The cloud did not accept the commit within spec.submissionDeadlineSeconds (%ds)", *obj.Spec.SubmissionDeadlineSeconds)
		if obj.Status.LastError != nil {
			msg += "; last error: " + describeError(&eci.Error{Code: obj.Status.LastError.Code, Message: obj.Status.LastError.Message, RequestID: obj.Status.LastError.RequestID})
		}
		markFailed(obj, metav1.NewTime(r.now()), eciv1.ReasonSubmissionDeadlineExceeded, msg)
		r.event(obj, corev1.EventTypeWarning, "Failed", "Submit", msg)
		return ctrl.Result{}, nil
	}
	if other, err := r.openIntentOnTarget(ctx, obj, target); err != nil {
		return ctrl.Result{}, err
	} else if other != nil {
		markInProgress(obj, eciv1.PhasePending, eciv1.ReasonTargetBusy, fmt.Sprintf(
			"Waiting for ContainerCommit %s/%s, whose submission to the same container is unresolved", other.Namespace, other.Name))
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
	}

	obj.Status.RegionID = target.region
	obj.Status.ContainerGroupID = target.group
	submitted := metav1.NewTime(r.now())
	obj.Status.SubmissionTime = &submitted
	markInProgress(obj, eciv1.PhaseSubmitting, eciv1.ReasonSubmitting, "Calling CommitContainer")
	if err := patch.apply(ctx, obj); err != nil {
		// Nothing was called: whoever changed the object first wins.
		return ctrl.Result{}, err
	}

	res, err := via.Client.CommitContainer(ctx, commitRequest(obj))
	if err != nil {
		return r.submissionFailed(ctx, obj, eci.AsError(err)), nil
	}
	r.backoff.reset(client.ObjectKeyFromObject(obj))
	r.taskCreated(ctx, obj, via, res.TaskID, res.RequestID, eciv1.ReasonTaskCreated,
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
	// The intent stays without a task ID: the next reconcile adopts the
	// task from the cloud.
	return err
}

// taskCreated records a task that now belongs to the object.
func (r *ContainerCommitReconciler) taskCreated(ctx context.Context, obj *eciv1.ContainerCommit, via tracker.Caller, taskID, requestID, reason, message string) {
	obj.Status.TaskID = taskID
	obj.Status.RequestID = requestID
	obj.Status.LastError = nil
	setCondition(obj, eciv1.ConditionSubmitted, metav1.ConditionTrue, reason, message)
	markInProgress(obj, eciv1.PhaseRunning, eciv1.ReasonTaskRunning, message)
	r.event(obj, corev1.EventTypeNormal, "Submitted", "Submit", message)
	logf.FromContext(ctx).Info("Commit task recorded", "taskId", taskID, "requestId", requestID, "region", obj.Status.RegionID, "reason", reason)
	r.tracker.Track(tracker.Key{Region: obj.Status.RegionID, TaskID: taskID}, client.ObjectKeyFromObject(obj), via)
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
		wait := r.retryWait(obj, e.Kind)
		markInProgress(obj, eciv1.PhasePending, reason, fmt.Sprintf("%s; retrying in %s", msg, wait.Round(time.Second)))
		r.event(obj, corev1.EventTypeWarning, reason, "Submit", msg)
		log.Info("Commit not accepted; retrying", "code", e.Code, "requestId", e.RequestID, "after", wait)
		return ctrl.Result{RequeueAfter: wait}
	default:
		// No answer: the call may have created a task. Keep the intent so
		// that the next attempt looks for that task before calling again.
		wait := r.retryWait(obj, e.Kind)
		markInProgress(obj, eciv1.PhaseSubmitting, reason,
			fmt.Sprintf("%s; the task may exist, checking before any new call in %s", msg, wait.Round(time.Second)))
		r.event(obj, corev1.EventTypeWarning, reason, "Submit", msg)
		log.Info("No answer to CommitContainer; will look for its task", "code", e.Code, "after", wait)
		return ctrl.Result{RequeueAfter: wait}
	}
}

// retryWait is the backoff for the object, cut short by its deadline.
func (r *ContainerCommitReconciler) retryWait(obj *eciv1.ContainerCommit, kind eci.Kind) time.Duration {
	wait := r.backoff.next(client.ObjectKeyFromObject(obj), kind)
	if d, ok := r.deadline(obj); ok {
		wait = max(min(wait, d.Sub(r.now())), 0)
	}
	return wait
}

// deadline returns when the current attempt must have been submitted by.
func (r *ContainerCommitReconciler) deadline(obj *eciv1.ContainerCommit) (time.Time, bool) {
	if obj.Spec.SubmissionDeadlineSeconds == nil {
		return time.Time{}, false
	}
	start := obj.CreationTimestamp.Time
	if obj.Status.AttemptStartTime != nil {
		start = obj.Status.AttemptStartTime.Time
	}
	return start.Add(time.Duration(*obj.Spec.SubmissionDeadlineSeconds) * time.Second), true
}

func (r *ContainerCommitReconciler) deadlinePassed(obj *eciv1.ContainerCommit) bool {
	d, ok := r.deadline(obj)
	return ok && !r.now().Before(d)
}

// adopt looks for a task that an earlier, unanswered call created. It
// returns adopted when it found one, or a wait when the cloud may not show
// it yet. When neither, the intent is cleared and a new call is safe.
func (r *ContainerCommitReconciler) adopt(ctx context.Context, obj *eciv1.ContainerCommit, via tracker.Caller) (adopted bool, wait time.Duration) {
	task, err := r.findUnclaimedTask(ctx, obj, via.Client)
	if err != nil {
		e := eci.AsError(err)
		recordCloudError(obj, e)
		markInProgress(obj, eciv1.PhaseSubmitting, reasonFor(e.Kind, eciv1.ReasonCloudUnavailable),
			"Looking for the task of an unanswered CommitContainer call failed: "+describeError(e))
		return false, r.backoff.next(client.ObjectKeyFromObject(obj), e.Kind)
	}
	if task != nil {
		r.backoff.reset(client.ObjectKeyFromObject(obj))
		r.taskCreated(ctx, obj, via, task.TaskID, "", eciv1.ReasonTaskAdopted,
			fmt.Sprintf("Commit task %s adopted: created by an earlier call whose answer was lost", task.TaskID))
		return true, 0
	}
	if waited := r.now().Sub(obj.Status.SubmissionTime.Time); waited < r.AdoptionGrace {
		markInProgress(obj, eciv1.PhaseSubmitting, eciv1.ReasonSubmitting,
			"Waiting for the cloud to show the task of an unanswered CommitContainer call")
		return false, min(r.AdoptionGrace-waited, 5*time.Second)
	}
	logf.FromContext(ctx).Info("No task found for the unanswered call; it may be made again", "submissionTime", obj.Status.SubmissionTime)
	obj.Status.SubmissionTime = nil
	return false, 0
}

// findUnclaimedTask returns the task that the object's open intent created,
// if the cloud shows it: a task of the same container, created no earlier
// than the intent (less the allowed clock skew), that no ContainerCommit
// holds and that no earlier attempt of this object made. Tasks created
// after the intent are preferred; of those created within the skew window
// before it, the latest.
func (r *ContainerCommitReconciler) findUnclaimedTask(ctx context.Context, obj *eciv1.ContainerCommit, cloud eci.Client) (*eci.Task, error) {
	intent := obj.Status.SubmissionTime.Time
	earliest := intent.Add(-r.ClockSkew)
	var after, skewed []eci.Task
	req := eci.DescribeRequest{RegionID: obj.Status.RegionID, ContainerGroupID: obj.Status.ContainerGroupID, MaxResults: eci.MaxDescribeResults}
	for {
		page, err := cloud.DescribeCommitContainerTasks(ctx, req)
		if err != nil {
			return nil, err
		}
		for _, t := range page.Tasks {
			switch {
			case t.ContainerName != obj.Spec.ContainerName || t.CreationTime.Before(earliest) || ownedEarlier(obj, t.TaskID):
			case t.CreationTime.Before(intent.Truncate(time.Second)):
				skewed = append(skewed, t)
			default:
				after = append(after, t)
			}
		}
		if page.NextToken == "" || len(page.Tasks) == 0 {
			break
		}
		req.NextToken = page.NextToken
	}
	slices.SortFunc(after, func(a, b eci.Task) int { return a.CreationTime.Compare(b.CreationTime) })
	slices.SortFunc(skewed, func(a, b eci.Task) int { return b.CreationTime.Compare(a.CreationTime) })
	for _, t := range append(after, skewed...) {
		claimed, err := r.claimed(ctx, t.TaskID)
		if err != nil {
			return nil, err
		}
		if !claimed {
			return &t, nil
		}
	}
	return nil, nil
}

func ownedEarlier(obj *eciv1.ContainerCommit, taskID string) bool {
	return slices.ContainsFunc(obj.Status.History, func(a eciv1.AttemptRecord) bool { return a.TaskID == taskID })
}

// claimed reports whether a ContainerCommit holds the task, reading the API
// server itself (through the CRD's selectable field status.taskId).
func (r *ContainerCommitReconciler) claimed(ctx context.Context, taskID string) (bool, error) {
	holders, err := r.listLive(ctx, client.MatchingFields{"status.taskId": taskID})
	return len(holders) > 0, err
}

// openIntentOnTarget returns another ContainerCommit whose submission to the
// same container is unresolved (an intent without a task ID), if any.
func (r *ContainerCommitReconciler) openIntentOnTarget(ctx context.Context, obj *eciv1.ContainerCommit, t targetKey) (*eciv1.ContainerCommit, error) {
	same, err := r.listLive(ctx, client.MatchingFields{"status.containerGroupId": t.group})
	if err != nil {
		return nil, err
	}
	for i := range same {
		o := &same[i]
		if o.UID != obj.UID && o.Spec.ContainerName == t.container && o.Status.RegionID == t.region &&
			o.Status.SubmissionTime != nil && o.Status.TaskID == "" && !o.Status.Phase.IsFinished() {
			return o, nil
		}
	}
	return nil, nil
}

// commitRequest maps the object to CommitContainer parameters; the target
// comes from status, where the intent recorded it.
// listLive lists ContainerCommits from the API server itself: across the
// cluster, or across the watched namespaces when the controller is scoped
// (it may not list the others).
func (r *ContainerCommitReconciler) listLive(ctx context.Context, selector client.MatchingFields) ([]eciv1.ContainerCommit, error) {
	if len(r.Namespaces) == 0 {
		var list eciv1.ContainerCommitList
		err := r.APIReader.List(ctx, &list, selector)
		return list.Items, err
	}
	var all []eciv1.ContainerCommit
	for _, ns := range r.Namespaces {
		var list eciv1.ContainerCommitList
		if err := r.APIReader.List(ctx, &list, selector, client.InNamespace(ns)); err != nil {
			return nil, err
		}
		all = append(all, list.Items...)
	}
	return all, nil
}

func commitRequest(obj *eciv1.ContainerCommit) eci.CommitRequest {
	s := obj.Spec
	req := eci.CommitRequest{
		RegionID:         obj.Status.RegionID,
		ContainerGroupID: obj.Status.ContainerGroupID,
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
