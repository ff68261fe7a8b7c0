package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/incidents"
	"github.com/isms-operator/isms-operator/internal/register"
	"github.com/isms-operator/isms-operator/internal/testenv"
)

// previousChart is the chart as released before this one (testdata/README.md).
const previousChart = "test/e2e/testdata/isms-operator-0.1.0.tgz"

// replica is an operator process run as the chart's Deployment runs it: the rendered
// container's arguments and environment, as the chart's ServiceAccount, with its ports
// moved so that several run on this machine.
type replica struct {
	cmd                          *exec.Cmd
	logs                         *bytes.Buffer
	webhookPort                  int
	metricsAddr, probeAddr, name string
}

// startReplica runs the operator with the Deployment's arguments (and extra ones, which
// win), and returns once it is ready.
func startReplica(t *testing.T, name string, deployment *appsv1.Deployment, extra ...string) *replica {
	t.Helper()
	r := &replica{logs: &bytes.Buffer{}, name: name, webhookPort: freePort(t),
		metricsAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t)), probeAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t))}
	container := deployment.Spec.Template.Spec.Containers[0]
	args := append(slices.Clone(container.Args), "--kubeconfig", impersonating(t, release),
		"--metrics-bind-address", r.metricsAddr, "--health-probe-bind-address", r.probeAddr,
		"--webhook-port", strconv.Itoa(r.webhookPort), "--leader-election-namespace", namespace)
	r.cmd = exec.Command(operator, append(args, extra...)...)
	r.cmd.Env = append(os.Environ(), "OPERATOR_NAMESPACE="+namespace, "OPERATOR_SERVICE_ACCOUNT="+release)
	r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.stop()
		if t.Failed() {
			t.Logf("replica %s's log:\n%s", name, r.logs.String())
		}
	})
	eventuallyE2E(t, 90*time.Second, func() error {
		resp, err := http.Get("http://" + r.probeAddr + "/readyz?verbose")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("replica %s is not ready: %s", name, body)
		}
		return nil
	})
	return r
}

// stop stops the replica as Kubernetes stops a pod: SIGTERM, then wait.
func (r *replica) stop() {
	if r.cmd.ProcessState == nil {
		_ = r.cmd.Process.Signal(os.Interrupt)
		_ = r.cmd.Wait()
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// hostAddress is an address of this machine that the API server can be sent to as a
// webhook endpoint: Kubernetes refuses loopback addresses in EndpointSlices.
func hostAddress(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if ip, ok := a.(*net.IPNet); ok && ip.IP.To4() != nil && !ip.IP.IsLoopback() && !ip.IP.IsLinkLocalUnicast() {
			return ip.IP.String()
		}
	}
	t.Fatal("this machine has no non-loopback IPv4 address to route the webhook's Service to")
	return ""
}

// routeWebhook points the webhook's Service at a replica, as the endpoints controller does
// for a ready pod: the API server (with endpoint routing) calls the replica there,
// verifying its certificate for the Service's name.
func routeWebhook(t *testing.T, name, address string, port int) *discoveryv1.EndpointSlice {
	t.Helper()
	slice := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: release + "-webhook-" + name,
		Labels: map[string]string{discoveryv1.LabelServiceName: release + "-webhook"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{address}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("webhook"), Port: ptr.To(int32(port))}}}
	if err := env.Client.Create(context.Background(), slice); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), slice) })
	return slice
}

func eventuallyE2E(t *testing.T, timeout time.Duration, check func() error) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if err = check(); err == nil {
			return
		}
	}
	t.Fatal(err)
}

// renderedDeployment is the Deployment the installed release holds.
func renderedDeployment(t *testing.T) *appsv1.Deployment {
	t.Helper()
	deployment := &appsv1.Deployment{}
	if err := env.Client.Get(context.Background(), types.NamespacedName{Namespace: namespace, Name: release}, deployment); err != nil {
		t.Fatal(err)
	}
	return deployment
}

