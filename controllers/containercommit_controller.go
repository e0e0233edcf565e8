// Package controllers drives ContainerCommit objects through one ECI commit
// each: submit once, track the task, report the outcome.
package controllers

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/internal/tracker"
)

// ControllerName names the controller in logs, metrics and events.
const ControllerName = "eci-commit-operator"

// trackerPriority ranks task state changes above ordinary events in the
// work queue (which default to 0).
const trackerPriority = 10

// ContainerCommitReconciler reconciles ContainerCommit objects.
type ContainerCommitReconciler struct {
	// Client reads from the manager's cache and writes to the API server.
	client.Client
	// APIReader reads from the API server itself. Every decision that can
	// lead to a CommitContainer call is made on a live read, since the
	// cache may not yet hold this controller's own last write.
	APIReader client.Reader
	Clouds    Clouds
	Recorder  events.EventRecorder

	// Namespaces, when set, are the only namespaces the controller watches
	// and reads; the manager's cache must be scoped the same way.
	Namespaces []string
	// DefaultRegion is used when spec.regionId is empty.
	DefaultRegion string
	// TrackerOptions tunes the shared task polling.
	TrackerOptions tracker.Options
	// AdoptionGrace is how long after an unanswered CommitContainer call the
	// controller keeps looking for the task it may have created before it
	// submits again. Default 30s.
	AdoptionGrace time.Duration
	// ClockSkew is how far the cloud's clock may trail the cluster's when
	// matching a task's creation time to a submission. Default 30s.
	ClockSkew time.Duration
	// Backoff bounds the waits between retries of failed cloud calls.
	Backoff BackoffOptions
	// MaxConcurrentReconciles bounds parallel reconciles. Default 4.
	MaxConcurrentReconciles int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	tracker *tracker.Tracker[types.NamespacedName]
	backoff *backoff
	targets *targetLocks
}

// +kubebuilder:rbac:groups=eci.containercommit.dev,resources=containercommits,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get
// +kubebuilder:rbac:groups=eci.containercommit.dev,resources=containercommits/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile moves one ContainerCommit one step closer to a final phase.
func (r *ContainerCommitReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	obj := &eciv1.ContainerCommit{}
	if err := r.Get(ctx, req.NamespacedName, obj); apierrors.IsNotFound(err) {
		// Deleted: its task, if any, runs on in the cloud unobserved.
		r.tracker.ForgetOwner(req.NamespacedName)
		r.backoff.reset(req.NamespacedName)
		return ctrl.Result{}, nil
	} else if err != nil {
		return ctrl.Result{}, err
	}
	if obj.Status.Phase.IsFinished() {
		r.forget(obj)
		if !retryRequested(obj) {
			return r.expire(ctx, obj)
		}
		// The cache keeps little of finished objects: act on a live read.
		if err := r.APIReader.Get(ctx, req.NamespacedName, obj); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
		if !obj.Status.Phase.IsFinished() || !retryRequested(obj) {
			return ctrl.Result{}, nil
		}
	}
	if obj.Status.TaskID != "" {
		ctx = logf.IntoContext(ctx, logf.FromContext(ctx).WithValues("taskId", obj.Status.TaskID))
	}

	patch := newStatusPatch(r.Client, obj)
	defer func() {
		if err := patch.apply(ctx, obj); err != nil && retErr == nil {
			retErr = err
		}
	}()

	switch {
	case obj.Status.Phase.IsFinished():
		r.handleRetry(ctx, obj)
		return ctrl.Result{}, nil
	case obj.Status.TaskID != "":
		return r.reconcileTask(ctx, obj)
	default:
		return r.reconcileSubmission(ctx, obj, patch)
	}
}

