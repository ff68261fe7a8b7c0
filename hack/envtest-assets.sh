#!/usr/bin/env bash
# Builds the local control plane used by tests and the demo (kube-apiserver, etcd, kubectl)
# from the Go module proxy into DEST, and reuses it on later runs. No binary downloads: the
# Kubernetes binaries are compiled from k8s.io/kubernetes in a throw-away module whose
# staging modules (k8s.io/api, k8s.io/client-go, ...) are replaced by their published
# v0.X versions, because k8s.io/kubernetes itself points them at ./staging, which a module
# download does not contain.
#
# Usage: hack/envtest-assets.sh DEST KUBERNETES_VERSION ETCD_VERSION
set -euo pipefail

dest=$1 k8s_version=$2 etcd_version=$3
staging_version="v0.${k8s_version#v1.}"

if [[ -x $dest/kube-apiserver && -x $dest/etcd && -x $dest/kubectl ]]; then
  exit 0
fi
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "Building kube-apiserver and kubectl ${k8s_version} (a few minutes on a cold cache)..."
gomod=$(cd "$work" && go mod download -json "k8s.io/kubernetes@${k8s_version}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
mkdir -p "$work/k8s"
{
  echo "module isms-operator.local/k8s-build"
  echo
  echo "go $(go env GOVERSION | sed 's/^go//; s/^\([0-9]*\.[0-9]*\).*/\1/')"
  echo
  echo "replace ("
  sed -n "s#^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/src/k8s.io/.*#\t\1 => \1 ${staging_version}#p" "$gomod"
  echo ")"
} >"$work/k8s/go.mod"
version_flags="-X k8s.io/component-base/version.gitVersion=${k8s_version}"
version_flags+=" -X k8s.io/component-base/version.gitMajor=1"
version_flags+=" -X k8s.io/component-base/version.gitMinor=$(echo "$k8s_version" | cut -d. -f2)"
version_flags+=" -X k8s.io/client-go/pkg/version.gitVersion=${k8s_version}"
(
  cd "$work/k8s"
  go get "k8s.io/kubernetes@${k8s_version}" "k8s.io/kubernetes/cmd/kube-apiserver@${k8s_version}" "k8s.io/kubernetes/cmd/kubectl@${k8s_version}" >/dev/null
  go build -trimpath -ldflags "-s -w ${version_flags}" -o "$dest/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
  go build -trimpath -ldflags "-s -w ${version_flags}" -o "$dest/kubectl" k8s.io/kubernetes/cmd/kubectl
)

echo "Building etcd ${etcd_version}..."
mkdir -p "$work/etcd"
cat >"$work/etcd/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
(
  cd "$work/etcd"
  go mod init isms-operator.local/etcd-build >/dev/null 2>&1
  go get "go.etcd.io/etcd/server/v3@${etcd_version}" >/dev/null
  go mod tidy >/dev/null
  go build -trimpath -ldflags "-s -w" -o "$dest/etcd" .
)
echo "Local control plane binaries are in $dest"
