#!/usr/bin/env bash
# Builds the tools the tests and the demo need from pinned Go modules into
# bin/, once per version: nothing is downloaded as a prebuilt binary.
#   hack/build-tools.sh kube   -> bin/k8s/<version>/{kube-apiserver,etcd}
#   hack/build-tools.sh lint   -> bin/golangci-lint-<version>
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

kube_version=$(awk '$1 == "k8s.io/kubernetes" {print $2}' hack/tools/kube/go.mod)
lint_version=$(awk '$1 == "github.com/golangci/golangci-lint/v2" {print $2}' hack/tools/lint/go.mod)

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

build_lint() {
	local bin="bin/golangci-lint-${lint_version}"
	if [[ -x "$bin" ]]; then
		return
	fi
	echo ">> Building golangci-lint ${lint_version} from Go modules (once; about 2 minutes)." >&2
	(cd hack/tools/lint && go build -o "$root/$bin.tmp" github.com/golangci/golangci-lint/v2/cmd/golangci-lint)
	mv "$bin.tmp" "$bin"
}

case "${1:-}" in
kube) build_kube; echo "$root/bin/k8s/${kube_version}" ;;
lint) build_lint; echo "$root/bin/golangci-lint-${lint_version}" ;;
*) echo "usage: $0 kube|lint" >&2; exit 2 ;;
esac
