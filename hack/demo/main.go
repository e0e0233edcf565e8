// Command demo runs the operator's whole job on this machine, without a
// cluster or a cloud account: a local kube-apiserver and etcd with the CRD
// installed, the simulated ECI endpoint with one instance, and the operator
// binary against both. It applies config/samples and prints the commit's
// progress, then keeps everything running for kubectl until interrupted.
//
//	make demo            (or: go run ./hack/demo)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/internal/ecisim"
	"github.com/eci-commit-operator/eci-commit-operator/internal/testenv"
)

const (
	demoKeyID     = "LTAI5tDemoAccessKeyId"
	demoKeySecret = "demo-access-key-secret"
)

func main() {
	exitWhenDone := flag.Bool("exit-when-done", false, "Stop once the sample reached a final phase instead of waiting for Ctrl-C (for tests).")
	phase := flag.Duration("phase-duration", 2*time.Second, "How long each simulated commit phase takes.")
	timeout := flag.Duration("timeout", 3*time.Minute, "Give up if the sample has not finished by then.")
	flag.Parse()
	if err := run(*exitWhenDone, *phase, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(exitWhenDone bool, phase, timeout time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := testenv.RepoRoot()
	work := filepath.Join(root, ".demo")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}

	step("Building the operator binary")
	manager := filepath.Join(root, "bin", "manager")
	if err := testenv.BuildManager(manager); err != nil {
		return err
	}

	step("Starting a local kube-apiserver and etcd with the ContainerCommit CRD")
	env, cfg, err := testenv.Start()
	if err != nil {
		return err
	}
	defer func() { _ = env.Stop() }()
	kubeconfig := filepath.Join(work, "kubeconfig")
	if err := os.WriteFile(kubeconfig, env.KubeConfig, 0o600); err != nil {
		return err
	}

	step("Starting the simulated ECI endpoint")
	sample, err := readSample(filepath.Join(root, "config", "samples", "eci_v1alpha1_containercommit.yaml"))
	if err != nil {
		return err
	}
	sim := ecisim.New(ecisim.Options{PhaseDuration: phase})
	sim.AddCredential(ecisim.Credential{AccessKeyID: demoKeyID, AccessKeySecret: demoKeySecret})
	sim.AddContainerGroup(ecisim.ContainerGroup{
		ID: sample.Spec.ContainerGroupID, Region: sample.Spec.RegionID, Status: "Running",
		Containers: []string{sample.Spec.ContainerName, "sidecar"},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	endpoint := "http://" + ln.Addr().String()
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close() }()
	fmt.Printf("   instance %s (%s) with container %q at %s\n", sample.Spec.ContainerGroupID, sample.Spec.RegionID, sample.Spec.ContainerName, endpoint)

	step("Starting the operator (log: .demo/manager.log)")
	logFile, err := os.Create(filepath.Join(work, "manager.log"))
	if err != nil {
		return err
	}
	defer func() { _ = logFile.Close() }()
	op := exec.Command(manager,
		"--kubeconfig", kubeconfig,
		"--eci-endpoint", endpoint, "--eci-insecure-http",
		"--metrics-bind-address", "127.0.0.1:0",
		"--health-probe-bind-address", "0",
		"--tracking-min-interval", "500ms",
		"--zap-devel")
	op.Env = append(os.Environ(), "ALIBABA_CLOUD_ACCESS_KEY_ID="+demoKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET="+demoKeySecret)
	op.Stdout, op.Stderr = logFile, logFile
	if err := op.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- op.Wait() }()
	defer func() {
		_ = op.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				fmt.Fprintln(os.Stderr, "demo: the operator stopped with", err)
			}
		case <-time.After(10 * time.Second):
			_ = op.Process.Kill()
		}
	}()

	k8s, err := testenv.NewClient(cfg)
	if err != nil {
		return err
	}
	step("Applying config/samples/eci_v1alpha1_containercommit.yaml")
	sample.Namespace = "default"
	if err := k8s.Create(ctx, sample); err != nil {
		return fmt.Errorf("creating the sample: %w", err)
	}

	final, err := follow(ctx, k8s, client.ObjectKeyFromObject(sample), exited, timeout)
	if err != nil {
		return err
	}
	if final.Status.Phase != eciv1.PhaseSucceeded {
		return fmt.Errorf("the sample ended %s: %s", final.Status.Phase, readyMessage(final))
	}
	fmt.Printf("\nSucceeded: %s (task %s)\n", final.Status.Image, final.Status.TaskID)
	if exitWhenDone {
		return nil
	}
	fmt.Printf("\nThe API server, the simulator and the operator keep running. In another terminal:\n\n"+
		"  export KUBECONFIG=%s\n"+
		"  kubectl get containercommits -o wide\n"+
		"  kubectl describe containercommit %s\n\n"+
		"Press Ctrl-C to stop.\n", kubeconfig, final.Name)
	select {
	case <-ctx.Done():
	case err := <-exited:
		return fmt.Errorf("the operator exited (see .demo/manager.log): %w", err)
	}
	fmt.Println("\nStopping.")
	return nil
}

// follow prints a line whenever the object's phase or progress changes and
// returns it once it reached a final phase.
func follow(ctx context.Context, k8s client.Client, key client.ObjectKey, exited <-chan error, timeout time.Duration) (*eciv1.ContainerCommit, error) {
	deadline := time.After(timeout)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	last := ""
	obj := &eciv1.ContainerCommit{}
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case err := <-exited:
			return nil, fmt.Errorf("the operator exited early (see .demo/manager.log): %w", err)
		case <-deadline:
			return nil, fmt.Errorf("the sample did not finish within %s (see .demo/manager.log)", timeout)
		case <-tick.C:
		}
		if err := k8s.Get(ctx, key, obj); err != nil {
			return nil, err
		}
		s := obj.Status
		line := fmt.Sprintf("   containercommit/%s  phase=%-10s progress=%-5s task=%s", obj.Name, orDash(string(s.Phase)), orDash(s.Progress), orDash(s.TaskID))
		if line != last {
			fmt.Printf("%s  %s\n", time.Now().Format("15:04:05"), line[3:])
			last = line
		}
		if s.Phase.IsFinished() {
			return obj, nil
		}
	}
}

func readSample(path string) (*eciv1.ContainerCommit, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	obj := &eciv1.ContainerCommit{}
	if err := yaml.UnmarshalStrict(data, obj); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if obj.Spec.RegionID == "" {
		return nil, errors.New(path + ": the demo needs spec.regionId")
	}
	return obj, nil
}

func readyMessage(obj *eciv1.ContainerCommit) string {
	for _, c := range obj.Status.Conditions {
		if c.Type == eciv1.ConditionReady {
			return c.Message
		}
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func step(msg string) { fmt.Printf("==> %s\n", msg) }
