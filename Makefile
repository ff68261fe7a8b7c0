# isms-operator. Every tool is pinned here and built from the Go module proxy into bin/,
# so a fresh machine needs nothing but Go. Run `make help` for the targets.

# Pinned versions: the only place they are set.
KUBERNETES_VERSION ?= v1.37.2
ETCD_VERSION ?= v3.7.3
CONTROLLER_TOOLS_VERSION ?= v0.23.0
HELM_VERSION ?= v3.22.0
# kube-score, the yardstick make bench-audit times the offline audit against.
KUBE_SCORE_VERSION ?= v1.20.0
# Upstream CRDs that integration tests install, from their projects' own Go modules (the
# CSI snapshotter's and the Gateway API's are the versions go.mod already requires, for
# their Go types).
ISTIO_API_VERSION ?= v1.31.4
VELERO_VERSION ?= v1.18.3
# The ServiceMonitor and PrometheusRule CRDs the chart's e2e test installs.
PROMETHEUS_OPERATOR_VERSION ?= v0.85.0

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

LOCALBIN ?= $(CURDIR)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
# The local control plane for tests and the demo: kube-apiserver, etcd and kubectl.
ENVTEST_ASSETS ?= $(LOCALBIN)/k8s/kube-$(KUBERNETES_VERSION)-etcd-$(ETCD_VERSION)
KUBECTL ?= $(ENVTEST_ASSETS)/kubectl
HELM ?= $(LOCALBIN)/helm-$(HELM_VERSION)
KUBE_SCORE ?= $(LOCALBIN)/kube-score-$(KUBE_SCORE_VERSION)

# The build's version and commit, stamped into the binary (isms-operator --version,
# isms_build_info) and the image's labels.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS := -X github.com/isms-operator/isms-operator/internal/version.Version=$(VERSION) -X github.com/isms-operator/isms-operator/internal/version.Revision=$(REVISION)
IMG ?= ghcr.io/isms-operator/isms-operator:$(VERSION)

# Arguments for `make run`, e.g. make run ARGS="--leader-elect".
ARGS ?=

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  %-14s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRDs, RBAC and webhook configuration (config/ and the Helm chart) from markers.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd webhook paths="{./,./api/...,./controllers,./internal/...}" output:crd:artifacts:config=config/crd/bases
	# The OpenReports writer's permissions are a role of their own, installed only when reports are on.
	$(CONTROLLER_GEN) rbac:roleName=openreports-role paths=./controllers/reports output:rbac:artifacts:config=config/rbac/openreports
	go run ./hack/genchart

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate DeepCopy methods from markers, and README.md's control table from the catalogue.
	$(CONTROLLER_GEN) object paths="./..."
	go run ./hack/gendocs README.md

.PHONY: verify
verify: $(CONTROLLER_GEN) ## Regenerate, tidy, format and vet; fail if that changed any file.
	hack/verify.sh

# Upstream CRD manifests for the tests and the demo, from their projects' Go modules.
UPSTREAM_CRDS = \
	ISTIO_CRDS="$$(hack/module-dir.sh istio.io/api@$(ISTIO_API_VERSION))/kubernetes/customresourcedefinitions.gen.yaml" \
	VELERO_CRDS="$$(hack/module-dir.sh github.com/vmware-tanzu/velero@$(VELERO_VERSION))/config/crd/v1/bases" \
	SNAPSHOT_CRDS="$$(go list -m -f '{{.Dir}}' github.com/kubernetes-csi/external-snapshotter/client/v8)/config/crd" \
	GATEWAY_CRDS="$$(go list -m -f '{{.Dir}}' sigs.k8s.io/gateway-api)/config/crd/standard" \
	MONITORING_CRDS="$$(hack/module-dir.sh github.com/prometheus-operator/prometheus-operator@$(PROMETHEUS_OPERATOR_VERSION))/example/prometheus-operator-crd" \
	OPENREPORTS_CRDS="$$(go list -m -f '{{.Dir}}' github.com/openreports/reports-api)/config/crd"

