// Package testenv starts a real kube-apiserver and etcd (envtest) with the
// ContainerCommit CRD installed, for tests and the demo. The binaries are
// built from pinned Go modules by hack/build-tools.sh on first use.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// RepoRoot returns the repository's top folder.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// AssetsDir returns the folder holding kube-apiserver and etcd: the one
// KUBEBUILDER_ASSETS names, or the pinned build in bin/, building it first
// if needed.
func AssetsDir() (string, error) {
	return tool("KUBEBUILDER_ASSETS", "kube")
}

// Helm returns the path of the pinned helm binary (or $HELM).
func Helm() (string, error) { return tool("HELM", "helm") }

// Kustomize returns the path of the pinned kustomize binary (or $KUSTOMIZE).
func Kustomize() (string, error) { return tool("KUSTOMIZE", "kustomize") }

// tool returns what env names, or what hack/build-tools.sh builds for name.
func tool(env, name string) (string, error) {
	if path := os.Getenv(env); path != "" {
		return path, nil
	}
	cmd := exec.Command("bash", filepath.Join(RepoRoot(), "hack", "build-tools.sh"), name)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("building %s: %w", name, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Start runs an API server with the CRDs of config/crd/bases installed.
// Call Stop on the returned environment when done.
func Start() (*envtest.Environment, *rest.Config, error) {
	assets, err := AssetsDir()
	if err != nil {
		return nil, nil, err
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDInstallOptions: envtest.CRDInstallOptions{
			Paths:              []string{filepath.Join(RepoRoot(), "config", "crd", "bases")},
			ErrorIfPathMissing: true,
		},
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, nil, fmt.Errorf("starting kube-apiserver and etcd: %w", err)
	}
	return env, cfg, nil
}

// BuildManager builds the manager binary (the repository's main package)
// to path, passing extra flags to go build (such as -race).
func BuildManager(path string, flags ...string) error {
	args := append(append([]string{"build"}, flags...), "-o", path, ".")
	cmd := exec.Command("go", args...)
	cmd.Dir = RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the manager: %w\n%s", err, out)
	}
	return nil
}
