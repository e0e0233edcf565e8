package security

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/internal/testenv"
)

// startAPIServer starts envtest and writes a kubeconfig for it into dir.
func startAPIServer(t *testing.T, dir string) (*rest.Config, string) {
	t.Helper()
	env, cfg, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, env.KubeConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, kubeconfig
}

// manager is the manager binary running as a child process.
type manager struct {
	cmd     *exec.Cmd
	log     *os.File
	logPath string
	stopped bool
}

// startManager builds the manager into dir and runs it with args and env
// (env nil inherits this process's), logging to a file.
func startManager(t *testing.T, dir string, env []string, args ...string) *manager {
	t.Helper()
	bin := filepath.Join(dir, "manager")
	if err := testenv.BuildManager(bin); err != nil {
		t.Fatal(err)
	}
	m := &manager{logPath: filepath.Join(dir, "manager.log")}
	var err error
	if m.log, err = os.Create(m.logPath); err != nil {
		t.Fatal(err)
	}
	m.cmd = exec.Command(bin, args...)
	m.cmd.Env = env
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.stop)
	return m
}

// stop ends the manager with SIGTERM and waits, so that its log is complete.
func (m *manager) stop() {
	if m.stopped {
		return
	}
	m.stopped = true
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	_ = m.cmd.Wait()
	_ = m.log.Close()
}

// logs stops the manager and returns everything it logged.
func (m *manager) logs(t *testing.T) string {
	t.Helper()
	m.stop()
	data, err := os.ReadFile(m.logPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// waitForPhase polls obj until it reaches want, failing with the manager's
// log if it ends otherwise or takes over a minute.
func waitForPhase(t *testing.T, k8s client.Client, m *manager, obj *eciv1.ContainerCommit, want eciv1.Phase) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for obj.Status.Phase != want {
		if obj.Status.Phase.IsFinished() || time.Now().After(deadline) {
			t.Fatalf("%s/%s: %+v\n%s", obj.Namespace, obj.Name, obj.Status, tail(m.logs(t)))
		}
		time.Sleep(100 * time.Millisecond)
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			t.Fatal(err)
		}
	}
}

func tail(s string) string {
	if len(s) > 4000 {
		return s[len(s)-4000:]
	}
	return s
}
