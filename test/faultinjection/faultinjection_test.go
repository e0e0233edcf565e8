// Package faultinjection proves exactly-once commits the hard way: the real
// manager binary, two replicas with leader election, against a real API
// server and the simulated cloud injecting throttling, server errors,
// latency, lost requests and lost answers, while the test kills the
// replicas with SIGKILL at random moments and restarts them.
package faultinjection

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/internal/ecisim"
	"github.com/eci-commit-operator/eci-commit-operator/internal/testenv"
)

const (
	keyID      = "LTAI5tFaultInjection"
	keySecret  = "fault-injection-secret"
	region     = "cn-shanghai"
	objects    = 60
	groups     = 4
	containers = 3 // per group: 12 targets, 5 objects each
	minKills   = 6
	namespace  = "default"
)

func TestExactlyOnceUnderKillsAndFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault-injection suite runs the manager binary for a minute")
	}
	env, cfg, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	work := t.TempDir()
	kubeconfig := filepath.Join(work, "kubeconfig")
	if err := os.WriteFile(kubeconfig, env.KubeConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	manager := buildManager(t, work)

	sim := ecisim.New(ecisim.Options{PhaseDuration: time.Second})
	sim.AddCredential(ecisim.Credential{AccessKeyID: keyID, AccessKeySecret: keySecret})
	for g := range groups {
		group := ecisim.ContainerGroup{ID: fmt.Sprintf("eci-fault%04d", g), Region: region, Status: "Running"}
		for c := range containers {
			group.Containers = append(group.Containers, fmt.Sprintf("c%d", c))
		}
		if g == groups-1 {
			// One instance's pushes fail: Failed must be reported as truly
			// as Succeeded.
			group.FailAtPhase, group.FailMessage = "PushCommittedImage", "push denied"
		}
		sim.AddContainerGroup(group)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	sim.SetChaos(ecisim.Chaos{
		ThrottleRate: 0.08, ServerErrorRate: 0.08, DropRequestRate: 0.05, DropResponseRate: 0.1,
		MaxLatency: 150 * time.Millisecond, Seed: uint64(time.Now().UnixNano()),
	})

	k8s, err := testenv.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}

	replicas := []*replica{
		{name: "a", bin: manager, kubeconfig: kubeconfig, endpoint: srv.URL, log: filepath.Join(work, "a.log")},
		{name: "b", bin: manager, kubeconfig: kubeconfig, endpoint: srv.URL, log: filepath.Join(work, "b.log")},
	}
	for _, r := range replicas {
		r.start(t)
	}
	defer func() {
		for _, r := range replicas {
			r.kill()
		}
		if t.Failed() {
			for _, r := range replicas {
				r.dumpTail(t)
			}
		}
	}()

	// Objects arrive in waves of 10 while replicas are being killed, so that
	// kills land between intents, calls and status writes.
	start := time.Now()
	ctx := context.Background()
	created := make(chan error, 1)
	go func() {
		for i := range objects {
			if i > 0 && i%10 == 0 {
				time.Sleep(time.Second)
			}
			if err := k8s.Create(ctx, newCommit(i)); err != nil {
				created <- err
				return
			}
		}
		created <- nil
	}()
	defer func() {
		if err := <-created; err != nil {
			t.Error(err)
		}
	}()

	// Kill a replica every 1 to 2.5 s, alternating so that the leader dies
	// too, until enough kills happened and every object is finished.
	kills := 0
	deadline := time.Now().Add(4 * time.Minute)
	for {
		finished, total := countFinished(t, k8s)
		if kills >= minKills && finished == objects {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %d of %d objects finished, %d kills", time.Since(start).Round(time.Second), finished, total, kills)
		}
		time.Sleep(time.Second + rand.N(1500*time.Millisecond))
		if kills < minKills {
			r := replicas[kills%len(replicas)]
			r.kill()
			r.start(t)
			kills++
		}
	}
	elapsed := time.Since(start)
	sim.SetChaos(ecisim.Chaos{})

	var list eciv1.ContainerCommitList
	if err := k8s.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		t.Fatal(err)
	}
	tasks := map[string]ecisim.Task{}
	for _, task := range sim.Tasks() {
		tasks[task.ID] = task
	}
	held := map[string]string{}
	var lost, mismatched []string
	phases := map[eciv1.Phase]int{}
	for _, o := range list.Items {
		phases[o.Status.Phase]++
		id := o.Status.TaskID
		task, known := tasks[id]
		if id == "" || !known {
			lost = append(lost, fmt.Sprintf("%s (task %q, phase %s)", o.Name, id, o.Status.Phase))
			continue
		}
		if prev, dup := held[id]; dup {
			t.Errorf("task %s is held by both %s and %s", id, prev, o.Name)
		}
		held[id] = o.Name
		status, _, _ := sim.TaskState(id)
		if task.ContainerGroupID != o.Spec.ContainerGroupID || task.ContainerName != o.Spec.ContainerName ||
			task.Tag != o.Spec.Image.Tag || status != string(o.Status.Phase) {
			mismatched = append(mismatched, fmt.Sprintf("%s: object %s/%s:%s %s, task %s/%s:%s %s", o.Name,
				o.Spec.ContainerGroupID, o.Spec.ContainerName, o.Spec.Image.Tag, o.Status.Phase,
				task.ContainerGroupID, task.ContainerName, task.Tag, status))
		}
	}
	var duplicates []string
	for id, task := range tasks {
		if _, ok := held[id]; !ok {
			duplicates = append(duplicates, fmt.Sprintf("%s (%s/%s:%s)", id, task.ContainerGroupID, task.ContainerName, task.Tag))
		}
	}
	sort.Strings(duplicates)

	var lease coordinationv1.Lease
	transitions := int32(-1)
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "eci-commit-operator.eci.containercommit.dev"}, &lease); err == nil && lease.Spec.LeaseTransitions != nil {
		transitions = *lease.Spec.LeaseTransitions
	}
	injected := sim.Injected()
	faultTotal := 0
	for _, n := range injected {
		faultTotal += n
	}
	fmt.Printf("fault injection: objects=%d succeeded=%d failed=%d kills=%d leader_transitions=%d injected_faults=%d %s commit_calls=%d describe_calls=%d tasks=%d duplicates=%d lost=%d mismatched=%d wall=%s\n",
		len(list.Items), phases[eciv1.PhaseSucceeded], phases[eciv1.PhaseFailed], kills, transitions, faultTotal, formatCounts(injected),
		sim.Calls("CommitContainer"), sim.Calls("DescribeCommitContainerTask"), len(tasks), len(duplicates), len(lost), len(mismatched),
		elapsed.Round(100*time.Millisecond))

	if len(list.Items) != objects {
		t.Errorf("%d objects, want %d", len(list.Items), objects)
	}
	if len(duplicates) > 0 {
		t.Errorf("duplicate commits (tasks no object holds): %v", duplicates)
	}
	if len(lost) > 0 {
		t.Errorf("objects without their task: %v", lost)
	}
	if len(mismatched) > 0 {
		t.Errorf("objects that disagree with the simulator: %v", mismatched)
	}
	if transitions < 1 {
		t.Errorf("the lease changed hands %d times: no takeover was exercised", transitions)
	}
	if injected["DropResponse"] == 0 || injected["DropRequest"] == 0 || injected["Throttling.User"] == 0 || injected["ServiceUnavailable"] == 0 {
		t.Errorf("not every fault kind was exercised: %v", injected)
	}
}

