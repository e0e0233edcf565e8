// Command bench measures the operator's cost per commit: it runs the
// manager binary against a local API server and the simulated cloud and
// prints cloud calls per commit, status delays, submission time against the
// rate limit, and the manager's peak memory with many finished objects,
// with task-tracking sharing on and, as the baseline, off.
//
//	make bench        (or: go run ./hack/bench -h for the knobs)
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/internal/ecisim"
	"github.com/eci-commit-operator/eci-commit-operator/internal/testenv"
)

const (
	keyID     = "LTAI5tBenchmark"
	keySecret = "benchmark-secret"
	region    = "cn-beijing"
)

type config struct {
	objects, baselineObjects, finished int
	qps                                float64
	burst                              int
	phase, minInterval, maxInterval    time.Duration
}

func main() {
	var c config
	flag.IntVar(&c.objects, "objects", 1000, "ContainerCommits created at once in the main run.")
	flag.IntVar(&c.baselineObjects, "baseline-objects", 300, "ContainerCommits in the shared-versus-unshared comparison.")
	flag.IntVar(&c.finished, "finished", 10000, "Finished ContainerCommits in the cluster for the memory measurement.")
	flag.Float64Var(&c.qps, "qps", 20, "The manager's --cloud-qps (its default); the simulator throttles above 1.1 times it.")
	flag.IntVar(&c.burst, "burst", 10, "The manager's --cloud-burst.")
	flag.DurationVar(&c.phase, "phase", 2*time.Second, "Duration of each of the three simulated commit phases.")
	flag.DurationVar(&c.minInterval, "tracking-min-interval", 2*time.Second, "The manager's --tracking-min-interval.")
	flag.DurationVar(&c.maxInterval, "tracking-max-interval", 30*time.Second, "The manager's --tracking-max-interval.")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type bench struct {
	config
	cfg        *rest.Config
	k8s        client.WithWatch
	kubeconfig string
	manager    string
}

func run(c config) error {
	work, err := os.MkdirTemp("", "eci-bench-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(work) }()
	b := &bench{config: c, manager: filepath.Join(work, "manager"), kubeconfig: filepath.Join(work, "kubeconfig")}

	fmt.Fprintln(os.Stderr, "==> Building the manager and starting a local API server")
	if err := testenv.BuildManager(b.manager); err != nil {
		return err
	}
	env, cfg, err := testenv.Start()
	if err != nil {
		return err
	}
	defer func() { _ = env.Stop() }()
	b.cfg = cfg
	if err := os.WriteFile(b.kubeconfig, env.KubeConfig, 0o600); err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 2000, 4000
	if b.k8s, err = testenv.NewClient(cfg); err != nil {
		return err
	}

	var runs []result
	var mem []memory
	for i, s := range []struct {
		name    string
		objects int
		batch   int
	}{
		{"shared", c.objects, 50},
		{"shared", c.baselineObjects, 50},
		{"unshared (baseline)", c.baselineObjects, 1},
	} {
		fmt.Fprintf(os.Stderr, "==> %s tracking, %d objects\n", s.name, s.objects)
		r, err := b.commitRun(s.name, s.objects, s.batch)
		if err != nil {
			return err
		}
		runs = append(runs, r)
		if i == 0 {
			m, err := b.measureIdle(c.objects)
			if err != nil {
				return err
			}
			mem = append(mem, m)
		}
	}
	if total, err := b.addFinished(c.finished); err != nil {
		return err
	} else if total > c.objects {
		m, err := b.measureIdle(total)
		if err != nil {
			return err
		}
		mem = append(mem, m)
	}
	b.report(runs, mem)
	return nil
}

// result holds one commit run's figures.
type result struct {
	name                         string
	objects, batch               int
	commitCalls, describeCalls   int
	describedIDs, throttled      int
	submitWall, ideal, wall      time.Duration
	createWall                   time.Duration
	delayP50, delayP99, delayMax time.Duration
	peakRSSKiB                   int
}

// commitRun creates objects at once, each for a container of its own, and
// waits for all to succeed.
func (b *bench) commitRun(name string, objects, batch int) (result, error) {
	ctx := context.Background()
	res := result{name: name, objects: objects, batch: batch}
	ns := fmt.Sprintf("bench-%s-%d", strings.Fields(name)[0], objects)
	if err := b.k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return res, err
	}
	sim := ecisim.New(ecisim.Options{PhaseDuration: b.phase, RateLimit: b.qps * 1.1, RateBurst: b.burst * 2})
	sim.AddCredential(ecisim.Credential{AccessKeyID: keyID, AccessKeySecret: keySecret})
	const perGroup = 10
	for g := 0; g*perGroup < objects; g++ {
		group := ecisim.ContainerGroup{ID: fmt.Sprintf("eci-bench%06d", g), Region: region, Status: "Running"}
		for c := range perGroup {
			group.Containers = append(group.Containers, fmt.Sprintf("c%d", c))
		}
		sim.AddContainerGroup(group)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()

	mgr, err := b.startManager(srv.URL, ns+".log", "--tracking-batch-size", strconv.Itoa(batch))
	if err != nil {
		return res, err
	}
	defer mgr.stop()

	seen := newSuccessLog(objects)
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go seen.follow(watchCtx, b.k8s, ns)

	start := time.Now()
	if err := parallel(objects, 32, func(i int) error {
		return b.k8s.Create(ctx, &eciv1.ContainerCommit{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("c-%05d", i), Namespace: ns},
			Spec: eciv1.ContainerCommitSpec{
				RegionID: region, ContainerGroupID: fmt.Sprintf("eci-bench%06d", i/perGroup), ContainerName: fmt.Sprintf("c%d", i%perGroup),
				Image: eciv1.ImageSpec{Repository: "registry-vpc.cn-beijing.aliyuncs.com/bench/app", Tag: strconv.Itoa(i)},
			},
		})
	}); err != nil {
		return res, err
	}
	res.createWall = time.Since(start)
	select {
	case <-seen.done:
	case <-time.After(10 * time.Minute):
		return res, fmt.Errorf("%s: only %d of %d objects succeeded within 10 minutes", name, seen.count(), objects)
	}
	stopWatch()
	res.wall = time.Since(start)
	res.peakRSSKiB = mgr.peakRSS()

	tasks := sim.Tasks()
	var lastCreated time.Time
	var delays []time.Duration
	seen.mu.Lock()
	defer seen.mu.Unlock()
	byTag := map[string]ecisim.Task{}
	for _, t := range tasks {
		byTag[t.Tag] = t
		if t.Created.After(lastCreated) {
			lastCreated = t.Created
		}
	}
	for i := range objects {
		t, ok := byTag[strconv.Itoa(i)]
		if !ok {
			return res, fmt.Errorf("%s: object %d has no task", name, i)
		}
		finished := t.Created.Add(3 * b.phase)
		delays = append(delays, seen.at[fmt.Sprintf("c-%05d", i)].Sub(finished))
	}
	slices.Sort(delays)
	res.delayP50, res.delayP99, res.delayMax = percentile(delays, 0.50), percentile(delays, 0.99), delays[len(delays)-1]
	res.submitWall = lastCreated.Sub(start)
	res.ideal = time.Duration(float64(objects-b.burst) / b.qps * float64(time.Second))
	res.commitCalls = sim.Calls("CommitContainer")
	res.describeCalls = sim.Calls("DescribeCommitContainerTask")
	res.describedIDs = sim.DescribedTaskIDs()
	res.throttled = sim.Injected()["RateLimited"]
	if len(tasks) != objects {
		return res, fmt.Errorf("%s: %d tasks for %d objects", name, len(tasks), objects)
	}
	return res, nil
}

// successLog records when each object was first seen Succeeded, from a
// watch that is re-opened if the API server ends it.
type successLog struct {
	want int
	done chan struct{}

	mu sync.Mutex
	at map[string]time.Time
}

func newSuccessLog(want int) *successLog {
	return &successLog{want: want, done: make(chan struct{}), at: map[string]time.Time{}}
}

func (l *successLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.at)
}