// expire deletes a finished object once spec.ttlSecondsAfterFinished has
// passed since it finished, like the TTL of Jobs.
func (r *ContainerCommitReconciler) expire(ctx context.Context, obj *eciv1.ContainerCommit) (ctrl.Result, error) {
	ttl := obj.Spec.TTLSecondsAfterFinished
	if ttl == nil || obj.Status.CompletionTime == nil {
		return ctrl.Result{}, nil
	}
	if left := obj.Status.CompletionTime.Add(time.Duration(*ttl) * time.Second).Sub(r.now()); left > 0 {
		return ctrl.Result{RequeueAfter: left}, nil
	}
	// The UID precondition spares a new object that took the same name.
	err := r.Delete(ctx, obj, client.Preconditions{UID: &obj.UID})
	if err == nil {
		logf.FromContext(ctx).Info("Deleted after ttlSecondsAfterFinished", "ttlSeconds", *ttl)
	}
	return ctrl.Result{}, client.IgnoreNotFound(err)
}

// forget drops what the controller keeps in memory for a finished object.
func (r *ContainerCommitReconciler) forget(obj *eciv1.ContainerCommit) {
	if obj.Status.TaskID != "" {
		r.tracker.Forget(tracker.Key{Region: obj.Status.RegionID, TaskID: obj.Status.TaskID})
	}
	r.backoff.reset(client.ObjectKeyFromObject(obj))
}

func (r *ContainerCommitReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// SetupWithManager registers the controller, its task tracker and its index.
func (r *ContainerCommitReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.AdoptionGrace <= 0 {
		r.AdoptionGrace = 30 * time.Second
	}
	if r.ClockSkew <= 0 {
		r.ClockSkew = 30 * time.Second
	}
	if r.MaxConcurrentReconciles <= 0 {
		r.MaxConcurrentReconciles = 4
	}
	r.backoff = newBackoff(r.Backoff)
	r.targets = newTargetLocks()

	changed := make(chan event.TypedGenericEvent[*eciv1.ContainerCommit], 1024)
	r.tracker = tracker.New(func(owner types.NamespacedName) {
		changed <- event.TypedGenericEvent[*eciv1.ContainerCommit]{Object: &eciv1.ContainerCommit{
			ObjectMeta: ctrl.ObjectMeta{Namespace: owner.Namespace, Name: owner.Name},
		}}
	}, r.TrackerOptions)
	if err := mgr.Add(r.tracker); err != nil {
		return err
	}

	return ctrl.NewControllerManagedBy(mgr).
		Named("containercommit").
		// Status writes of this controller come back as events too; only
		// unfinished objects, retry requests and expiring objects need a
		// reconcile.
		For(&eciv1.ContainerCommit{}, builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			c := o.(*eciv1.ContainerCommit)
			return !c.Status.Phase.IsFinished() || retryRequested(c) || c.Spec.TTLSecondsAfterFinished != nil
		}))).
		// A task's change of state jumps the queue: it must not wait behind
		// a burst of new objects whose submissions wait for the rate limit.
		WatchesRawSource(source.Channel(changed, handler.TypedFuncs[*eciv1.ContainerCommit, reconcile.Request]{
			GenericFunc: func(_ context.Context, e event.TypedGenericEvent[*eciv1.ContainerCommit], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
				req := reconcile.Request{NamespacedName: client.ObjectKeyFromObject(e.Object)}
				if pq, ok := q.(priorityqueue.PriorityQueue[reconcile.Request]); ok {
					pq.AddWithOpts(priorityqueue.AddOpts{Priority: ptr.To(trackerPriority)}, req)
					return
				}
				q.Add(req)
			},
		})).
		WithOptions(controller.Options{
			MaxConcurrentReconciles: r.MaxConcurrentReconciles,
			LogConstructor: func(req *reconcile.Request) logr.Logger {
				log := mgr.GetLogger().WithValues("controller", "containercommit")
				if req != nil {
					log = log.WithValues("containerCommit", klog.KRef(req.Namespace, req.Name))
				}
				return log
			},
		}).
		Complete(r)
}
