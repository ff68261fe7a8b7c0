// Package e2e installs the Helm chart into a local control plane and runs the operator
// with exactly the chart's permissions, then checks the demo estate end to end; it also
// runs `make demo`'s program twice.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/demo"
	"github.com/isms-operator/isms-operator/internal/testenv"
)

const (
	release   = "isms-operator"
	namespace = "isms-system"
	chartPath = "charts/isms-operator"
	// kubeVersion is the version helm lint and template assume (the local control plane's).
	kubeVersion = "1.37.2"
)

var (
	env        *testenv.Env
	kubeconfig string
	// operator is the operator binary, built once for the package.
	operator string
)

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, testenv.Options{SkipCRDs: true, EndpointRouting: true, UpstreamCRDs: []testenv.UpstreamCRDs{testenv.UpstreamVelero, testenv.UpstreamSnapshots}}, &env,
		func(ctx context.Context, e *testenv.Env) error {
			dir, err := os.MkdirTemp("", "isms-e2e-")
			if err != nil {
				return err
			}
			if kubeconfig, err = e.WriteKubeconfig(filepath.Join(dir, "kubeconfig")); err != nil {
				return err
			}
			operator = filepath.Join(dir, "isms-operator")
			build := exec.CommandContext(ctx, "go", "build", "-o", operator, ".")
			build.Dir = testenv.RepoRoot()
			if out, err := build.CombinedOutput(); err != nil {
				return fmt.Errorf("building the operator: %w\n%s", err, out)
			}
			return nil
		}))
}

// run runs a command from the repository's top directory and returns its output.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := runErr(name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return out
}

func runErr(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = testenv.RepoRoot()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// helm runs the helm built into bin/ (HELM, set by `make test`) against the control plane.
func helm(t *testing.T, args ...string) string {
	t.Helper()
	return run(t, helmPath(t), append([]string{"--kubeconfig", kubeconfig}, args...)...)
}

func helmPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("HELM")
	if path == "" {
		t.Fatal("HELM is not set: run the tests with `make test`, which builds helm into bin/")
	}
	return path
}

// allOptions turns on every optional part of the chart.
var allOptions = []string{"--set", "webhook.certManager.enabled=true,metrics.serviceMonitor.enabled=true,metrics.prometheusRule.enabled=true,metrics.dashboard.enabled=true,replicaCount=2"}

// manifests splits rendered YAML into objects, keyed by kind/name.
func manifests(t *testing.T, rendered string) map[string]map[string]any {
	t.Helper()
	objects := map[string]map[string]any{}
	for _, doc := range strings.Split(rendered, "\n---") {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatalf("rendered YAML does not parse: %v\n%s", err, doc)
		}
		if obj == nil {
			continue
		}
		metadata, _ := obj["metadata"].(map[string]any)
		objects[fmt.Sprintf("%s/%s", obj["kind"], metadata["name"])] = obj
	}
	return objects
}

