package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, testenv.Options{}, &env))
}

// defaultOptions returns the options the flags give by default, without webhooks (their
// certificates exist only in a cluster).
func defaultOptions(t *testing.T, args ...string) options {
	t.Helper()
	var opts options
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	opts.bindFlags(fs)
	if err := fs.Parse(append([]string{"--enable-webhooks=false"}, args...)); err != nil {
		t.Fatal(err)
	}
	return opts
}

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// get polls url until it answers 200 OK or the deadline passes, and returns the body.
func get(t *testing.T, url string) string {
	t.Helper()
	var last string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(url)
		if err != nil {
			last = err.Error()
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return string(body)
		}
		last = fmt.Sprintf("%s: %s", resp.Status, body)
	}
	t.Fatalf("GET %s did not answer 200 OK: %s", url, last)
	return ""
}

func TestManagerServesProbesMetricsAndElectsALeader(t *testing.T) {
	ns := env.Namespace(t)
	opts := defaultOptions(t)
	opts.metricsAddr, opts.probeAddr = freeAddr(t), freeAddr(t)
	// Plain HTTP, the explicit option; the e2e tests scrape the HTTPS default with a token.
	opts.metricsSecure = false
	opts.leaderElect, opts.leaderElectionNamespace = true, ns
	mgr, err := newManager(context.Background(), env.Config, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error)
	go func() { stopped <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-stopped; err != nil {
			t.Errorf("manager stopped with an error: %v", err)
		}
	})

	get(t, "http://"+opts.probeAddr+"/healthz")
	get(t, "http://"+opts.probeAddr+"/readyz")
	metrics := get(t, "http://"+opts.metricsAddr+"/metrics")
	if !strings.Contains(metrics, "rest_client_requests_total") {
		t.Errorf("metrics lack client-go's request counter:\n%s", metrics)
	}
	select {
	case <-mgr.Elected():
	case <-time.After(30 * time.Second):
		t.Fatal("the manager was not elected leader within 30s")
	}
	// The operator's own metrics: an asset's controls, the register by rating and state.
	asset := &isms.InformationAsset{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "staff-records"},
		Spec: isms.InformationAssetSpec{Owner: isms.Person{Name: "Sam Patel"}, Classification: isms.ClassificationOfficial,
			Criticality: isms.CriticalityLow, Selector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "hr"}}}}
	risk := &isms.Risk{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "supplier-exit"},
		Spec: isms.RiskSpec{Title: "Supplier leaves the market", Source: isms.SourceDeclared, Owner: isms.Person{Name: "Sam Patel"},
			Likelihood: 2, Consequence: 3}}
	for _, obj := range []client.Object{asset, risk} {
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{
		fmt.Sprintf(`isms_control_failing{asset="staff-records",control="GOV-01",level="Required",namespace="%s"} 0`, ns),
		fmt.Sprintf(`isms_risks{namespace="%s",rating="Moderate",state="Open"} 1`, ns),
		"isms_evaluation_duration_seconds_count",
	} {
		eventuallyMetric(t, "http://"+opts.metricsAddr+"/metrics", want)
	}

	lease := &coordinationv1.Lease{}
	if err := env.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: leaderElectionID}, lease); err != nil {
		t.Fatalf("leader-election Lease: %v", err)
	}
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Errorf("Lease %s has no holder: %+v", leaderElectionID, lease.Spec)
	}
}

// eventuallyMetric polls the metrics endpoint until it serves a line starting with want.
func eventuallyMetric(t *testing.T, url, want string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if strings.Contains("\n"+get(t, url), "\n"+want) {
			return
		}
	}
	t.Errorf("the metrics never served %q", want)
}

func TestManagerRefusesAClusterWithoutTheCRDs(t *testing.T) {
	bare, err := testenv.Start(testenv.Options{SkipCRDs: true})
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Stop()
	opts := defaultOptions(t)
	opts.metricsAddr, opts.probeAddr = "0", "0"
	_, err = newManager(context.Background(), bare.Config, opts)
	if err == nil || !strings.Contains(err.Error(), "CRDs are not installed") || !strings.Contains(err.Error(), "make install") {
		t.Fatalf("newManager on a cluster without the CRDs: got %v, want an error that names the remedy", err)
	}
}

func TestKustomizeConfigAppliesToARealAPIServer(t *testing.T) {
	out, err := env.Kubectl(nil, "apply", "--server-side", "--force-conflicts", "-k", filepath.Join(testenv.RepoRoot(), "config", "default"))
	if err != nil {
		t.Fatalf("kubectl apply -k config/default: %v\n%s", err, out)
	}
	for _, want := range []string{
		"deployment.apps/isms-operator-controller-manager",
		"clusterrole.rbac.authorization.k8s.io/isms-operator-manager-role",
		"role.rbac.authorization.k8s.io/isms-operator-leader-election-role",
		"customresourcedefinition.apiextensions.k8s.io/informationassets.isms.nhs.uk",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl apply did not apply %s:\n%s", want, out)
		}
	}
}

