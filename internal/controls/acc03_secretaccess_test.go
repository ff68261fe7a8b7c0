package controls

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// Rules of the ACC-03 cases.
var (
	readSecrets = rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch"}}
	execPods    = rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create"}}
	createPods  = rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create"}}
	readPods    = rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods", "pods/log"}, Verbs: []string{"get", "list", "watch"}}
	everything  = rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}
)

func secretVerb(verb string, names ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{verb}, ResourceNames: names}
}

// apiWithSecret is the epr-api Deployment reading the Secret epr-db-credentials through env.
func apiWithSecret(t *corev1.PodTemplateSpec) {
	t.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{
		SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "epr-db-credentials"}, Key: "password"}}}}
}

func TestCheckSecretAccess(t *testing.T) {
	reader := role("secret-reader", readSecrets)
	rbFailing := func(name string, words ...string) wantFinding {
		return wantFinding{Resource: "RoleBinding/" + name, Words: words}
	}
	aliceReads := func(r *rbacv1.Role) RBAC {
		return RBAC{Roles: roleMap(r), RoleBindings: []rbacv1.RoleBinding{roleBinding("alice-secrets", "Role", r.Name, user("alice"))}}
	}
	readersAre := func(subjects ...rbacv1.Subject) RBAC {
		return RBAC{Roles: roleMap(reader), RoleBindings: []rbacv1.RoleBinding{roleBinding("readers", "Role", "secret-reader", subjects...)}}
	}
	allowing := func(subjects ...isms.Subject) *isms.InformationAsset {
		return newAsset(withControls(isms.ControlsSpec{Access: &isms.AccessControls{AllowedSubjects: subjects}}))
	}
	api := []Workload{deployment("epr-api", apiWithSecret)}
	secretVia := func(mutate func(*corev1.PodSpec)) []Workload {
		return []Workload{deployment("epr-api", podSpec(mutate))}
	}

	cases := []struct {
		name      string
		reason    string
		asset     *isms.InformationAsset
		workloads []Workload
		rbac      RBAC
		exempt    []isms.Subject
		want      expect
	}{
		{
			name: "no bindings",
			want: pass("Secret"),
		},
		{
			name: "a binding to a role with no guarded rights",
			rbac: RBAC{Roles: roleMap(role("pod-reader", readPods)),
				RoleBindings: []rbacv1.RoleBinding{roleBinding("alice-pods", "Role", "pod-reader", user("alice"))}},
			want: pass(),
		},
		{
			name: "RoleBinding to a Role that reads the Secret of an env secretKeyRef",
			rbac: aliceReads(reader),
			want: fail(rbFailing("alice-secrets", "alice", "epr-db-credentials")),
		},
		{
			name: "the Secret of a volume",
			workloads: secretVia(func(s *corev1.PodSpec) {
				s.Volumes = []corev1.Volume{{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "epr-tls"}}}}
			}),
			rbac: aliceReads(role("tls-reader", secretVerb("get", "epr-tls"))),
			want: fail(rbFailing("alice-secrets", "alice", "epr-tls")),
		},
		{
			name: "the Secret of a projected volume",
			workloads: secretVia(func(s *corev1.PodSpec) {
				s.Volumes = []corev1.Volume{{Name: "bundle", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
					Sources: []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "epr-bundle"}}}}}}}}
			}),
			rbac: aliceReads(role("bundle-reader", secretVerb("get", "epr-bundle"))),
			want: fail(rbFailing("alice-secrets", "epr-bundle")),
		},
		{
			name: "the Secret of envFrom",
			workloads: secretVia(func(s *corev1.PodSpec) {
				s.Containers[0].EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "epr-env"}}}}
			}),
			rbac: aliceReads(role("env-reader", secretVerb("get", "epr-env"))),
			want: fail(rbFailing("alice-secrets", "epr-env")),
		},
		{
			name: "the Secret of imagePullSecrets",
			workloads: secretVia(func(s *corev1.PodSpec) {
				s.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred"}}
			}),
			rbac: aliceReads(role("regcred-reader", secretVerb("get", "regcred"))),
			want: fail(rbFailing("alice-secrets", "regcred")),
		},
		{
			name: "the Secret of an init container's env",
			workloads: secretVia(func(s *corev1.PodSpec) {
				s.InitContainers = []corev1.Container{{Name: "migrate", Image: "epr-migrate:1", Env: []corev1.EnvVar{{Name: "DB", ValueFrom: &corev1.EnvVarSource{
					SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "epr-migrate"}, Key: "url"}}}}}}
			}),
			rbac: aliceReads(role("migrate-reader", secretVerb("get", "epr-migrate"))),
			want: fail(rbFailing("alice-secrets", "epr-migrate")),
		},
		{
			name: "list secrets alone is reading",
			rbac: aliceReads(role("lister", secretVerb("list"))),
			want: fail(rbFailing("alice-secrets", "epr-db-credentials")),
		},
		{
			name: "watch secrets alone is reading",
			rbac: aliceReads(role("watcher", secretVerb("watch"))),
			want: fail(rbFailing("alice-secrets", "epr-db-credentials")),
		},
		{
			name: "resourceNames limited to another Secret does not grant",
			rbac: aliceReads(role("other-reader", secretVerb("get", "billing-credentials"))),
			want: pass(),
		},
		{
			name: "resourceNames including the asset's Secret grants",
			rbac: aliceReads(role("named-reader", secretVerb("get", "billing-credentials", "epr-db-credentials"))),
			want: fail(rbFailing("alice-secrets", "epr-db-credentials")),
		},
		{
			name: "update secrets is not reading",
			rbac: aliceReads(role("writer", secretVerb("update"), secretVerb("patch"))),
			want: pass(),
		},
		{
			name: "wildcard verbs on secrets",
			rbac: aliceReads(role("secrets-admin", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"*"}})),
			want: fail(rbFailing("alice-secrets", "epr-db-credentials")),
		},
		{
			name: "wildcard resources and verbs",
			rbac: aliceReads(role("admin", everything)),
			want: fail(rbFailing("alice-secrets", "alice", "epr-db-credentials", "exec", "create pods")),
		},
		{
			name:      "create pods/exec",
			workloads: []Workload{deployment("epr-api")},
			rbac:      aliceReads(role("exec", execPods)),
			want:      fail(rbFailing("alice-secrets", "alice", "exec")),
		},
		{
			name:      "create pods",
			reason:    "a pod created in the namespace can mount any Secret",
			workloads: []Workload{deployment("epr-api")},
			rbac:      aliceReads(role("pod-creator", createPods)),
			want:      fail(rbFailing("alice-secrets", "alice", "create pods")),
		},
		{
			name: "aggregated ClusterRole, rules as stored, through a RoleBinding",
			rbac: RBAC{
				ClusterRoles: clusterRoleMap(func() *rbacv1.ClusterRole {
					r := clusterRole("epr-aggregate", readSecrets)
					r.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{matchLabels(map[string]string{"rbac.trust.nhs.uk/aggregate-to-epr": "true"})}}
					return r
				}()),
				RoleBindings: []rbacv1.RoleBinding{roleBinding("oncall-epr", "ClusterRole", "epr-aggregate", group("oncall"))},
			},
			want: fail(rbFailing("oncall-epr", "oncall", "epr-db-credentials")),
		},
		{
			name: "a ClusterRoleBinding grants cluster-wide",
			rbac: RBAC{
				ClusterRoles:        clusterRoleMap(clusterRole("secret-reader", readSecrets)),
				ClusterRoleBindings: []rbacv1.ClusterRoleBinding{clusterRoleBinding("backup-tool", "secret-reader", serviceAccount("backup", "stash"))},
			},
			want: fail(wantFinding{Resource: "ClusterRoleBinding/backup-tool", Words: []string{"backup", "stash", "epr-db-credentials"}}),
		},
		{
			name:   "a binding to a role that does not exist grants nothing",
			rbac:   RBAC{RoleBindings: []rbacv1.RoleBinding{roleBinding("dangling", "Role", "gone", user("alice"))}},
			want:   pass(),
			reason: "RBAC ignores a binding whose role is missing",
		},
		{
			name:  "a subject in allowedSubjects is not flagged",
			asset: allowing(isms.Subject{Kind: rbacv1.UserKind, Name: "alice"}),
			rbac:  aliceReads(reader),
			want:  pass(),
		},
		{
			name:  "an allowed ServiceAccount without a namespace is in the asset's",
			asset: allowing(isms.Subject{Kind: rbacv1.ServiceAccountKind, Name: "epr-migrator"}),
			rbac:  readersAre(serviceAccount(testNamespace, "epr-migrator")),
			want:  pass(),
		},
		{
			name:  "an allowed ServiceAccount of the asset's namespace does not allow one of another namespace",
			asset: allowing(isms.Subject{Kind: rbacv1.ServiceAccountKind, Name: "epr-migrator"}),
			rbac:  readersAre(serviceAccount("billing", "epr-migrator")),
			want:  fail(rbFailing("readers", "billing", "epr-migrator")),
		},
		{
			name:  "allowedSubjects allow only the subjects they name",
			asset: allowing(isms.Subject{Kind: rbacv1.UserKind, Name: "alice"}),
			rbac:  readersAre(user("alice"), user("bob")),
			want:  fail(rbFailing("readers", "bob")),
		},
		{
			name:  "a Group is not allowed by a User of the same name",
			asset: allowing(isms.Subject{Kind: rbacv1.UserKind, Name: "oncall"}),
			rbac:  readersAre(group("oncall")),
			want:  fail(rbFailing("readers", "oncall")),
		},
		{
			name: "the asset's own ServiceAccount is not flagged",
			rbac: readersAre(serviceAccount(testNamespace, "epr-api")),
			want: pass(),
		},
		{
			name: "the asset's own ServiceAccount named as a User is not flagged",
			rbac: readersAre(user("system:serviceaccount:epr:epr-api")),
			want: pass(),
		},
		{
			name: "a ServiceAccount of the same name in another namespace is flagged",
			rbac: readersAre(serviceAccount("billing", "epr-api")),
			want: fail(rbFailing("readers", "billing", "epr-api")),
		},
		{
			name: "another ServiceAccount of the asset's namespace is flagged",
			rbac: readersAre(serviceAccount(testNamespace, "epr-reporting")),
			want: fail(rbFailing("readers", "epr-reporting")),
		},
		{
			name: "exempt group system:masters is not flagged",
			rbac: readersAre(group("system:masters")),
			want: pass(),
		},
		{
			name: "exempt kube-system ServiceAccounts (\"*\") are not flagged",
			rbac: readersAre(serviceAccount("kube-system", "generic-garbage-collector"), user("system:serviceaccount:kube-system:namespace-controller")),
			want: pass(),
		},
		{
			name:   "the operator's own ServiceAccount in the exempt list is not flagged",
			exempt: append(append([]isms.Subject{}, DefaultExemptSubjects...), isms.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: "isms-system", Name: "isms-operator"}),
			rbac:   readersAre(serviceAccount("isms-system", "isms-operator")),
			want:   pass(),
		},
		{
			name: "without that exemption the operator's ServiceAccount is flagged",
			rbac: readersAre(serviceAccount("isms-system", "isms-operator")),
			want: fail(rbFailing("readers", "isms-operator")),
		},
		{
			name: "a group of every ServiceAccount is not exempt",
			rbac: readersAre(group("system:serviceaccounts")),
			want: fail(rbFailing("readers", "system:serviceaccounts")),
		},
		{
			name: "only the non-exempt subjects of a binding are flagged",
			rbac: readersAre(group("system:masters"), user("alice"), serviceAccount(testNamespace, "epr-api")),
			want: fail(rbFailing("readers", "alice")),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			asset, workloads, exempt := tc.asset, tc.workloads, tc.exempt
			if asset == nil {
				asset = newAsset()
			}
			if workloads == nil {
				workloads = api
			}
			if exempt == nil {
				exempt = DefaultExemptSubjects
			}
			rbac := tc.rbac
			if rbac.Roles == nil {
				rbac.Roles = roleMap()
			}
			if rbac.ClusterRoles == nil {
				rbac.ClusterRoles = clusterRoleMap()
			}
			e := newEvidence(func(e *Evidence) {
				e.Asset = asset
				e.Workloads = workloads
				e.RBAC = rbac
				e.Exempt = exempt
			})
			assertOutcome(t, checkSecretAccess(e), tc.want)
		})
	}
}