// userWith returns a client acting as user, bound to the release's ClusterRole named role.
func userWith(t *testing.T, user, role string) client.Client {
	t.Helper()
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "e2e-" + user},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: release + "-" + role},
		Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}}}
	if err := env.Client.Create(context.Background(), binding); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), binding) })
	c, err := env.As(user)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestUpgradeToAProductionInstall installs the chart as released before, with an estate
// and a register, upgrades it to this chart with every optional feature on, and runs two
// replicas as the chart's Deployment would: the register survives the upgrade; the
// replicas make and trust their own webhook certificate; people's roles and the approve
// rule hold; metrics are served only to an authorized scraper; the alerts parse and name
// only metrics the operator exports; and the webhook keeps answering while one replica
// goes away.
func TestUpgradeToAProductionInstall(t *testing.T) {
	ctx := context.Background()
	if err := env.Install(testenv.UpstreamMonitoring); err != nil {
		t.Fatal(err)
	}
	host := hostAddress(t)

	// A cluster on the previous release has no SecurityIncident CRD (this package's
	// earlier installs keep theirs).
	incidentCRD := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: "securityincidents.isms.nhs.uk"}}
	if err := env.Client.Delete(ctx, incidentCRD); client.IgnoreNotFound(err) != nil {
		t.Fatal(err)
	}
	eventuallyE2E(t, 30*time.Second, func() error {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(incidentCRD), incidentCRD); !apierrors.IsNotFound(err) {
			return fmt.Errorf("the SecurityIncident CRD is still there (%v)", err)
		}
		return nil
	})

	// The previous release, its webhook served by the operator from the certificate Helm
	// generated for it, and an estate whose drift raised a Risk.
	helm(t, "install", release, previousChart, "-n", namespace, "--create-namespace")
	t.Cleanup(func() { _, _ = runErr(helmPath(t), "--kubeconfig", kubeconfig, "uninstall", release, "-n", namespace) })
	for _, name := range []string{"informationassets", "risks", "continuityplans"} {
		waitEstablished(t, name+".isms.nhs.uk")
	}
	oldCerts := &corev1.Secret{}
	if err := env.Client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: release + "-webhook-tls"}, oldCerts); err != nil {
		t.Fatal(err)
	}
	certDir := t.TempDir()
	for _, key := range []string{"tls.crt", "tls.key"} {
		if err := os.WriteFile(filepath.Join(certDir, key), oldCerts.Data[key], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := startReplica(t, "previous", renderedDeployment(t), "--webhook-cert-dir", certDir, "--metrics-bind-address", "0")
	oldRoute := routeWebhook(t, "previous", host, old.webhookPort)
	estate := env.Namespace(t)
	asset, workload := env.DriftingAsset(t, estate)
	riskName := register.Name(asset.Name, isms.ControlPodSecurity)
	before := waitRisk(t, estate, riskName, isms.StateOpen)
	old.stop()
	_ = env.Client.Delete(ctx, oldRoute)

	// The upgrade, with every optional feature on.
	helm(t, "upgrade", release, chartPath, "-n", namespace, "--set",
		"metrics.serviceMonitor.enabled=true,metrics.prometheusRule.enabled=true,metrics.dashboard.enabled=true,"+
			"metrics.readers[0].kind=ServiceAccount,metrics.readers[0].name=prometheus,metrics.readers[0].namespace=monitoring")
	for _, name := range []string{"informationassets", "risks", "continuityplans", "securityincidents"} {
		waitEstablished(t, name+".isms.nhs.uk")
	}
	after := &isms.Risk{}
	if err := env.Client.Get(ctx, types.NamespacedName{Namespace: estate, Name: riskName}, after); err != nil {
		t.Fatalf("the register lost Risk %s in the upgrade: %v", riskName, err)
	}
	if after.UID != before.UID || len(after.Status.History) != len(before.Status.History) {
		t.Errorf("the upgrade changed Risk %s: uid %s -> %s, history %d -> %d entries", riskName, before.UID, after.UID, len(before.Status.History), len(after.Status.History))
	}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(asset), asset); err != nil {
		t.Fatalf("the upgrade lost InformationAsset %s: %v", asset.Name, err)
	}
	monitor := &unstructured.Unstructured{}
	monitor.SetAPIVersion("monitoring.coreos.com/v1")
	monitor.SetKind("ServiceMonitor")
	if err := env.Client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: release}, monitor); err != nil {
		t.Fatal(err)
	}
	if endpoints, _, _ := unstructured.NestedSlice(monitor.Object, "spec", "endpoints"); len(endpoints) != 1 ||
		endpoints[0].(map[string]any)["honorLabels"] != true || endpoints[0].(map[string]any)["scheme"] != "https" {
		t.Errorf("the ServiceMonitor's endpoints %v: want honorLabels and https", endpoints)
	}

	// Two replicas, as the chart's Deployment runs them, each routed to by the Service.
	deployment := renderedDeployment(t)
	if *deployment.Spec.Replicas != 2 {
		t.Errorf("the chart runs %d replicas, want 2", *deployment.Spec.Replicas)
	}
	first := startReplica(t, "first", deployment)
	second := startReplica(t, "second", deployment)
	firstRoute := routeWebhook(t, "first", host, first.webhookPort)
	routeWebhook(t, "second", host, second.webhookPort)

	// The replicas made the webhook's certificate and wrote its CA into the configuration.
	certs := &corev1.Secret{}
	if err := env.Client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: release + "-webhook-tls"}, certs); err != nil {
		t.Fatal(err)
	}
	if certs.Labels["app.kubernetes.io/managed-by"] != "isms-operator" {
		t.Errorf("the webhook's certificate Secret is not the operator's: labels %v", certs.Labels)
	}
	config := &admissionregistrationv1.MutatingWebhookConfiguration{}
	eventuallyE2E(t, 30*time.Second, func() error {
		if err := env.Client.Get(ctx, types.NamespacedName{Name: release}, config); err != nil {
			return err
		}
		for _, w := range config.Webhooks {
			if !bytes.Equal(w.ClientConfig.CABundle, certs.Data["ca.crt"]) {
				return fmt.Errorf("webhook %s does not trust the operator's CA yet", w.Name)
			}
		}
		return nil
	})
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(config.Webhooks[0].ClientConfig.CABundle)
	for _, r := range []*replica{first, second} {
		conn, err := tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", r.webhookPort),
			&tls.Config{RootCAs: roots, ServerName: release + "-webhook." + namespace + ".svc"})
		if err != nil {
			t.Fatalf("replica %s's webhook certificate does not verify for the Service's name: %v", r.name, err)
		}
		if proto := conn.ConnectionState().NegotiatedProtocol; proto == "h2" {
			t.Errorf("replica %s serves HTTP/2, which the chart leaves off", r.name)
		}
		conn.Close()
	}

	// People's roles: a risk owner may tolerate a risk (the webhook records them), an
	// editor may not, a viewer may only read.
	approver := userWith(t, "risk.owner@nhs.net", "risk-approver")
	editor := userWith(t, "platform.engineer@nhs.net", "editor")
	viewer := userWith(t, "ig.lead@nhs.net", "viewer")
	declared := &isms.Risk{ObjectMeta: metav1.ObjectMeta{Namespace: estate, Name: "supplier-exit"},
		Spec: isms.RiskSpec{Title: "Supplier leaves the market", Source: isms.SourceDeclared, Owner: isms.Person{Name: "Risk Owner"},
			Likelihood: 2, Consequence: 3}}
	if err := editor.Create(ctx, declared); err != nil {
		t.Fatalf("an editor could not declare a risk: %v", err)
	}
	tolerate := func(c client.Client) error {
		// The operator writes the new Risk's status meanwhile.
		return retry.RetryOnConflict(retry.DefaultRetry, func() error {
			risk := &isms.Risk{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(declared), risk); err != nil {
				return err
			}
			risk.Spec.Treatment = &isms.Treatment{Decision: isms.DecisionTolerate, Acceptance: &isms.Acceptance{
				Justification: "within the risk appetite; the supplier has a year's notice", Expires: metav1.NewTime(time.Now().Add(90 * 24 * time.Hour))}}
			return c.Update(ctx, risk)
		})
	}
	if err := tolerate(editor); !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "only a risk approver") {
		t.Errorf("an editor's Tolerate decision: got %v, want it refused by the approve rule", err)
	}
	if err := tolerate(approver); err != nil {
		t.Fatalf("the risk approver's Tolerate decision was refused: %v", err)
	}
	if err := viewer.Get(ctx, client.ObjectKeyFromObject(declared), &isms.Risk{}); err != nil {
		t.Errorf("a viewer could not read the register: %v", err)
	}
	if err := viewer.Create(ctx, &isms.Risk{ObjectMeta: metav1.ObjectMeta{Namespace: estate, Name: "viewer-risk"}, Spec: declared.Spec}); !apierrors.IsForbidden(err) {
		t.Errorf("a viewer's write: got %v, want it forbidden", err)
	}
	accepted := &isms.Risk{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(declared), accepted); err != nil {
		t.Fatal(err)
	}
	if by := accepted.Annotations[register.AnnotationAcceptedBy]; by != "risk.owner@nhs.net" {
		t.Errorf("the webhook recorded the acceptance as by %q, want the risk owner", by)
	}

	// An editor records an incident a board must hear of: reportable, aware four days ago,
	// not reported to the ICO.
	incident := &isms.SecurityIncident{ObjectMeta: metav1.ObjectMeta{Namespace: estate, Name: "rota-export-misdirected"},
		Spec: isms.SecurityIncidentSpec{Title: "Rota export emailed to the wrong trust", AssetRefs: []isms.LocalObjectReference{{Name: asset.Name}},
			DetectedAt: metav1.NewTime(time.Now().Add(-100 * time.Hour)), AwareAt: metav1.NewTime(time.Now().Add(-96 * time.Hour)),
			Reporter: isms.Person{Name: "Priya Shah"}, Affected: []isms.SecurityProperty{isms.PropertyConfidentiality},
			Grading: isms.IncidentGrading{Likelihood: 3, Severity: 3}}}
	if err := editor.Create(ctx, incident); err != nil {
		t.Fatalf("an editor could not record an incident: %v", err)
	}
	// Deciding not to report it is an approver's call, not an editor's.
	decide := func(c client.Client) error {
		return retry.RetryOnConflict(retry.DefaultRetry, func() error {
			current := &isms.SecurityIncident{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(incident), current); err != nil {
				return err
			}
			current.Spec.DecisionNotToNotify = &isms.NotificationDecision{Justification: "The rota held staff names only, no patient data.",
				DecidedBy: isms.Person{Name: "Data Protection Officer"}, DecidedAt: metav1.Now()}
			return c.Update(ctx, current)
		})
	}
	if err := decide(editor); !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "only an approver") {
		t.Errorf("an editor's decision not to report an incident: got %v, want it refused by isms-incident-recorder", err)
	}
	if err := decide(client.NewDryRunClient(approver)); err != nil {
		t.Errorf("the approver's decision not to report an incident was refused: %v", err)
	}

	assertLeastPrivilege(t)

	// Metrics: only for a scraper the metrics-reader ClusterRole is bound to.
	// Only the leader evaluates, so the asset series come from one replica or the other,
	// once it has been elected and evaluated the estate.
	var scrape string
	overdue := "\nisms_incident_notifications_overdue{namespace=\"" + estate + "\"} 1\n"
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		if scrape = checkMetricsAreProtected(t, first.metricsAddr) + checkMetricsAreProtected(t, second.metricsAddr); strings.Contains(scrape, "\nisms_asset_compliant{") &&
			strings.Contains(scrape, overdue) {
			break
		}
	}
	if !strings.Contains(scrape, overdue) {
		t.Fatalf("within 60 s, no replica's scrape counts the overdue incident (%q):\n%s", strings.TrimSpace(overdue), scrape)
	}
	checkAlertsNameExportedMetrics(t, scrape)

	// The editor records the report to the ICO: the webhook records who wrote it.
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		current := &isms.SecurityIncident{}
		if err := editor.Get(ctx, client.ObjectKeyFromObject(incident), current); err != nil {
			return err
		}
		current.Spec.Notifications = &isms.IncidentNotifications{ICO: &isms.RegulatorNotification{Reference: "DSPT-19-1234",
			NotifiedAt: metav1.Now(), NotifiedBy: isms.Person{Name: "Data Protection Officer"}}}
		return editor.Update(ctx, current)
	}); err != nil {
		t.Fatalf("an editor could not record the report to the ICO: %v", err)
	}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(incident), incident); err != nil {
		t.Fatal(err)
	}
	if by := incident.Annotations[incidents.AnnotationNotificationsRecordedBy]; by != "platform.engineer@nhs.net" {
		t.Errorf("the webhook recorded the report to the ICO as written by %q, want the editor", by)
	}

	// The webhook keeps answering while a replica goes, as when its node is drained: the
	// endpoints controller takes it out of the Service, Kubernetes stops it.
	var writes, failures atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 60 {
			risk := &isms.Risk{}
			err := env.Client.Get(ctx, client.ObjectKeyFromObject(declared), risk)
			if err == nil {
				risk.Spec.Description = fmt.Sprintf("reviewed at write %d", i)
				err = env.Client.Update(ctx, risk)
			}
			writes.Add(1)
			if err != nil && !apierrors.IsConflict(err) {
				failures.Add(1)
				t.Errorf("write %d while a replica went away: %v", i, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	time.Sleep(time.Second)
	if err := env.Client.Delete(ctx, firstRoute); err != nil {
		t.Fatal(err)
	}
	first.stop()
	<-done
	t.Logf("%d Risk writes through the webhook while a replica went away, %d failed", writes.Load(), failures.Load())

	// The remaining replica took over: drift is still seen and raised.
	env.SetPrivileged(t, workload, false)
	waitRisk(t, estate, riskName, isms.StateResolved)
}

// checkMetricsAreProtected scrapes a replica's metrics as an authorized scraper, an
// unauthorized one and an anonymous one, and returns the authorized scrape.
func checkMetricsAreProtected(t *testing.T, addr string) string {
	t.Helper()
	ctx := context.Background()
	clientset, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	token := func(ns, name string) string {
		_, _ = clientset.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if _, err := clientset.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		tr, err := clientset.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To(int64(600))}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Status.Token
	}
	insecure := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	get := func(bearer string) (int, string) {
		req, err := http.NewRequest(http.MethodGet, "https://"+addr+"/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := insecure.Do(req)
		if err != nil {
			t.Fatalf("scraping %s over HTTPS: %v", addr, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, _ := get(""); code != http.StatusUnauthorized {
		t.Errorf("an anonymous scrape got %d, want 401", code)
	}
	if code, _ := get(token(namespace, "intruder")); code != http.StatusForbidden {
		t.Errorf("a scrape by a ServiceAccount without the metrics-reader role got %d, want 403", code)
	}
	code, body := get(token("monitoring", "prometheus"))
	if code != http.StatusOK || !strings.Contains(body, "isms_build_info{") || !strings.Contains(body, "isms_scope_info{") {
		t.Fatalf("the authorized scrape got %d:\n%.500s", code, body)
	}
	return body
}

// checkAlertsNameExportedMetrics parses every expression of the installed PrometheusRule
// and checks that each metric it names is in the operator's scrape.
func checkAlertsNameExportedMetrics(t *testing.T, scrape string) {
	t.Helper()
	rule := &unstructured.Unstructured{}
	rule.SetAPIVersion("monitoring.coreos.com/v1")
	rule.SetKind("PrometheusRule")
	if err := env.Client.Get(context.Background(), types.NamespacedName{Namespace: namespace, Name: release}, rule); err != nil {
		t.Fatal(err)
	}
	groups, _, _ := unstructured.NestedSlice(rule.Object, "spec", "groups")
	alerts := 0
	for _, g := range groups {
		rules, _ := g.(map[string]any)["rules"].([]any)
		for _, r := range rules {
			r := r.(map[string]any)
			alerts++
			expr, err := parser.NewParser(parser.Options{}).ParseExpr(fmt.Sprint(r["expr"]))
			if err != nil {
				t.Errorf("alert %v: %v", r["alert"], err)
				continue
			}
			if keepsReplicaLabels(expr) {
				t.Errorf("alert %v keeps pod or instance in its series (%s): a rollout or a change of leader restarts its clock", r["alert"], expr)
			}
			if top, ok := topAggregation(expr); r["alert"] != "ISMSOperatorAbsent" && (!ok || !slices.Contains(top.Grouping, "namespace")) {
				t.Errorf("alert %v does not keep namespaces apart (%s)", r["alert"], expr)
			}
			for _, selector := range parser.ExtractSelectors(expr) {
				for _, matcher := range selector {
					if matcher.Name == "__name__" && !strings.Contains(scrape, "\n"+matcher.Value) {
						t.Errorf("alert %v names %s, which the operator does not export", r["alert"], matcher.Value)
					}
				}
			}
			annotations, _ := r["annotations"].(map[string]any)
			if url, _ := annotations["runbook_url"].(string); !strings.Contains(url, "#"+strings.ToLower(fmt.Sprint(r["alert"]))) {
				t.Errorf("alert %v's runbook_url %q does not point at its runbook", r["alert"], url)
			}
		}
	}
	if alerts != 4 {
		t.Errorf("the PrometheusRule holds %d alerts, want 4", alerts)
	}
}

// keepsReplicaLabels reports whether an expression's series may carry the pod or instance
// label of the replica scraped: a selector not aggregated away.
func keepsReplicaLabels(expr parser.Expr) bool {
	switch e := expr.(type) {
	case *parser.AggregateExpr:
		pod, instance := slices.Contains(e.Grouping, "pod"), slices.Contains(e.Grouping, "instance")
		if e.Without {
			return !pod || !instance
		}
		return pod || instance
	case *parser.BinaryExpr:
		return keepsReplicaLabels(e.LHS) || keepsReplicaLabels(e.RHS)
	case *parser.ParenExpr:
		return keepsReplicaLabels(e.Expr)
	case *parser.Call:
		return slices.ContainsFunc(e.Args, keepsReplicaLabels)
	case *parser.NumberLiteral:
		return false
	}
	return true // a selector, unaggregated
}

// topAggregation is the aggregation an alert's comparison applies to.
func topAggregation(expr parser.Expr) (*parser.AggregateExpr, bool) {
	switch e := expr.(type) {
	case *parser.AggregateExpr:
		return e, true
	case *parser.BinaryExpr:
		return topAggregation(e.LHS)
	case *parser.ParenExpr:
		return topAggregation(e.Expr)
	}
	return nil, false
}

func waitRisk(t *testing.T, ns, name string, state isms.RiskState) *isms.Risk {
	t.Helper()
	risk := &isms.Risk{}
	eventuallyE2E(t, 60*time.Second, func() error {
		if err := env.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, risk); err != nil {
			return err
		}
		if risk.Status.State != state {
			return fmt.Errorf("risk %s/%s is %q, want %s", ns, name, risk.Status.State, state)
		}
		return nil
	})
	return risk
}
