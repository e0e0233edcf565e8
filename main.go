// Command manager runs the eci-commit-operator: it reconciles ContainerCommit
// objects by calling the Alibaba Cloud ECI API.
package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/controllers"
	"github.com/eci-commit-operator/eci-commit-operator/internal/eci"
	"github.com/eci-commit-operator/eci-commit-operator/internal/metrics"
	"github.com/eci-commit-operator/eci-commit-operator/internal/tracker"
)

type options struct {
	metricsAddr, probeAddr  string
	leaderElect             bool
	leaderElectionNamespace string
	leaseDuration           time.Duration
	renewDeadline           time.Duration
	retryPeriod             time.Duration
	backoff                 controllers.BackoffOptions
	eciEndpoint, eciNetwork string
	eciInsecureHTTP         bool
	stsEndpoint             string
	watchNamespaces         namespaceList
	eciTimeout              time.Duration
	defaultRegion           string
	maxConcurrentReconciles int
	trackMin, trackMax      time.Duration
	trackBatch              int
	cloudQPS                float64
	cloudBurst              int
	kubeQPS                 float64
	kubeBurst               int
	adoptionGrace           time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080", "Address the metrics endpoint binds to; 0 disables it.")
	flag.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address the health probes bind to.")
	flag.BoolVar(&o.leaderElect, "leader-elect", inCluster(), "Elect a leader so that only one replica acts at a time. On by default when running in a cluster.")
	flag.StringVar(&o.leaderElectionNamespace, "leader-election-namespace", "", "Namespace of the leader election lease; defaults to the pod's namespace.")
	flag.DurationVar(&o.leaseDuration, "leader-elect-lease-duration", 15*time.Second, "How long a lease lasts without renewal: the longest a dead leader's work waits for a new one.")
	flag.DurationVar(&o.renewDeadline, "leader-elect-renew-deadline", 10*time.Second, "How long the leader tries to renew before it stops acting.")
	flag.DurationVar(&o.retryPeriod, "leader-elect-retry-period", 2*time.Second, "How often candidates try to acquire or renew the lease.")
	flag.DurationVar(&o.backoff.TransientBase, "retry-base-delay", time.Second, "First wait before retrying a cloud call that failed transiently; it doubles per failure.")
	flag.DurationVar(&o.backoff.TransientMax, "retry-max-delay", 2*time.Minute, "Longest wait before retrying a transient failure.")
	flag.DurationVar(&o.backoff.ThrottledBase, "throttle-base-delay", 5*time.Second, "First wait before retrying a throttled cloud call; it doubles per failure.")
	flag.DurationVar(&o.backoff.ThrottledMax, "throttle-max-delay", 5*time.Minute, "Longest wait before retrying a throttled call.")
	flag.StringVar(&o.eciEndpoint, "eci-endpoint", "", "ECI endpoint URL used for every region, such as http://127.0.0.1:18080 for the simulator. Empty derives https://eci[-vpc].<region>.aliyuncs.com.")
	flag.BoolVar(&o.eciInsecureHTTP, "eci-insecure-http", false, "Allow a plain-HTTP --eci-endpoint, for a local simulator only.")
	flag.StringVar(&o.stsEndpoint, "sts-endpoint", "", "STS host[:port] for RRSA (ACK pod identity) instead of the SDK's default, such as a VPC STS endpoint; always HTTPS. Needs the RRSA environment (ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE).")
	flag.StringVar(&o.eciNetwork, "eci-network", "public", "Regional endpoint family when --eci-endpoint is empty: public or vpc.")
	flag.DurationVar(&o.eciTimeout, "eci-timeout", 30*time.Second, "Timeout of one ECI API call.")
	flag.StringVar(&o.defaultRegion, "default-region", "", "Region of ContainerCommits that set no spec.regionId.")
	flag.IntVar(&o.maxConcurrentReconciles, "max-concurrent-reconciles", 4, "ContainerCommits reconciled in parallel.")
	flag.DurationVar(&o.trackMin, "tracking-min-interval", 2*time.Second, "Poll interval of a young commit task.")
	flag.DurationVar(&o.trackMax, "tracking-max-interval", 30*time.Second, "Longest poll interval of an old commit task.")
	flag.IntVar(&o.trackBatch, "tracking-batch-size", eci.MaxDescribeResults, "Task IDs per DescribeCommitContainerTask call (at most 50; 1 turns sharing off, for comparison only).")
	flag.Float64Var(&o.cloudQPS, "cloud-qps", 20, "Most ECI API calls per second to one region, submissions and tracking together.")
	flag.IntVar(&o.cloudBurst, "cloud-burst", 10, "ECI API calls that may go at once to one region after a quiet spell.")
	flag.Float64Var(&o.kubeQPS, "kube-api-qps", 100, "Most Kubernetes API requests per second; a commit makes about five, so keep it at five times --cloud-qps or more.")
	flag.IntVar(&o.kubeBurst, "kube-api-burst", 200, "Kubernetes API requests that may go at once.")
	flag.DurationVar(&o.adoptionGrace, "adoption-grace", 30*time.Second, "How long to look for the task of an unanswered CommitContainer call before calling again.")
	flag.Var(&o.watchNamespaces, "watch-namespace", "Only watch ContainerCommits in this namespace; repeatable or comma-separated. Unset watches the whole cluster.")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))

	if err := run(o); err != nil {
		ctrl.Log.Error(err, "Manager stopped")
		os.Exit(1)
	}
}

