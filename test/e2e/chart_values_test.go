package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/yaml"

	"github.com/isms-operator/isms-operator/internal/testenv"
)

// renderedAs decodes the rendered object key (Kind/name) into obj.
func renderedAs(t *testing.T, objects map[string]map[string]any, key string, obj any) {
	t.Helper()
	if objects[key] == nil {
		t.Fatalf("the rendering lacks %s", key)
	}
	data, err := yaml.Marshal(objects[key])
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, obj); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
}

// TestChartDefaultsIsolateAndSpreadTheOperator: by default the replicas spread over nodes,
// and the NetworkPolicy admits the metrics port only from the monitoring namespace and the
// webhook port only from the peers given.
func TestChartDefaultsIsolateAndSpreadTheOperator(t *testing.T) {
	objects := manifests(t, helm(t, "template", release, chartPath, "-n", namespace, "--kube-version", kubeVersion,
		"--set", "networkPolicy.webhookFrom[0].ipBlock.cidr=10.0.0.0/24"))
	var deployment appsv1.Deployment
	renderedAs(t, objects, "Deployment/"+release, &deployment)
	if spread := deployment.Spec.Template.Spec.TopologySpreadConstraints; len(spread) != 1 || spread[0].TopologyKey != "kubernetes.io/hostname" {
		t.Errorf("the replicas' topology spread is %+v; want them spread over nodes", spread)
	}
	var policy networkingv1.NetworkPolicy
	renderedAs(t, objects, "NetworkPolicy/"+release, &policy)
	for _, rule := range policy.Spec.Ingress {
		port := rule.Ports[0].Port.IntValue()
		if len(rule.From) == 0 {
			t.Errorf("the NetworkPolicy admits port %d from anywhere", port)
			continue
		}
		switch port {
		case 8443:
			if selector := rule.From[0].NamespaceSelector; selector == nil || selector.MatchLabels["kubernetes.io/metadata.name"] != "monitoring" {
				t.Errorf("the metrics port is admitted from %+v; want the monitoring namespace only", rule.From)
			}
		case 9443:
			if block := rule.From[0].IPBlock; block == nil || block.CIDR != "10.0.0.0/24" {
				t.Errorf("the webhook port is admitted from %+v; want networkPolicy.webhookFrom", rule.From)
			}
		default:
			t.Errorf("the NetworkPolicy admits port %d, which the operator does not serve", port)
		}
	}
}