func (l *successLog) record(o *eciv1.ContainerCommit, when time.Time) {
	if o.Status.Phase != eciv1.PhaseSucceeded {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.at[o.Name]; ok {
		return
	}
	l.at[o.Name] = when
	if len(l.at) == l.want {
		close(l.done)
	}
}

func (l *successLog) follow(ctx context.Context, k8s client.WithWatch, ns string) {
	for ctx.Err() == nil {
		// A list first catches what happened while no watch was open.
		var list eciv1.ContainerCommitList
		if err := k8s.List(ctx, &list, client.InNamespace(ns)); err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		now := time.Now()
		for i := range list.Items {
			l.record(&list.Items[i], now)
		}
		w, err := k8s.Watch(ctx, &eciv1.ContainerCommitList{}, client.InNamespace(ns), &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: list.ResourceVersion}})
		if err != nil {
			continue
		}
		for ev := range w.ResultChan() {
			if o, ok := ev.Object.(*eciv1.ContainerCommit); ok && ev.Type != watch.Error {
				l.record(o, time.Now())
			}
		}
		w.Stop()
	}
}

// memory holds the manager's peak RSS with many finished objects.
type memory struct {
	finished   int
	peakRSSKiB int
	synced     time.Duration
}

// addFinished tops the cluster up to total finished ContainerCommits, each
// with the status the controller leaves on a real one, and returns how many
// there are.
func (b *bench) addFinished(total int) (int, error) {
	ctx := context.Background()
	var list eciv1.ContainerCommitList
	if err := b.k8s.List(ctx, &list); err != nil {
		return 0, err
	}
	have := len(list.Items)
	if total <= have {
		return have, nil
	}
	fmt.Fprintf(os.Stderr, "==> Adding %d finished ContainerCommits\n", total-have)
	const ns = "bench-finished"
	if err := b.k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return 0, err
	}
	template := list.Items[0]
	err := parallel(total-have, 32, func(i int) error {
		o := &eciv1.ContainerCommit{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("done-%05d", i), Namespace: ns},
			Spec:       template.Spec,
		}
		o.Spec.Image.Tag = "done-" + strconv.Itoa(i)
		if err := b.k8s.Create(ctx, o); err != nil {
			return err
		}
		o.Status = template.Status
		o.Status.TaskID = fmt.Sprintf("t-done%016d", i)
		return b.k8s.Status().Update(ctx, o)
	})
	return total, err
}