// TestClusterRoleIsReadOnlyAndNeverTouchesSecrets checks the ClusterRole generated from
// the RBAC markers: no verb on Secrets, no wildcards, writes only to the operator's own
// kinds and to Events, and no deletion at all (the register is its own audit trail). The
// one other write is asking the API server who a metrics scraper is and whether it may
// read /metrics (TokenReview, SubjectAccessReview), which stores nothing.
func TestClusterRoleIsReadOnlyAndNeverTouchesSecrets(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.Unmarshal(data, role); err != nil {
		t.Fatal(err)
	}
	if len(role.Rules) == 0 {
		t.Fatal("the generated ClusterRole has no rules")
	}
	readOnly := []string{"get", "list", "watch"}
	for _, rule := range role.Rules {
		for _, resource := range rule.Resources {
			if resource == "secrets" || strings.Contains(resource, "*") {
				t.Errorf("rule %+v grants %q", rule, resource)
			}
			writable := resource == "events" || slices.Equal(rule.APIGroups, []string{"isms.nhs.uk"})
			if review := resource == "tokenreviews" || resource == "subjectaccessreviews"; review {
				if !slices.Equal(rule.Verbs, []string{"create"}) {
					t.Errorf("rule %+v grants %v on %q; want create only", rule, rule.Verbs, resource)
				}
				continue
			}
			for _, verb := range rule.Verbs {
				if verb == "*" || verb == "delete" || verb == "deletecollection" || (!writable && !slices.Contains(readOnly, verb)) {
					t.Errorf("rule %+v grants %q on %q; only reads are allowed outside the operator's own kinds and Events, and no deletes", rule, verb, resource)
				}
			}
		}
	}
}

func TestBadFlagsAreRefusedNamingTheFlag(t *testing.T) {
	cases := map[string]struct {
		args []string
		want string
	}{
		"bands with a gap":        {[]string{"--rating-bands=Low=1-3,Moderate=5-6,High=8-12,Extreme=15-25"}, "--rating-bands: no band rates score 4"},
		"appetite above 25":       {[]string{"--risk-appetite=30"}, "--risk-appetite must be a score from 1 to 25"},
		"severity off the grid":   {[]string{"--incident-reportable-severity=6"}, "--incident-reportable-severity must be a grade of the notification grid, 1 to 5"},
		"likelihood off the grid": {[]string{"--incident-reportable-likelihood=0"}, "--incident-reportable-likelihood must be a grade of the notification grid, 1 to 5"},
		"exempt subject unknown":  {[]string{"--exempt-subjects=Robot:r2d2"}, "kind must be User, Group or ServiceAccount"},
		"service account no ns":   {[]string{"--exempt-subjects=ServiceAccount:ops"}, "want ServiceAccount:namespace:name"},
		"namespace not a name":    {[]string{"--watch-namespaces=ward-a,Ward_B"}, `--watch-namespaces: "Ward_B" is not a namespace name`},
		"nothing left to watch":   {[]string{"--watch-namespaces=ward-a", "--exclude-namespaces=ward-a"}, "the operator would watch nothing"},
		"certificates unknown":    {[]string{"--enable-webhooks", "--webhook-certificates=helm"}, `--webhook-certificates must be "files" or "operator"`},
		"operator certs no name":  {[]string{"--enable-webhooks", "--webhook-certificates=operator"}, "--webhook-certificates=operator needs --webhook-secret"},
	}
	for name, tc := range cases {
		opts := defaultOptions(t, tc.args...)
		_, err := opts.config()
		if err == nil {
			_, err = opts.certificateKeeper()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", name, err, tc.want)
		}
	}
	if _, err := defaultOptions(t).config(); err != nil {
		t.Errorf("the default flags are refused: %v", err)
	}
}

// TestDockerfileBuildsWhatTheBinaryNeeds: the image copies every directory of the
// repository the binary is built from (a package left out fails only when an image is
// built, which this machine cannot do), pins its base images by digest, stamps the
// version, and labels the image as OCI tools expect.
func TestDockerfileBuildsWhatTheBinaryNeeds(t *testing.T) {
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := string(data)
	var copied []string
	for _, line := range strings.Split(dockerfile, "\n") {
		if fields := strings.Fields(line); len(fields) >= 3 && fields[0] == "COPY" && !strings.HasPrefix(fields[1], "--from") {
			copied = append(copied, fields[1:len(fields)-1]...)
		}
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue // a module dependency
		}
		if rel == "." {
			rel = "main.go"
		}
		if !slices.ContainsFunc(copied, func(c string) bool { return rel == strings.TrimSuffix(c, "/") || strings.HasPrefix(rel+"/", c) }) {
			t.Errorf("the binary is built from %s, which the Dockerfile does not COPY (it copies %v)", rel, copied)
		}
	}
	for _, line := range strings.Split(dockerfile, "\n") {
		if strings.HasPrefix(line, "FROM ") && !regexp.MustCompile(`^FROM \S+@sha256:[0-9a-f]{64}( |$)`).MatchString(line) {
			t.Errorf("base image not pinned by digest: %s", line)
		}
	}
	for _, want := range []string{"internal/version.Version=${VERSION}", "internal/version.Revision=${REVISION}",
		"org.opencontainers.image.source", "org.opencontainers.image.version", "org.opencontainers.image.revision", "org.opencontainers.image.licenses", "USER 65532"} {
		if !strings.Contains(dockerfile, want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
}

// TestMakeBuildStampsTheVersion: the binary `make build` makes says which release and
// commit it is (it said "(devel)" before).
func TestMakeBuildStampsTheVersion(t *testing.T) {
	bin := t.TempDir()
	if out, err := exec.Command("make", "-s", "build", "LOCALBIN="+bin, "VERSION=v0.2.0-test", "REVISION=0123abc").CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	out, err := exec.Command(filepath.Join(bin, "isms-operator"), "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "isms-operator v0.2.0-test (revision 0123abc, go") {
		t.Errorf("isms-operator --version: %v\n%s", err, out)
	}
}