func TestChartLintsAndRendersWithDefaultsAndEveryOption(t *testing.T) {
	for _, values := range [][]string{nil, allOptions} {
		helm(t, append([]string{"lint", chartPath, "--strict", "--kube-version", kubeVersion}, values...)...)
	}
	rendered := helm(t, "template", release, chartPath, "-n", namespace, "--kube-version", kubeVersion)
	// Argo CD and Flux render the chart on every sync: a rendering must not change by itself
	// (no generated certificates, no lookups).
	if again := helm(t, "template", release, chartPath, "-n", namespace, "--kube-version", kubeVersion); again != rendered {
		t.Error("two renderings of the same values differ; a GitOps tool would never sync")
	}
	objects := manifests(t, rendered)
	for _, want := range []string{"Deployment/isms-operator", "ClusterRole/isms-operator", "Role/isms-operator-leader-election",
		"Role/isms-operator-webhook-certificate", "ClusterRole/isms-operator-webhook-ca-bundle", "PodDisruptionBudget/isms-operator",
		"ClusterRole/isms-operator-metrics-reader", "ClusterRole/isms-operator-viewer", "ClusterRole/isms-operator-editor",
		"ClusterRole/isms-operator-risk-approver", "MutatingWebhookConfiguration/isms-operator", "ConfigMap/isms-operator-risk-appetite",
		"ValidatingAdmissionPolicy/isms-status-writer", "ValidatingAdmissionPolicyBinding/isms-status-writer",
		"ValidatingAdmissionPolicy/isms-detected-risks", "ValidatingAdmissionPolicy/isms-risk-acceptor", "ValidatingAdmissionPolicy/isms-risk-appetite",
		"ValidatingAdmissionPolicy/isms-incident-recorder", "ValidatingAdmissionPolicyBinding/isms-incident-recorder",
		"Service/isms-operator-metrics", "NetworkPolicy/isms-operator", "CustomResourceDefinition/risks.isms.nhs.uk"} {
		if objects[want] == nil {
			t.Errorf("the default rendering lacks %s", want)
		}
	}
	// The API server accepts every object of the default rendering (into a namespace that
	// exists, since a dry run creates none).
	inDefault := helm(t, "template", release, chartPath, "-n", "default", "--kube-version", kubeVersion)
	if out, err := env.Kubectl(strings.NewReader(inDefault), "apply", "--dry-run=server", "-f", "-"); err != nil {
		t.Errorf("the API server refuses the default rendering: %v\n%s", err, out)
	}
	everything := manifests(t, helm(t, append([]string{"template", release, chartPath, "-n", namespace, "--kube-version", kubeVersion}, allOptions...)...))
	for _, want := range []string{"Certificate/isms-operator-webhook", "Issuer/isms-operator-selfsigned", "ServiceMonitor/isms-operator",
		"PrometheusRule/isms-operator", "ConfigMap/isms-operator-dashboard"} {
		if everything[want] == nil {
			t.Errorf("the rendering with every option lacks %s", want)
		}
	}
	if objects["Secret/isms-operator-webhook-tls"] != nil || everything["Role/isms-operator-webhook-certificate"] != nil {
		t.Error("the chart renders a certificate Secret, or lets the operator make one while cert-manager does")
	}
	// The kustomize install renders, and the API server accepts it too (its objects moved to
	// a namespace that exists, since a dry run creates none).
	kustomized, err := env.Kubectl(nil, "kustomize", filepath.Join(testenv.RepoRoot(), "config", "default"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := env.Kubectl(strings.NewReader(strings.ReplaceAll(kustomized, "namespace: isms-system", "namespace: default")),
		"apply", "--dry-run=server", "-f", "-"); err != nil {
		t.Errorf("the API server refuses config/default: %v\n%s", err, out)
	}
	for key, obj := range manifests(t, kustomized) {
		if binding, ok := strings.CutPrefix(key, "ValidatingAdmissionPolicyBinding/"); ok {
			spec := obj["spec"].(map[string]any)
			if manifests(t, kustomized)["ValidatingAdmissionPolicy/"+fmt.Sprint(spec["policyName"])] == nil {
				t.Errorf("config/default's binding %s names policy %v, which it does not hold", binding, spec["policyName"])
			}
			if ref, ok := spec["paramRef"].(map[string]any); ok && ref["namespace"] != "isms-system" {
				t.Errorf("config/default's binding %s takes its parameter from namespace %v, want isms-system", binding, ref["namespace"])
			}
		}
	}
}

// TestKubeScoreFindsNothingCriticalInTheChart: kube-score, which trusts' platform teams
// run over what they install, reports no CRITICAL on the chart rendered with its defaults.
func TestKubeScoreFindsNothingCriticalInTheChart(t *testing.T) {
	kubeScore := os.Getenv("KUBE_SCORE")
	if kubeScore == "" {
		t.Fatal("KUBE_SCORE is not set: run the tests with `make test`, which builds kube-score into bin/")
	}
	rendered := filepath.Join(t.TempDir(), "chart.yaml")
	if err := os.WriteFile(rendered, []byte(helm(t, "template", release, chartPath, "-n", namespace, "--kube-version", kubeVersion)), 0o600); err != nil {
		t.Fatal(err)
	}
	// kube-score exits 1 on a CRITICAL finding; the ci format prints one finding per line.
	out, err := runErr(kubeScore, "score", "--output-format", "ci", rendered)
	var critical []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "[CRITICAL]") {
			critical = append(critical, line)
		}
	}
	if err != nil || len(critical) > 0 || !strings.Contains(out, "Deployment") {
		t.Errorf("kube-score on the default rendering: %v\n%s", err, strings.Join(append(critical, out), "\n"))
	}
}

func TestChartRefusesBadValuesNamingThem(t *testing.T) {
	for value, want := range map[string]string{
		"riskAppetite=30":                     "/riskAppetite",
		"ratingBands.high=8-40":               "/ratingBands/high",
		"incidents.reportableFrom.severity=6": "/incidents/reportableFrom/severity",
		"webhook.failurePolicy=Ignore":        "additional properties 'failurePolicy' not allowed",
		"metrics.enabeld=true":                "additional properties 'enabeld' not allowed",
		// Bands that leave a score unrated or run backwards crash-looped the operator.
		"ratingBands.high=9-12": "ratingBands: no band rates score 8",
		"ratingBands.low=5-1":   `ratingBands.low "5-1" runs backwards`,
		"image.digest=latest":   "/image/digest",
	} {
		out, err := runErr(helmPath(t), "template", release, chartPath, "--kube-version", kubeVersion, "--set", value)
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("--set %s: got %v\n%s\nwant a refusal naming %q", value, err, out, want)
		}
	}
}