.PHONY: demo
demo: envtest build ## Run the operator on a local control plane with a demo estate; Ctrl-C stops it.
	go build -o $(LOCALBIN)/isms-demo ./hack/demo
	$(UPSTREAM_CRDS); KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" exec $(LOCALBIN)/isms-demo -operator $(LOCALBIN)/isms-operator \
		-crds "$$VELERO_CRDS,$$SNAPSHOT_CRDS/snapshot.storage.k8s.io_volumesnapshots.yaml,$$OPENREPORTS_CRDS"

# Arguments for `make bench`, e.g. BENCH_ARGS="-assets 100 -workloads 1000 -namespaces 10 -idle 10s";
# the README's shapes add -namespaces 1, -backups 10000, -burst 500, or 5x the assets and workloads.
BENCH_ARGS ?=

.PHONY: bench
bench: envtest build ## Measure the operator at trust scale (1,000 assets over 10,000 workloads); BENCH_ARGS for other shapes.
	$(UPSTREAM_CRDS) KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go run ./hack/bench -operator $(LOCALBIN)/isms-operator $(BENCH_ARGS)

# Arguments for `make bench-audit`, e.g. BENCH_AUDIT_ARGS="-deployments 500 -runs 3".
BENCH_AUDIT_ARGS ?=

.PHONY: bench-audit
bench-audit: build $(KUBE_SCORE) ## Time `isms-operator audit` against kube-score on the same 2,000-Deployment estate.
	go run ./hack/benchaudit -audit $(LOCALBIN)/isms-operator -kube-score $(KUBE_SCORE) $(BENCH_AUDIT_ARGS)

.PHONY: test
test: verify envtest helm $(KUBE_SCORE) ## Run every test: unit, integration against a real kube-apiserver and etcd, and e2e (Helm, kube-score).
	$(UPSTREAM_CRDS) KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" HELM="$(HELM)" KUBE_SCORE="$(KUBE_SCORE)" go test -count=1 ./...

##@ Build

.PHONY: build
build: ## Build the operator binary into bin/isms-operator, stamped with VERSION and REVISION.
	go build -ldflags "$(LDFLAGS)" -o $(LOCALBIN)/isms-operator .

.PHONY: image
image: ## Build the container image IMG with docker (or DOCKER=podman), stamped with VERSION and REVISION.
	$${DOCKER:-docker} build --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) -t $(IMG) .

.PHONY: run
run: ## Run the operator against the current kubeconfig (no admission webhook: the API server cannot reach it).
	go run . --enable-webhooks=false $(ARGS)

##@ Deployment

.PHONY: install
install: $(KUBECTL) ## Install the CRDs into the cluster of the current kubeconfig.
	$(KUBECTL) apply --server-side -k config/crd

.PHONY: uninstall
uninstall: $(KUBECTL) ## Remove the CRDs (and with them every asset, risk and plan!) from the current cluster.
	$(KUBECTL) delete --ignore-not-found -k config/crd

##@ Tools

.PHONY: envtest
envtest: $(ENVTEST_ASSETS)/kube-apiserver ## Build the local control plane binaries into bin/k8s (once).

$(ENVTEST_ASSETS)/kube-apiserver $(KUBECTL) &:
	hack/envtest-assets.sh "$(ENVTEST_ASSETS)" $(KUBERNETES_VERSION) $(ETCD_VERSION)

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Build controller-gen into bin/ (once).

$(CONTROLLER_GEN):
	$(call go-install,sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION),controller-gen)

.PHONY: helm
helm: $(HELM) ## Build helm into bin/ (once).

$(HELM):
	$(call go-install,helm.sh/helm/v3/cmd/helm@$(HELM_VERSION),helm)

$(KUBE_SCORE):
	$(call go-install,github.com/zegl/kube-score/cmd/kube-score@$(KUBE_SCORE_VERSION),kube-score)

# go-install builds a pinned tool from the Go module proxy into bin/, named with its version
# so that a version change builds it again and a second run reuses it.
define go-install
	mkdir -p $(LOCALBIN)
	GOBIN=$(LOCALBIN)/.install-$(2) go install $(1)
	mv $(LOCALBIN)/.install-$(2)/$(2) $@ && rmdir $(LOCALBIN)/.install-$(2)
endef