func run(o options) error {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := eciv1.AddToScheme(scheme); err != nil {
		return err
	}

	clouds, err := newClouds(o)
	if err != nil {
		return err
	}

	restConfig := ctrl.GetConfigOrDie()
	restConfig.QPS, restConfig.Burst = float32(o.kubeQPS), o.kubeBurst
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme: scheme,
		Cache: cache.Options{
			DefaultNamespaces: o.watchNamespaces.cacheConfig(),
			DefaultTransform:  cache.TransformStripManagedFields(),
			ByObject:          map[client.Object]cache.ByObject{&eciv1.ContainerCommit{}: {Transform: controllers.TrimForCache}},
		},
		Metrics:                 metricsserver.Options{BindAddress: o.metricsAddr},
		HealthProbeBindAddress:  o.probeAddr,
		LeaderElection:          o.leaderElect,
		LeaderElectionID:        "eci-commit-operator.eci.containercommit.dev",
		LeaderElectionNamespace: o.leaderElectionNamespace,
		LeaseDuration:           &o.leaseDuration,
		RenewDeadline:           &o.renewDeadline,
		RetryPeriod:             &o.retryPeriod,
		// A new leader must not act while the old one might still be
		// submitting: release the lease only on a clean shutdown.
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}

	r := &controllers.ContainerCommitReconciler{
		Client:                  mgr.GetClient(),
		APIReader:               mgr.GetAPIReader(),
		Clouds:                  clouds,
		Recorder:                mgr.GetEventRecorder(controllers.ControllerName),
		Namespaces:              o.watchNamespaces,
		DefaultRegion:           o.defaultRegion,
		TrackerOptions:          tracker.Options{MinInterval: o.trackMin, MaxInterval: o.trackMax, BatchSize: o.trackBatch},
		AdoptionGrace:           o.adoptionGrace,
		Backoff:                 o.backoff,
		MaxConcurrentReconciles: o.maxConcurrentReconciles,
	}
	if err := r.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the controller: %w", err)
	}
	metrics.Register(r.TrackedTasks)
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}

	ctrl.Log.Info("Starting manager", "eciEndpoint", o.eciEndpoint, "eciNetwork", o.eciNetwork, "defaultRegion", o.defaultRegion)
	return mgr.Start(ctrl.SetupSignalHandler())
}

// namespaceList is a repeatable, comma-separated namespace flag.
type namespaceList []string

func (n *namespaceList) String() string { return strings.Join(*n, ",") }

func (n *namespaceList) Set(v string) error {
	for _, ns := range strings.Split(v, ",") {
		if ns = strings.TrimSpace(ns); ns != "" && !slices.Contains(*n, ns) {
			*n = append(*n, ns)
		}
	}
	return nil
}

// cacheConfig scopes the manager's cache; nil means the whole cluster.
func (n namespaceList) cacheConfig() map[string]cache.Config {
	if len(n) == 0 {
		return nil
	}
	out := make(map[string]cache.Config, len(n))
	for _, ns := range n {
		out[ns] = cache.Config{}
	}
	return out
}

// inCluster reports whether the process runs in a Kubernetes pod.
func inCluster() bool { return os.Getenv("KUBERNETES_SERVICE_HOST") != "" }

// newClouds builds the cloud clients: the controller's own identity (the
// SDK's default chain) and, on demand, one per credentials Secret, all
// instrumented and sharing one rate limiter per region.
func newClouds(o options) (*eci.ClientSet, error) {
	opts := eci.Options{Network: eci.Network(o.eciNetwork), Timeout: o.eciTimeout}
	if o.eciEndpoint != "" {
		u, err := url.Parse(o.eciEndpoint)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("--eci-endpoint %q must be a URL with a scheme and host, such as https://eci.cn-hangzhou.aliyuncs.com", o.eciEndpoint)
		}
		if u.Scheme == "http" && !o.eciInsecureHTTP {
			return nil, fmt.Errorf("--eci-endpoint %q is plain HTTP, which would send signed requests in clear: pass --eci-insecure-http for a local simulator", o.eciEndpoint)
		}
		opts.Endpoint = u
	}
	if o.cloudQPS <= 0 {
		return nil, fmt.Errorf("--cloud-qps must be positive, got %v", o.cloudQPS)
	}
	if o.stsEndpoint != "" {
		rrsa, err := credentials.NewOIDCCredentialsProviderBuilder().WithSTSEndpoint(o.stsEndpoint).Build()
		if err != nil {
			return nil, fmt.Errorf("--sts-endpoint is set, but the RRSA environment is incomplete: %w", err)
		}
		opts.Credentials = rrsa
	}
	limiter := eci.NewRateLimiter(eci.RateLimitOptions{QPS: o.cloudQPS, Burst: o.cloudBurst, OnWait: metrics.ObserveRateLimiterWait})
	// The rate limiter is outermost so that latency metrics time the cloud,
	// not the wait for a token.
	return eci.NewClientSet(opts, func(c eci.Client) eci.Client { return limiter.Wrap(metrics.InstrumentClient(c)) }, 64)
}