// TestChartMatchesTheMarkers: the chart's CRDs and ClusterRole are what controller-gen
// generates from the markers (hack/genchart keeps them so; this proves it).
func TestChartMatchesTheMarkers(t *testing.T) {
	objects := manifests(t, helm(t, "template", release, chartPath, "-n", namespace, "--kube-version", kubeVersion))
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var generated map[string]any
	if err := yaml.Unmarshal(data, &generated); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(objects["ClusterRole/isms-operator"]["rules"]), fmt.Sprint(generated["rules"]); got != want {
		t.Errorf("the chart's ClusterRole rules differ from config/rbac/role.yaml:\nchart:  %s\nmarkers: %s", got, want)
	}
	crds, _ := filepath.Glob(filepath.Join(testenv.RepoRoot(), "config", "crd", "bases", "*.yaml"))
	for _, path := range crds {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var crd map[string]any
		if err := yaml.Unmarshal(data, &crd); err != nil {
			t.Fatal(err)
		}
		name := crd["metadata"].(map[string]any)["name"]
		inChart := objects[fmt.Sprintf("CustomResourceDefinition/%s", name)]
		if inChart == nil || fmt.Sprint(inChart["spec"]) != fmt.Sprint(crd["spec"]) {
			t.Errorf("the chart's CRD %s differs from %s", name, path)
		}
	}
	data, err = os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "admission", "policies.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	policies := manifests(t, string(data))
	for key, policy := range policies {
		if inChart := objects[key]; inChart == nil || fmt.Sprint(inChart["spec"]) != fmt.Sprint(policy["spec"]) {
			t.Errorf("the chart's %s differs from config/admission/policies.yaml", key)
		}
	}
	if len(policies) != 5 {
		t.Errorf("config/admission/policies.yaml holds %d policies, want 5", len(policies))
	}
}

// impersonating writes a kubeconfig that acts as the chart's ServiceAccount, so the
// operator runs with exactly the permissions the chart grants.
func impersonating(t *testing.T, serviceAccount string) string {
	t.Helper()
	config, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, auth := range config.AuthInfos {
		auth.Impersonate = fmt.Sprintf("system:serviceaccount:%s:%s", namespace, serviceAccount)
		auth.ImpersonateGroups = []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"}
	}
	path := filepath.Join(t.TempDir(), "operator.kubeconfig")
	if err := clientcmd.WriteToFile(*config, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHelmInstallAndRunWithTheChartsPermissions(t *testing.T) {
	ctx := context.Background()
	// The webhook would need the cluster to route to the operator, which runs on this
	// machine here; its behaviour is tested against envtest in controllers/.
	helm(t, "install", release, chartPath, "-n", namespace, "--create-namespace", "--set", "webhook.enabled=false")
	for _, name := range []string{"informationassets", "risks", "continuityplans"} {
		waitEstablished(t, name+".isms.nhs.uk")
	}

	cmd := exec.Command(operator, "--kubeconfig", impersonating(t, release),
		"--leader-elect", "--leader-election-namespace", namespace, "--enable-webhooks=false",
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0")
	cmd.Env = append(os.Environ(), "OPERATOR_NAMESPACE="+namespace, "OPERATOR_SERVICE_ACCOUNT="+release)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("operator log:\n%s", logs.String())
		}
	}()

	if err := demo.Apply(ctx, env.Client, func(files ...string) error {
		args := []string{"apply"}
		for _, f := range files {
			args = append(args, "-f", filepath.Join(testenv.RepoRoot(), f))
		}
		_, err := env.Kubectl(nil, args...)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := demo.Wait(ctx, env.Client, 90*time.Second); err != nil {
		t.Fatalf("the demo estate did not reach the expected state under the chart's permissions: %v", err)
	}
	plan := &isms.ContinuityPlan{}
	if err := env.Client.Get(ctx, types.NamespacedName{Namespace: "epr", Name: "epr-continuity"}, plan); err != nil {
		t.Fatal(err)
	}
	if !meta.IsStatusConditionTrue(plan.Status.Conditions, isms.ConditionReady) {
		t.Errorf("the continuity plan is not Ready: %+v", plan.Status.Conditions)
	}
	if strings.Contains(strings.ToLower(logs.String()), "forbidden") {
		t.Errorf("the operator was refused something under the chart's permissions:\n%s", logs.String())
	}

	assertLeastPrivilege(t)
	assertRegisterRules(t)
	assertReportOfTwoClusters(t)

	helm(t, "uninstall", release, "-n", namespace)
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := env.Client.Get(ctx, types.NamespacedName{Name: "risks.isms.nhs.uk"}, crd); err != nil {
		t.Errorf("uninstalling the chart deleted the Risk CRD (and with it the register): %v", err)
	}
	var risks isms.RiskList
	if err := env.Client.List(ctx, &risks); err != nil || len(risks.Items) == 0 {
		t.Errorf("after uninstalling, the register holds %d risks (%v); want them kept", len(risks.Items), err)
	}
}

// assertRegisterRules checks that the chart's admission policies hold in the installed
// cluster: even a cluster administrator cannot write the register's status, which the
// operator, as the chart's ServiceAccount, has been writing all along.
func assertRegisterRules(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	risks := &isms.RiskList{}
	if err := env.Client.List(ctx, risks); err != nil || len(risks.Items) == 0 {
		t.Fatalf("no risks to try (%v)", err)
	}
	risk := risks.Items[0]
	risk.Status.State = isms.StateClosed
	err := env.Client.Status().Update(ctx, &risk)
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "isms-status-writer") {
		t.Errorf("an administrator's write of a Risk's status: got %v, want it refused by the chart's isms-status-writer policy", err)
	}
}

func waitEstablished(t *testing.T, name string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := env.Client.Get(context.Background(), types.NamespacedName{Name: name}, crd); err == nil {
			for _, c := range crd.Status.Conditions {
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					return
				}
			}
		}
	}
	t.Fatalf("CRD %s was not established", name)
}