func newCommit(i int) *eciv1.ContainerCommit {
	target := i % (groups * containers)
	return &eciv1.ContainerCommit{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("commit-%02d", i), Namespace: namespace},
		Spec: eciv1.ContainerCommitSpec{
			RegionID:         region,
			ContainerGroupID: fmt.Sprintf("eci-fault%04d", target/containers),
			ContainerName:    fmt.Sprintf("c%d", target%containers),
			Image: eciv1.ImageSpec{
				Repository: "registry-vpc.cn-shanghai.aliyuncs.com/chaos/app",
				Tag:        fmt.Sprintf("obj-%02d", i),
			},
		},
	}
}

func countFinished(t *testing.T, k8s client.Client) (finished, total int) {
	t.Helper()
	var list eciv1.ContainerCommitList
	if err := k8s.List(context.Background(), &list, client.InNamespace(namespace)); err != nil {
		t.Fatal(err)
	}
	for _, o := range list.Items {
		if o.Status.Phase.IsFinished() {
			finished++
		}
	}
	return finished, len(list.Items)
}

func formatCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func buildManager(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "manager")
	if err := testenv.BuildManager(bin, "-race"); err != nil {
		t.Fatal(err)
	}
	return bin
}

// replica is one manager process.
type replica struct {
	name, bin, kubeconfig, endpoint, log string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func (r *replica) start(t *testing.T) {
	t.Helper()
	logFile, err := os.OpenFile(r.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(r.bin,
		"--kubeconfig", r.kubeconfig,
		"--eci-endpoint", r.endpoint, "--eci-insecure-http",
		"--metrics-bind-address", "0",
		"--health-probe-bind-address", "0",
		"--leader-elect",
		"--leader-election-namespace", namespace,
		"--leader-elect-lease-duration", "3s",
		"--leader-elect-renew-deadline", "2s",
		"--leader-elect-retry-period", "500ms",
		"--tracking-min-interval", "300ms",
		"--tracking-max-interval", "2s",
		"--adoption-grace", "3s",
		"--eci-timeout", "5s",
		"--retry-base-delay", "100ms", "--retry-max-delay", "1s",
		"--throttle-base-delay", "200ms", "--throttle-max-delay", "2s",
		"--zap-log-level", "info")
	cmd.Env = append(os.Environ(), "ALIBABA_CLOUD_ACCESS_KEY_ID="+keyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET="+keySecret)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = logFile.Close()
		close(done)
	}()
	r.mu.Lock()
	r.cmd, r.done = cmd, done
	r.mu.Unlock()
}

// kill ends the process with SIGKILL: no shutdown, no lease release.
func (r *replica) kill() {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

func (r *replica) dumpTail(t *testing.T) {
	data, err := os.ReadFile(r.log)
	if err != nil {
		return
	}
	lines := bytes.Split(data, []byte("\n"))
	if len(lines) > 60 {
		lines = lines[len(lines)-60:]
	}
	t.Logf("last lines of replica %s:\n%s", r.name, bytes.Join(lines, []byte("\n")))
}
