#!/usr/bin/env bash
# Fails when the generated files (CRD, RBAC, DeepCopy) differ from what
# `make manifests generate` makes of the current source. It compares with
# the working tree as it was before regenerating, so it works the same on a
# clean clone in CI and on a checkout with uncommitted changes.
set -euo pipefail
cd "$(dirname "$0")/.."

generated=(config/crd/bases config/rbac/role.yaml api/v1alpha1/zz_generated.deepcopy.go
	charts/eci-commit-operator/templates/crds.yaml charts/eci-commit-operator/templates/clusterrole.yaml)
before=$(mktemp -d)
trap 'rm -rf "$before"' EXIT
for path in "${generated[@]}"; do
	mkdir -p "$before/$(dirname "$path")"
	cp -R "$path" "$before/$path"
done

make --no-print-directory manifests generate >/dev/null

status=0
for path in "${generated[@]}"; do
	if ! diff -ru "$before/$path" "$path"; then
		status=1
	fi
done
if [[ $status -ne 0 ]]; then
	echo "Generated files were out of date and have been regenerated: review and commit them." >&2
fi
exit $status