// measureIdle starts a manager over a cluster of finished objects and reads
// its peak RSS once the memory stops growing.
func (b *bench) measureIdle(finished int) (memory, error) {
	fmt.Fprintf(os.Stderr, "==> Manager memory with %d finished ContainerCommits\n", finished)
	sim := ecisim.New(ecisim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	mgr, err := b.startManager(srv.URL, fmt.Sprintf("idle-%d.log", finished))
	if err != nil {
		return memory{}, err
	}
	defer mgr.stop()
	start := time.Now()
	last, stableSince := 0, time.Now()
	for time.Since(stableSince) < 5*time.Second {
		time.Sleep(250 * time.Millisecond)
		if rss := mgr.currentRSS(); rss != last {
			last, stableSince = rss, time.Now()
		}
		if time.Since(start) > 2*time.Minute {
			break
		}
	}
	return memory{finished: finished, peakRSSKiB: mgr.peakRSS(), synced: stableSince.Sub(start)}, nil
}

func (b *bench) report(runs []result, mem []memory) {
	fmt.Printf("\nECI commit operator benchmark: %d CPUs, cloud QPS %.0f (burst %d), Kubernetes API QPS %.0f, task %s (3 phases of %s), tracking every %s to %s\n\n",
		goruntime.NumCPU(), b.qps, b.burst, 6*b.qps, 3*b.phase, b.phase, b.minInterval, b.maxInterval)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	_, _ = fmt.Fprintln(tw, "tracking\tobjects\tcreated in\tcommit calls\tdescribe calls\tIDs/describe\tcloud calls/commit\tsubmit wall\tideal (N-burst)/QPS\tstatus delay p50\tp99\tmax\tthrottled by cloud\tpeak RSS\t")
	for _, r := range runs {
		_, _ = fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%.1f\t%.3f\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t\n",
			r.name, r.objects, r.createWall.Round(100*time.Millisecond), r.commitCalls, r.describeCalls, float64(r.describedIDs)/math.Max(1, float64(r.describeCalls)),
			float64(r.commitCalls+r.describeCalls)/float64(r.objects), r.submitWall.Round(100*time.Millisecond), r.ideal.Round(100*time.Millisecond),
			r.delayP50.Round(10*time.Millisecond), r.delayP99.Round(10*time.Millisecond), r.delayMax.Round(10*time.Millisecond),
			r.throttled, mib(r.peakRSSKiB))
	}
	_ = tw.Flush()
	fmt.Println()
	tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	_, _ = fmt.Fprintln(tw, "finished objects in cluster\tmanager peak RSS\tmemory settled after\t")
	for _, m := range mem {
		_, _ = fmt.Fprintf(tw, "%d\t%s\t%s\t\n", m.finished, mib(m.peakRSSKiB), m.synced.Round(100*time.Millisecond))
	}
	_ = tw.Flush()
}

type managerProcess struct {
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

func (b *bench) startManager(endpoint, logName string, extra ...string) (*managerProcess, error) {
	logFile, err := os.Create(filepath.Join(filepath.Dir(b.manager), logName))
	if err != nil {
		return nil, err
	}
	args := []string{
		"--kubeconfig", b.kubeconfig, "--eci-endpoint", endpoint, "--eci-insecure-http",
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0",
		"--cloud-qps", strconv.FormatFloat(b.qps, 'f', -1, 64), "--cloud-burst", strconv.Itoa(b.burst),
		"--tracking-min-interval", b.minInterval.String(), "--tracking-max-interval", b.maxInterval.String(),
		"--zap-log-level", "error",
		"--kube-api-qps", strconv.Itoa(int(6 * b.qps)), "--kube-api-burst", strconv.Itoa(int(12 * b.qps)),
	}
	cmd := exec.Command(b.manager, append(args, extra...)...)
	cmd.Env = append(os.Environ(), "ALIBABA_CLOUD_ACCESS_KEY_ID="+keyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET="+keySecret)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &managerProcess{cmd: cmd, done: make(chan struct{}), log: logFile}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

func (p *managerProcess) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	_ = p.log.Close()
}

func (p *managerProcess) peakRSS() int    { return procStatusKiB(p.cmd.Process.Pid, "VmHWM:") }
func (p *managerProcess) currentRSS() int { return procStatusKiB(p.cmd.Process.Pid, "VmRSS:") }

// procStatusKiB reads a memory figure of a process from /proc.
func procStatusKiB(pid int, field string) int {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first error.
func parallel(n, workers int, fn func(int) error) error {
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var err error
loop:
	for i := range n {
		select {
		case next <- i:
		case err = <-errs:
			break loop
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(math.Ceil(q*float64(len(sorted))))-1)]
}

func mib(kib int) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }
