#!/usr/bin/env bash
# Prints the directory of a Go module version in the module cache, downloading it from the
# module proxy first if needed. Tests use it to install upstream CRD manifests (Istio,
# Velero, the CSI snapshotter) from their projects' own modules without depending on them.
#
# Usage: hack/module-dir.sh MODULE@VERSION
set -euo pipefail
dir=$(cd "${TMPDIR:-/tmp}" && GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -n $dir ]] || { echo "module-dir: could not download $1" >&2; exit 1; }
echo "$dir"