// assertLeastPrivilege checks the installed ClusterRole and Role: no verb on Secrets, no
// wildcard, no deletion, writes only to the operator's own kinds and Events (and the
// reviews that authenticate metrics scrapers, which store nothing), and Leases only in the
// release's namespace. Every other ClusterRole the chart binds to the operator names the
// objects it grants.
func assertLeastPrivilege(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	clusterRole := &rbacv1.ClusterRole{}
	if err := env.Client.Get(ctx, types.NamespacedName{Name: release}, clusterRole); err != nil {
		t.Fatal(err)
	}
	for _, rule := range clusterRole.Rules {
		own := slices.Equal(rule.APIGroups, []string{isms.GroupVersion.Group})
		for _, resource := range rule.Resources {
			if resource == "secrets" || strings.Contains(resource, "*") {
				t.Errorf("the ClusterRole grants %v on %q", rule.Verbs, resource)
			}
			review := resource == "tokenreviews" || resource == "subjectaccessreviews"
			for _, verb := range rule.Verbs {
				write := !slices.Contains([]string{"get", "list", "watch"}, verb)
				if verb == "*" || verb == "delete" || verb == "deletecollection" || (write && !own && resource != "events" && !(review && verb == "create")) {
					t.Errorf("the ClusterRole grants %q on %q (groups %v)", verb, resource, rule.APIGroups)
				}
			}
		}
	}
	role := &rbacv1.Role{}
	if err := env.Client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: release + "-leader-election"}, role); err != nil {
		t.Fatal(err)
	}
	for _, rule := range role.Rules {
		if !slices.Equal(rule.Resources, []string{"leases"}) {
			t.Errorf("the leader-election Role grants %v on %v; want leases only", rule.Verbs, rule.Resources)
		}
	}
	var bindings rbacv1.ClusterRoleBindingList
	if err := env.Client.List(ctx, &bindings, client.MatchingLabels{"app.kubernetes.io/instance": release}); err != nil {
		t.Fatal(err)
	}
	for _, binding := range bindings.Items {
		operatorBound := slices.ContainsFunc(binding.Subjects, func(s rbacv1.Subject) bool {
			return s.Kind == rbacv1.ServiceAccountKind && s.Name == release
		})
		if !operatorBound || binding.RoleRef.Name == release {
			continue
		}
		other := &rbacv1.ClusterRole{}
		if err := env.Client.Get(ctx, types.NamespacedName{Name: binding.RoleRef.Name}, other); err != nil {
			t.Fatal(err)
		}
		for _, rule := range other.Rules {
			if len(rule.ResourceNames) == 0 {
				t.Errorf("ClusterRole %s, bound to the operator, grants %v on every %v; want named objects only", other.Name, rule.Verbs, rule.Resources)
			}
		}
	}
}
