#!/usr/bin/env bash
# Builds the tools the tests and the demo need from pinned Go modules into
# bin/, once per version: nothing is downloaded as a prebuilt binary.
#   hack/build-tools.sh kube   -> bin/k8s/<version>/{kube-apiserver,etcd}
#   hack/build-tools.sh lint   -> bin/golangci-lint-<version>
#   hack/build-tools.sh helm   -> bin/helm-<version>
#   hack/build-tools.sh kustomize -> bin/kustomize-<version>
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

kube_version=$(awk '$1 == "k8s.io/kubernetes" {print $2}' hack/tools/kube/go.mod)
lint_version=$(awk '$1 == "github.com/golangci/golangci-lint/v2" {print $2}' hack/tools/lint/go.mod)
helm_version=$(awk '$1 == "helm.sh/helm/v4" {print $2}' hack/tools/helm/go.mod)
kustomize_version=$(awk '$1 == "sigs.k8s.io/kustomize/kustomize/v5" {print $2}' hack/tools/kustomize/go.mod)

# build_tool NAME VERSION MODULE_DIR PACKAGE MINUTES builds a tool module's
# command into bin/NAME-VERSION unless it is there already.
build_tool() {
	local bin="bin/$1-$2"
	if [[ ! -x "$bin" ]]; then
		echo ">> Building $1 $2 from Go modules (once; about $5 minutes)." >&2
		(cd "$3" && go build -o "$root/$bin.tmp" "$4")
		mv "$bin.tmp" "$bin"
	fi
	echo "$root/$bin"
}

build_kube() {
	local dir="bin/k8s/${kube_version}"
	if [[ -x "$dir/kube-apiserver" && -x "$dir/etcd" ]]; then
		return
	fi
	echo ">> Building kube-apiserver and etcd ${kube_version} from Go modules into $dir." >&2
	echo ">> This happens once per machine and takes about 5 minutes on 2 cores." >&2
	mkdir -p "$dir.tmp"
	(cd hack/tools/kube && go build -trimpath \
		-ldflags "-X k8s.io/component-base/version.gitVersion=${kube_version}" \
		-o "$root/$dir.tmp/" ./cmd/kube-apiserver ./cmd/etcd)
	rm -rf "$dir" && mv "$dir.tmp" "$dir"
}

case "${1:-}" in
kube) build_kube; echo "$root/bin/k8s/${kube_version}" ;;
lint) build_tool golangci-lint "$lint_version" hack/tools/lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint 2 ;;
helm) build_tool helm "$helm_version" hack/tools/helm helm.sh/helm/v4/cmd/helm 3 ;;
kustomize) build_tool kustomize "$kustomize_version" hack/tools/kustomize sigs.k8s.io/kustomize/kustomize/v5 1 ;;
*) echo "usage: $0 kube|lint|helm|kustomize" >&2; exit 2 ;;
esac