// TestChartRendersTheValuesTrustsExpect sets each value the issue found refused, and finds
// it where it belongs in the rendering.
func TestChartRendersTheValuesTrustsExpect(t *testing.T) {
	digest := "sha256:" + strings.Repeat("a", 64)
	objects := manifests(t, helm(t, "template", release, chartPath, "-n", namespace, "--kube-version", kubeVersion, "--set", strings.Join([]string{
		"fullnameOverride=isms", "image.digest=" + digest, "podLabels.team=platform", "podAnnotations.owner=ig",
		"extraArgs={--zap-encoder=console}", "extraEnv[0].name=HTTPS_PROXY", "extraEnv[0].value=http://proxy:3128",
		"podSecurityContext.fsGroup=2000", "securityContext.runAsUser=1001", "nodeSelector.pool=system", "tolerations[0].key=dedicated",
		"tolerations[0].operator=Exists", "priorityClassName=system-cluster-critical", "podDisruptionBudget.minAvailable=1",
		"topologySpreadConstraints[0].maxSkew=1", "topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone",
		"topologySpreadConstraints[0].whenUnsatisfiable=DoNotSchedule",
		"metrics.serviceMonitor.enabled=true", "metrics.serviceMonitor.namespace=monitoring", "metrics.serviceMonitor.scrapeTimeout=10s",
		"metrics.dashboard.enabled=true", "metrics.dashboard.namespace=grafana", "metrics.dashboard.folder=ISMS",
		"incidents.reportableFrom.likelihood=3", "incidents.reportableFrom.severity=2",
	}, ",")))
	var deployment appsv1.Deployment
	renderedAs(t, objects, "Deployment/isms", &deployment)
	pod := deployment.Spec.Template
	container := pod.Spec.Containers[0]
	for what, ok := range map[string]bool{
		"image by digest":              container.Image == "ghcr.io/isms-operator/isms-operator@"+digest,
		"podLabels":                    pod.Labels["team"] == "platform",
		"podAnnotations":               pod.Annotations["owner"] == "ig",
		"extraArgs":                    slices.Contains(container.Args, "--zap-encoder=console"),
		"extraEnv":                     slices.ContainsFunc(container.Env, func(e corev1.EnvVar) bool { return e.Name == "HTTPS_PROXY" }),
		"podSecurityContext":           pod.Spec.SecurityContext != nil && pod.Spec.SecurityContext.FSGroup != nil && *pod.Spec.SecurityContext.FSGroup == 2000,
		"securityContext":              container.SecurityContext != nil && container.SecurityContext.RunAsUser != nil && *container.SecurityContext.RunAsUser == 1001,
		"nodeSelector":                 pod.Spec.NodeSelector["pool"] == "system",
		"tolerations":                  len(pod.Spec.Tolerations) == 1 && pod.Spec.Tolerations[0].Key == "dedicated",
		"priorityClassName":            pod.Spec.PriorityClassName == "system-cluster-critical",
		"topologySpreadConstraints":    len(pod.Spec.TopologySpreadConstraints) == 1 && pod.Spec.TopologySpreadConstraints[0].TopologyKey == "topology.kubernetes.io/zone",
		"fullnameOverride on the pods": deployment.Spec.Template.Spec.ServiceAccountName == "isms",
		"incidents.reportableFrom": slices.Contains(container.Args, "--incident-reportable-likelihood=3") &&
			slices.Contains(container.Args, "--incident-reportable-severity=2"),
	} {
		if !ok {
			t.Errorf("%s is not rendered into the Deployment", what)
		}
	}
	var budget policyv1.PodDisruptionBudget
	renderedAs(t, objects, "PodDisruptionBudget/isms", &budget)
	if budget.Spec.MinAvailable == nil || budget.Spec.MinAvailable.IntValue() != 1 || budget.Spec.MaxUnavailable != nil {
		t.Errorf("the PodDisruptionBudget is %+v; want minAvailable 1 alone", budget.Spec)
	}
	monitor := objects["ServiceMonitor/isms"]
	if metadata, _ := monitor["metadata"].(map[string]any); metadata["namespace"] != "monitoring" ||
		!strings.Contains(fmtYAML(t, monitor), "scrapeTimeout: 10s") {
		t.Errorf("the ServiceMonitor is not in namespace monitoring with scrapeTimeout 10s:\n%s", fmtYAML(t, monitor))
	}
	dashboard := objects["ConfigMap/isms-dashboard"]
	if metadata, _ := dashboard["metadata"].(map[string]any); metadata["namespace"] != "grafana" ||
		metadata["annotations"].(map[string]any)["grafana_folder"] != "ISMS" {
		t.Errorf("the dashboard is not in namespace grafana, folder ISMS: %v", dashboard["metadata"])
	}
}

func fmtYAML(t *testing.T, obj any) string {
	t.Helper()
	data, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestChartWritesOpenReportsOnlyWhenAsked: reports are off by default, with no permission
// on them; openReports.enabled passes the flag and installs the writer's ClusterRole,
// exactly as generated from its markers, bound to the operator.
func TestChartWritesOpenReportsOnlyWhenAsked(t *testing.T) {
	var deployment appsv1.Deployment
	off := manifests(t, helm(t, "template", release, chartPath, "-n", namespace, "--kube-version", kubeVersion))
	renderedAs(t, off, "Deployment/"+release, &deployment)
	if !slices.Contains(deployment.Spec.Template.Spec.Containers[0].Args, "--openreports=false") || off["ClusterRole/"+release+"-openreports"] != nil {
		t.Error("by default the chart writes OpenReports, or grants the permission to")
	}
	on := manifests(t, helm(t, "template", release, chartPath, "-n", namespace, "--kube-version", kubeVersion, "--set", "openReports.enabled=true"))
	renderedAs(t, on, "Deployment/"+release, &deployment)
	if !slices.Contains(deployment.Spec.Template.Spec.Containers[0].Args, "--openreports=true") {
		t.Error("openReports.enabled does not pass --openreports")
	}
	var role rbacv1.ClusterRole
	renderedAs(t, on, "ClusterRole/"+release+"-openreports", &role)
	var generated rbacv1.ClusterRole
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "rbac", "openreports", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &generated); err != nil {
		t.Fatal(err)
	}
	if !equality.Semantic.DeepEqual(role.Rules, generated.Rules) {
		t.Errorf("the chart's OpenReports role %+v differs from the markers' %+v", role.Rules, generated.Rules)
	}
	var binding rbacv1.ClusterRoleBinding
	renderedAs(t, on, "ClusterRoleBinding/"+release+"-openreports", &binding)
	if binding.RoleRef.Name != role.Name || len(binding.Subjects) != 1 || binding.Subjects[0].Name != release {
		t.Errorf("the OpenReports role is bound %+v; want to the operator's ServiceAccount", binding)
	}
}
