#!/usr/bin/env bash
# Regenerates every generated file, tidies go.mod, formats and vets, then fails if any of
# that changed a file. Changes already in the working tree are not held against it: it
# compares the tree before and after, so it can run before a commit as well as in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

snapshot() {
  git ls-files --cached --others --exclude-standard -z | xargs -0 -r sha256sum 2>/dev/null | sort -k2 || true
}

before=$(snapshot)
make -s manifests generate
go mod tidy
git ls-files --cached --others --exclude-standard -z '*.go' | xargs -0 -r gofmt -l -w
go vet ./...
after=$(snapshot)

if [[ "$before" != "$after" ]]; then
  echo "verify: these files are not up to date (regenerated, tidied or formatted):" >&2
  diff <(echo "$before") <(echo "$after") | sed -n 's/^> [0-9a-f]*  /  /p' >&2
  echo "verify: commit the changes above (make manifests generate; go mod tidy; gofmt -w)." >&2
  exit 1
fi
echo "verify: generated files, go.mod and formatting are up to date; go vet is clean."
