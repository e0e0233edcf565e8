// Package metrics defines the operator's Prometheus metrics and registers
// them with controller-runtime's registry, which the manager serves on its
// metrics endpoint. Labels carry only bounded values: actions, error codes,
// results, reasons and regions, never object names or task IDs.
package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/eci-commit-operator/eci-commit-operator/internal/eci"
)

const namespace = "eci_commit_operator"

var (
	// CommitsStarted counts commits the cloud accepted (a task was created
	// or adopted).
	CommitsStarted = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "commits_started_total",
		Help: "Commits the cloud accepted: a task was created or adopted.",
	})
	// CommitsFinished counts commits that reached a final phase.
	CommitsFinished = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "commits_finished_total",
		Help: "Commits that reached a final phase, by result (succeeded, failed) and reason.",
	}, []string{"result", "reason"})
	// CommitDuration observes the time from submission to a final phase.
	CommitDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "commit_duration_seconds",
		Help:    "Time from the CommitContainer call to a final phase, by result.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 14), // 1s to about 2h
	}, []string{"result"})
	cloudRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "cloud_requests_total",
		Help: "ECI API calls by action and result code (OK, or the cloud's or the SDK's error code).",
	}, []string{"action", "code"})
	cloudLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "cloud_request_duration_seconds",
		Help:    "Latency of ECI API calls by action.",
		Buckets: prometheus.ExponentialBuckets(0.01, 2, 12), // 10ms to about 20s
	}, []string{"action"})
	rateLimiterWait = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "rate_limiter_wait_seconds",
		Help:    "Time ECI API calls waited for the client-side rate limiter, by region.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 10), // 1ms to about 4 min
	}, []string{"region"})
)

// Register adds the metrics to controller-runtime's registry. trackedTasks
// reports how many running tasks are followed.
func Register(trackedTasks func() int) {
	ctrlmetrics.Registry.MustRegister(CommitsStarted, CommitsFinished, CommitDuration, cloudRequests, cloudLatency, rateLimiterWait,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Name: "tracked_tasks",
			Help: "Running commit tasks being followed.",
		}, func() float64 { return float64(trackedTasks()) }))
}

// ObserveRateLimiterWait records a rate-limiter wait; it fits
// eci.RateLimitOptions.OnWait.
func ObserveRateLimiterWait(region string, waited time.Duration) {
	rateLimiterWait.WithLabelValues(region).Observe(waited.Seconds())
}

// InstrumentClient counts and times the calls of an ECI client.
func InstrumentClient(next eci.Client) eci.Client { return instrumented{next} }

type instrumented struct{ next eci.Client }

func (c instrumented) CommitContainer(ctx context.Context, req eci.CommitRequest) (eci.CommitResult, error) {
	start := time.Now()
	res, err := c.next.CommitContainer(ctx, req)
	observe("CommitContainer", start, err)
	return res, err
}

func (c instrumented) DescribeCommitContainerTasks(ctx context.Context, req eci.DescribeRequest) (eci.DescribePage, error) {
	start := time.Now()
	page, err := c.next.DescribeCommitContainerTasks(ctx, req)
	observe("DescribeCommitContainerTask", start, err)
	return page, err
}

func observe(action string, start time.Time, err error) {
	cloudLatency.WithLabelValues(action).Observe(time.Since(start).Seconds())
	code := "OK"
	if err != nil {
		code = eci.AsError(err).Code
	}
	cloudRequests.WithLabelValues(action, code).Inc()
}
