package controls

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// roleBindingIn is a RoleBinding of another namespace than the asset's.
func roleBindingIn(ns, name, roleKind, roleName string, subjects ...rbacv1.Subject) rbacv1.RoleBinding {
	rb := roleBinding(name, roleKind, roleName, subjects...)
	rb.Namespace = ns
	return rb
}

// TestCheckServiceAccountBindings: a token has an RBAC use when any RoleBinding, in any
// namespace, or any ClusterRoleBinding names the ServiceAccount; the results name it.
func TestCheckServiceAccountBindings(t *testing.T) {
	noAutomount := podSpec(func(s *corev1.PodSpec) { s.AutomountServiceAccountToken = ptr(false) })
	projectedToken := func(audience string) func(*corev1.PodTemplateSpec) {
		return podSpec(func(s *corev1.PodSpec) {
			s.Volumes = append(s.Volumes, corev1.Volume{Name: "api-token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
				Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Audience: audience, Path: "token"}}}}}})
		})
	}
	readerIn := func(ns string, subject rbacv1.Subject) []rbacv1.RoleBinding {
		return []rbacv1.RoleBinding{roleBindingIn(ns, "reader", "ClusterRole", "view", subject)}
	}
	const tokenFinding = `pods mount an API token for ServiceAccount "epr-api", which no RoleBinding (in any namespace) or ClusterRoleBinding grants anything; set automountServiceAccountToken: false`

	cases := []struct {
		name      string
		reason    string
		workloads []Workload
		accounts  map[string]*corev1.ServiceAccount
		rbac      RBAC
		want      outcome
	}{
		{
			name:   "the only RoleBinding is in another namespace",
			reason: "a token is used wherever a RoleBinding grants its ServiceAccount something",
			rbac:   RBAC{ServiceAccountBindings: readerIn("other-ns", serviceAccount(testNamespace, "epr-api"))},
			want:   outcome{passed: []string{`Deployment/epr-api runs as its own ServiceAccount "epr-api", whose token is used by RoleBinding other-ns/reader`}},
		},
		{
			name: "a RoleBinding in another namespace naming the ServiceAccount as a User",
			rbac: RBAC{ServiceAccountBindings: readerIn("other-ns", user("system:serviceaccount:epr:epr-api"))},
			want: outcome{passed: []string{`Deployment/epr-api runs as its own ServiceAccount "epr-api", whose token is used by RoleBinding other-ns/reader`}},
		},
		{
			name:   "a ServiceAccount subject without namespace is the binding namespace's",
			reason: "in a RoleBinding of other-ns it names other-ns/epr-api, not the asset's",
			rbac:   RBAC{ServiceAccountBindings: readerIn("other-ns", serviceAccount("", "epr-api"))},
			want:   outcome{findings: []isms.Finding{{Resource: "Deployment/epr-api", Message: tokenFinding}}},
		},
		{
			name: "a RoleBinding in another namespace of a same-named ServiceAccount there",
			rbac: RBAC{ServiceAccountBindings: readerIn("other-ns", serviceAccount("other-ns", "epr-api"))},
			want: outcome{findings: []isms.Finding{{Resource: "Deployment/epr-api", Message: tokenFinding}}},
		},
		{
			name:   "a RoleBinding of the asset's namespace gathered twice is named once",
			reason: "ServiceAccountBindings are gathered from every namespace, the asset's included",
			rbac: RBAC{
				RoleBindings:           []rbacv1.RoleBinding{roleBinding("epr-api", "ClusterRole", "view", serviceAccount(testNamespace, "epr-api"))},
				ServiceAccountBindings: []rbacv1.RoleBinding{roleBinding("epr-api", "ClusterRole", "view", serviceAccount(testNamespace, "epr-api"))},
			},
			want: outcome{passed: []string{`Deployment/epr-api runs as its own ServiceAccount "epr-api", whose token is used by RoleBinding epr/epr-api`}},
		},
		{
			name: "several bindings: the first is named and the others counted",
			rbac: RBAC{
				ServiceAccountBindings: append(readerIn("reports", serviceAccount(testNamespace, "epr-api")), readerIn("billing", serviceAccount(testNamespace, "epr-api"))...),
				ClusterRoleBindings:    []rbacv1.ClusterRoleBinding{clusterRoleBinding("epr-api-nodes", "node-reader", serviceAccount(testNamespace, "epr-api"))},
			},
			want: outcome{passed: []string{`Deployment/epr-api runs as its own ServiceAccount "epr-api", whose token is used by ClusterRoleBinding epr-api-nodes and 2 other bindings`}},
		},
		{
			name: "a ClusterRoleBinding",
			rbac: RBAC{ClusterRoleBindings: []rbacv1.ClusterRoleBinding{clusterRoleBinding("epr-api-view", "view", serviceAccount(testNamespace, "epr-api"))}},
			want: outcome{passed: []string{`Deployment/epr-api runs as its own ServiceAccount "epr-api", whose token is used by ClusterRoleBinding epr-api-view`}},
		},
		{
			name: "no binding and a token automounted",
			want: outcome{findings: []isms.Finding{{Resource: "Deployment/epr-api", Message: tokenFinding}}},
		},
		{
			name:      "automount false on the pod",
			workloads: []Workload{deployment("epr-api", noAutomount)},
			want:      outcome{passed: []string{`Deployment/epr-api runs as its own ServiceAccount "epr-api" with no API token mounted`}},
		},
		{
			name:     "automount false on the ServiceAccount",
			accounts: map[string]*corev1.ServiceAccount{"epr-api": {ObjectMeta: metav1.ObjectMeta{Name: "epr-api", Namespace: testNamespace}, AutomountServiceAccountToken: ptr(false)}},
			want:     outcome{passed: []string{`Deployment/epr-api runs as its own ServiceAccount "epr-api" with no API token mounted`}},
		},
		{
			name:      "automount false with a binding: no token, nothing to use",
			workloads: []Workload{deployment("epr-api", noAutomount)},
			rbac:      RBAC{ServiceAccountBindings: readerIn("other-ns", serviceAccount(testNamespace, "epr-api"))},
			want:      outcome{passed: []string{`Deployment/epr-api runs as its own ServiceAccount "epr-api" with no API token mounted`}},
		},
		{
			name:      "automount false but a projected token for the API server, no binding",
			reason:    "a serviceAccountToken projection without audience is an API token whatever automount says",
			workloads: []Workload{deployment("epr-api", noAutomount, projectedToken(""))},
			want: outcome{findings: []isms.Finding{{Resource: "Deployment/epr-api", Message: `pods mount an API token for ServiceAccount "epr-api" in projected volume "api-token", ` +
				"and no RoleBinding (in any namespace) or ClusterRoleBinding grants it anything; remove the serviceAccountToken projection or give it an audience other than the API server's"}}},
		},
		{
			name:      "a projected token for another audience is not an API token",
			workloads: []Workload{deployment("epr-api", noAutomount, projectedToken("vault"))},
			want:      outcome{passed: []string{`Deployment/epr-api runs as its own ServiceAccount "epr-api" with no API token mounted`}},
		},
		{
			name:      "a projected API token with a binding",
			workloads: []Workload{deployment("epr-api", noAutomount, projectedToken(""))},
			rbac:      RBAC{ServiceAccountBindings: readerIn("other-ns", serviceAccount(testNamespace, "epr-api"))},
			want:      outcome{passed: []string{`Deployment/epr-api runs as its own ServiceAccount "epr-api", whose token is used by RoleBinding other-ns/reader`}},
		},
		{
			name:      "the default ServiceAccount fails even with a binding in another namespace",
			workloads: []Workload{deployment("epr-api", podSpec(func(s *corev1.PodSpec) { s.ServiceAccountName = "" }))},
			rbac:      RBAC{ServiceAccountBindings: readerIn("other-ns", serviceAccount(testNamespace, "default"))},
			want: outcome{findings: []isms.Finding{{Resource: "Deployment/epr-api",
				Message: "pods run as the namespace's default ServiceAccount; give the workload its own ServiceAccount"}}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			workloads := tc.workloads
			if workloads == nil {
				workloads = []Workload{deployment("epr-api")}
			}
			rbac := tc.rbac
			if rbac.Roles == nil {
				rbac.Roles = roleMap()
			}
			if rbac.ClusterRoles == nil {
				rbac.ClusterRoles = clusterRoleMap()
			}
			e := newEvidence(func(e *Evidence) {
				e.Workloads = workloads
				if tc.accounts != nil {
					e.ServiceAccounts = tc.accounts
				}
				e.RBAC = rbac
			})
			if diff := cmp.Diff(tc.want, checkServiceAccount(e), cmp.AllowUnexported(outcome{})); diff != "" {
				t.Errorf("checkServiceAccount (-want +got):\n%s", diff)
			}
		})
	}
}
