package controls

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestCheckServiceAccount(t *testing.T) {
	runsAs := func(name string) func(*corev1.PodTemplateSpec) {
		return podSpec(func(s *corev1.PodSpec) { s.ServiceAccountName = name })
	}
	automount := func(v bool) func(*corev1.PodTemplateSpec) {
		return podSpec(func(s *corev1.PodSpec) { s.AutomountServiceAccountToken = ptr(v) })
	}
	account := func(name string, automount *bool) map[string]*corev1.ServiceAccount {
		return map[string]*corev1.ServiceAccount{name: {
			ObjectMeta:                   metav1.ObjectMeta{Name: name, Namespace: testNamespace},
			AutomountServiceAccountToken: automount,
		}}
	}
	apiRoleBinding := func(subject rbacv1.Subject) RBAC {
		return RBAC{Roles: roleMap(role("epr-api", readPods)),
			RoleBindings: []rbacv1.RoleBinding{roleBinding("epr-api", "Role", "epr-api", subject)}}
	}
	apiFailing := func(words ...string) wantFinding { return wantFinding{Resource: "Deployment/epr-api", Words: words} }

	cases := []struct {
		name      string
		reason    string
		workloads []Workload
		accounts  map[string]*corev1.ServiceAccount
		rbac      RBAC
		want      expect
	}{
		{
			name:      "empty serviceAccountName is the default ServiceAccount",
			workloads: []Workload{deployment("epr-api", runsAs(""))},
			want:      fail(apiFailing("default")),
		},
		{
			name:      "serviceAccountName default",
			workloads: []Workload{deployment("epr-api", runsAs("default"))},
			want:      fail(apiFailing("default")),
		},
		{
			name:      "the default ServiceAccount fails even without a token",
			workloads: []Workload{deployment("epr-api", runsAs(""), automount(false))},
			want:      fail(apiFailing("default")),
		},
		{
			name:      "own ServiceAccount, automounted token, no binding",
			workloads: []Workload{deployment("epr-api")},
			want:      fail(apiFailing("epr-api", "automountServiceAccountToken")),
		},
		{
			name:      "own ServiceAccount that does not set automount, no binding",
			workloads: []Workload{deployment("epr-api")},
			accounts:  account("epr-api", nil),
			want:      fail(apiFailing("epr-api")),
		},
		{
			name:      "automountServiceAccountToken false on the pod",
			workloads: []Workload{deployment("epr-api", automount(false))},
			accounts:  account("epr-api", nil),
			want:      pass("Deployment/epr-api", "epr-api"),
		},
		{
			name:      "automountServiceAccountToken false on the ServiceAccount",
			workloads: []Workload{deployment("epr-api")},
			accounts:  account("epr-api", ptr(false)),
			want:      pass("Deployment/epr-api"),
		},
		{
			name:      "the pod's automount true overrides the ServiceAccount's false",
			workloads: []Workload{deployment("epr-api", automount(true))},
			accounts:  account("epr-api", ptr(false)),
			want:      fail(apiFailing("epr-api")),
		},
		{
			name:      "ServiceAccount with a RoleBinding",
			workloads: []Workload{deployment("epr-api")},
			rbac:      apiRoleBinding(serviceAccount(testNamespace, "epr-api")),
			want:      pass("Deployment/epr-api"),
		},
		{
			name:      "ServiceAccount with a RoleBinding naming it as a User",
			workloads: []Workload{deployment("epr-api")},
			rbac:      apiRoleBinding(user("system:serviceaccount:epr:epr-api")),
			want:      pass("Deployment/epr-api"),
		},
		{
			name:      "ServiceAccount with a ClusterRoleBinding",
			workloads: []Workload{deployment("epr-api")},
			rbac: RBAC{ClusterRoles: clusterRoleMap(clusterRole("view")),
				ClusterRoleBindings: []rbacv1.ClusterRoleBinding{clusterRoleBinding("epr-api-view", "view", serviceAccount(testNamespace, "epr-api"))}},
			want: pass("Deployment/epr-api"),
		},
		{
			name:      "a binding of another ServiceAccount does not count",
			workloads: []Workload{deployment("epr-api")},
			rbac:      apiRoleBinding(serviceAccount(testNamespace, "epr-worker")),
			want:      fail(apiFailing("epr-api")),
		},
		{
			name:      "a ClusterRoleBinding of a same-named ServiceAccount in another namespace does not count",
			workloads: []Workload{deployment("epr-api")},
			rbac: RBAC{ClusterRoles: clusterRoleMap(clusterRole("view")),
				ClusterRoleBindings: []rbacv1.ClusterRoleBinding{clusterRoleBinding("billing-view", "view", serviceAccount("billing", "epr-api"))}},
			want: fail(apiFailing("epr-api")),
		},
		{
			name: "each workload is judged",
			workloads: []Workload{
				deployment("epr-api", automount(false)),
				workload("CronJob", "epr-export", runsAs("")),
				workload("StatefulSet", "epr-db"),
			},
			want: expect{
				findings: []wantFinding{
					{Resource: "CronJob/epr-export", Words: []string{"default"}},
					{Resource: "StatefulSet/epr-db", Words: []string{"epr-db"}},
				},
				passed: []string{"Deployment/epr-api"},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rbac := tc.rbac
			if rbac.Roles == nil {
				rbac.Roles = roleMap()
			}
			if rbac.ClusterRoles == nil {
				rbac.ClusterRoles = clusterRoleMap()
			}
			e := newEvidence(func(e *Evidence) {
				e.Workloads = tc.workloads
				if tc.accounts != nil {
					e.ServiceAccounts = tc.accounts
				}
				e.RBAC = rbac
			})
			assertOutcome(t, checkServiceAccount(e), tc.want)
		})
	}
}
