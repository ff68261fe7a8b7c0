package controls

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// policyRule is one RBAC rule: verbs on resources of one API group, optionally named.
func policyRule(group string, resources, verbs []string, names ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: []string{group}, Resources: resources, Verbs: verbs, ResourceNames: names}
}

// TestCheckSecretAccessEscalation: one case per path to the asset's Secrets or pods that
// Kubernetes' "RBAC good practices" lists, each granted to User alice by a Role bound in
// the asset's namespace unless the case says otherwise; and the offline cases of a binding
// whose role the manifests do not hold.
func TestCheckSecretAccessEscalation(t *testing.T) {
	// aliceCan binds a Role with the rules to alice.
	aliceCan := func(rules ...rbacv1.PolicyRule) RBAC {
		return RBAC{Roles: roleMap(role("escalator", rules...)),
			RoleBindings: []rbacv1.RoleBinding{roleBinding("alice", "Role", "escalator", user("alice"))}}
	}
	aliceFails := func(words ...string) expect {
		return fail(wantFinding{Resource: "RoleBinding/alice", Words: append([]string{`User "alice"`, "Role/escalator"}, words...)})
	}
	// The asset: epr-api (a Deployment reading epr-db-credentials), epr-db (a StatefulSet)
	// and epr-debug (a bare Pod), each running as its own ServiceAccount.
	asset := []Workload{deployment("epr-api", apiWithSecret), workload("StatefulSet", "epr-db"), workload("Pod", "epr-debug")}
	devsAdmin := roleBinding("devs-admin", "ClusterRole", "admin", group("epr-devs"))

	cases := []struct {
		name    string
		reason  string
		rbac    RBAC
		offline bool
		want    expect
	}{
		// Reaching into running pods.
		{
			name: "create pods/attach",
			rbac: aliceCan(policyRule("", []string{"pods/attach"}, []string{"create"})),
			want: aliceFails("attach to its pods"),
		},
		{
			name: "create pods/portforward",
			rbac: aliceCan(policyRule("", []string{"pods/portforward"}, []string{"create"})),
			want: aliceFails("port-forward to its pods"),
		},
		{
			name:   "get pods/exec",
			reason: "exec over WebSockets is a GET, authorised as get unless the API server also requires create",
			rbac:   aliceCan(policyRule("", []string{"pods/exec"}, []string{"get"})),
			want:   aliceFails("exec into its pods"),
		},
		{
			name: "get pods/attach",
			rbac: aliceCan(policyRule("", []string{"pods/attach"}, []string{"get"})),
			want: aliceFails("attach to its pods"),
		},
		{
			name: "update pods/ephemeralcontainers",
			rbac: aliceCan(policyRule("", []string{"pods/ephemeralcontainers"}, []string{"update"})),
			want: aliceFails("add ephemeral containers to its pods"),
		},
		{
			name:   "patch pods/ephemeralcontainers",
			reason: "kubectl debug patches the subresource",
			rbac:   aliceCan(policyRule("", []string{"pods/ephemeralcontainers"}, []string{"patch"})),
			want:   aliceFails("add ephemeral containers to its pods"),
		},
		{
			name:   "update pods",
			reason: "a pod's image can be changed, and the new image runs with its Secrets",
			rbac:   aliceCan(policyRule("", []string{"pods"}, []string{"update"})),
			want:   aliceFails("change the image of its pods"),
		},
		{
			name: "patch pods",
			rbac: aliceCan(policyRule("", []string{"pods"}, []string{"patch"})),
			want: aliceFails("change the image of its pods"),
		},
		{
			name: "wildcard subresource */exec",
			rbac: aliceCan(policyRule("", []string{"*/exec"}, []string{"create"})),
			want: aliceFails("exec into its pods"),
		},
		{
			name:   "exec into a named pod of the asset's StatefulSet",
			reason: "a StatefulSet's pods have stable names, name-ordinal",
			rbac:   aliceCan(policyRule("", []string{"pods/exec"}, []string{"create"}, "epr-db-0")),
			want:   aliceFails("exec into its pods"),
		},
		{
			name: "exec into the asset's bare Pod by name",
			rbac: aliceCan(policyRule("", []string{"pods/exec"}, []string{"create"}, "epr-debug")),
			want: aliceFails("exec into its pods"),
		},
		{
			name: "patch a named pod of the asset's StatefulSet",
			rbac: aliceCan(policyRule("", []string{"pods"}, []string{"patch"}, "epr-db-2")),
			want: aliceFails("change the image of its pods"),
		},
		{
			name:   "exec into named pods that are not the asset's",
			reason: "epr-db-backup, epr-db-x, epr-db-01 and epr-db--1 are not ordinals of StatefulSet epr-db",
			rbac:   aliceCan(policyRule("", []string{"pods/exec"}, []string{"create"}, "billing-0", "epr-db-backup", "epr-db-x", "epr-db-01", "epr-db--1")),
			want:   pass(),
		},
		{
			name: "read-only pod rights",
			rbac: aliceCan(policyRule("", []string{"pods", "pods/log", "pods/status"}, []string{"get", "list", "watch"})),
			want: pass(),
		},

		// Creating or changing workloads.
		{
			name: "create Deployments",
			rbac: aliceCan(policyRule("apps", []string{"deployments"}, []string{"create"})),
			want: aliceFails("create Deployments (which can mount its Secrets)"),
		},
		{
			name: "create StatefulSets",
			rbac: aliceCan(policyRule("apps", []string{"statefulsets"}, []string{"create"})),
			want: aliceFails("create StatefulSets (which can mount its Secrets)"),
		},
		{
			name: "create DaemonSets",
			rbac: aliceCan(policyRule("apps", []string{"daemonsets"}, []string{"create"})),
			want: aliceFails("create DaemonSets (which can mount its Secrets)"),
		},
		{
			name: "create ReplicaSets",
			rbac: aliceCan(policyRule("apps", []string{"replicasets"}, []string{"create"})),
			want: aliceFails("create ReplicaSets (which can mount its Secrets)"),
		},
		{
			name: "create Jobs",
			rbac: aliceCan(policyRule("batch", []string{"jobs"}, []string{"create"})),
			want: aliceFails("create Jobs (which can mount its Secrets)"),
		},
		{
			name: "create CronJobs",
			rbac: aliceCan(policyRule("batch", []string{"cronjobs"}, []string{"create"})),
			want: aliceFails("create CronJobs (which can mount its Secrets)"),
		},
		{
			name: "create ReplicationControllers",
			rbac: aliceCan(policyRule("", []string{"replicationcontrollers"}, []string{"create"})),
			want: aliceFails("create ReplicationControllers (which can mount its Secrets)"),
		},
		{
			name: "update Deployments",
			rbac: aliceCan(policyRule("apps", []string{"deployments"}, []string{"update"})),
			want: aliceFails("update Deployments (which can mount its Secrets)"),
		},
		{
			name:   "patch a named Deployment that is not the asset's",
			reason: "its pod template can be rewritten to mount any Secret of the namespace",
			rbac:   aliceCan(policyRule("apps", []string{"deployments"}, []string{"patch"}, "billing-api")),
			want:   aliceFails("patch Deployments (which can mount its Secrets)"),
		},
		{
			name: "update and patch CronJobs",
			rbac: aliceCan(policyRule("batch", []string{"cronjobs"}, []string{"update", "patch"})),
			want: aliceFails("update and patch CronJobs (which can mount its Secrets)"),
		},
		{
			name: "kinds with the same verbs are named together",
			rbac: aliceCan(policyRule("apps", []string{"deployments", "statefulsets"}, []string{"create", "update", "patch"}), createPods),
			want: aliceFails("create Pods (which can mount its Secrets)", "create, update and patch Deployments and StatefulSets (which can mount its Secrets)"),
		},
		{
			name: "every resource of group apps",
			rbac: aliceCan(policyRule("apps", []string{"*"}, []string{"create"})),
			want: aliceFails("create Deployments, StatefulSets, DaemonSets and ReplicaSets"),
		},
		{
			name: "every verb on jobs",
			rbac: aliceCan(policyRule("batch", []string{"jobs"}, []string{"*"})),
			want: aliceFails("create, update and patch Jobs"),
		},
		{
			name: "every group's deployments",
			rbac: aliceCan(policyRule("*", []string{"deployments"}, []string{"create"})),
			want: aliceFails("create Deployments"),
		},
		{
			name:   "deployments of another group grant nothing",
			reason: "only apps/v1 Deployments make pods",
			rbac:   aliceCan(policyRule("", []string{"deployments"}, []string{"create"}), policyRule("example.com", []string{"*"}, []string{"*"})),
			want:   pass(),
		},
		{
			name: "reading and deleting workloads grant nothing",
			rbac: aliceCan(policyRule("apps", []string{"deployments", "statefulsets"}, []string{"get", "list", "watch", "delete"})),
			want: pass(),
		},
		{
			name:   "create pods limited by resourceNames grants nothing",
			reason: "a create request has no name to match",
			rbac:   aliceCan(policyRule("", []string{"pods"}, []string{"create"}, "epr-debug")),
			want:   pass(),
		},

		// Tokens of the asset's ServiceAccounts.
		{
			name: "create tokens for every ServiceAccount",
			rbac: aliceCan(policyRule("", []string{"serviceaccounts/token"}, []string{"create"})),
			want: aliceFails(`create tokens for its ServiceAccounts "epr-api", "epr-db" and "epr-debug"`),
		},
		{
			name: "create tokens for the asset's ServiceAccount by name",
			rbac: aliceCan(policyRule("", []string{"serviceaccounts/token"}, []string{"create"}, "epr-db")),
			want: aliceFails(`create tokens for its ServiceAccount "epr-db"`),
		},
		{
			name: "create tokens for another ServiceAccount by name",
			rbac: aliceCan(policyRule("", []string{"serviceaccounts/token"}, []string{"create"}, "billing")),
			want: pass(),
		},

		// Impersonation.
		{
			name: "impersonate Users",
			rbac: aliceCan(policyRule("", []string{"users"}, []string{"impersonate"})),
			want: aliceFails("impersonate Users"),
		},
		{
			name: "impersonate Groups",
			rbac: aliceCan(policyRule("", []string{"groups"}, []string{"impersonate"})),
			want: aliceFails("impersonate Groups"),
		},
		{
			name:   "impersonate one named ServiceAccount",
			reason: "any impersonate rule is a path: the named identity may hold any right",
			rbac:   aliceCan(policyRule("", []string{"serviceaccounts"}, []string{"impersonate"}, "deployer")),
			want:   aliceFails("impersonate ServiceAccounts"),
		},
		{
			name: "impersonate every kind",
			rbac: aliceCan(policyRule("", []string{"*"}, []string{"impersonate"})),
			want: aliceFails("impersonate Users, Groups and ServiceAccounts"),
		},

		// Escalate and bind.
		{
			name: "escalate Roles",
			rbac: aliceCan(policyRule(rbacv1.GroupName, []string{"roles"}, []string{"escalate"})),
			want: aliceFails("escalate roles"),
		},
		{
			name: "escalate a named ClusterRole",
			rbac: aliceCan(policyRule(rbacv1.GroupName, []string{"clusterroles"}, []string{"escalate"}, "view")),
			want: aliceFails("escalate roles"),
		},
		{
			name: "bind ClusterRoles",
			rbac: aliceCan(policyRule(rbacv1.GroupName, []string{"clusterroles"}, []string{"bind"})),
			want: aliceFails("bind roles"),
		},
		{
			name: "bind Roles of every group",
			rbac: aliceCan(policyRule("*", []string{"roles"}, []string{"bind"})),
			want: aliceFails("bind roles"),
		},
		{
			name: "bind a named ClusterRole that reads Secrets",
			rbac: func() RBAC {
				r := aliceCan(policyRule(rbacv1.GroupName, []string{"clusterroles"}, []string{"bind"}, "secret-reader"))
				r.ClusterRoles = clusterRoleMap(clusterRole("secret-reader", readSecrets))
				return r
			}(),
			want: aliceFails(`bind ClusterRole "secret-reader"`),
		},
		{
			name: "bind a named ClusterRole that binds any role",
			rbac: func() RBAC {
				r := aliceCan(policyRule(rbacv1.GroupName, []string{"clusterroles"}, []string{"bind"}, "binder"))
				r.ClusterRoles = clusterRoleMap(clusterRole("binder", policyRule(rbacv1.GroupName, []string{"roles"}, []string{"bind"})))
				return r
			}(),
			want: aliceFails(`bind ClusterRole "binder"`),
		},
		{
			name:   "bind a named ClusterRole that grants nothing guarded",
			reason: "the least-privilege way to let a namespace admin grant view",
			rbac: func() RBAC {
				r := aliceCan(policyRule(rbacv1.GroupName, []string{"clusterroles"}, []string{"bind"}, "view"))
				r.ClusterRoles = clusterRoleMap(clusterRole("view", readPods))
				return r
			}(),
			want: pass(),
		},
		{
			name:   "bind a named role that does not exist, in a cluster",
			reason: "a binding to it would grant nothing",
			rbac:   aliceCan(policyRule(rbacv1.GroupName, []string{"clusterroles"}, []string{"bind"}, "admin")),
			want:   pass(),
		},
		{
			name:    "bind a named role the manifests do not hold, offline",
			rbac:    aliceCan(policyRule(rbacv1.GroupName, []string{"clusterroles"}, []string{"bind"}, "admin")),
			offline: true,
			want:    undecided("RoleBinding/alice", "Role/escalator", "ClusterRole/admin"),
		},
		{
			name: "create rolebindings alone",
			rbac: aliceCan(policyRule(rbacv1.GroupName, []string{"rolebindings"}, []string{"create", "update"})),
			want: pass(),
		},

		// Scope and subjects.
		{
			name: "a ClusterRoleBinding grants the path cluster-wide",
			rbac: RBAC{ClusterRoles: clusterRoleMap(clusterRole("ci-deployer", policyRule("apps", []string{"deployments"}, []string{"create", "update", "patch"}))),
				ClusterRoleBindings: []rbacv1.ClusterRoleBinding{clusterRoleBinding("ci", "ci-deployer", serviceAccount("ci", "deployer"))}},
			want: fail(wantFinding{Resource: "ClusterRoleBinding/ci", Words: []string{"ServiceAccount ci/deployer", "create, update and patch Deployments", "ClusterRole/ci-deployer"}}),
		},
		{
			name: "an exempt subject is not flagged for a path",
			rbac: RBAC{ClusterRoles: clusterRoleMap(clusterRole("everything", everything)),
				ClusterRoleBindings: []rbacv1.ClusterRoleBinding{clusterRoleBinding("kcm", "everything", user("system:kube-controller-manager"))}},
			want: pass(),
		},
		{
			name: "a ServiceAccount named as a User is described as the ServiceAccount",
			rbac: RBAC{Roles: roleMap(role("escalator", createPods)),
				RoleBindings: []rbacv1.RoleBinding{roleBinding("ci", "Role", "escalator", user("system:serviceaccount:ci:deployer"))}},
			want: fail(wantFinding{Resource: "RoleBinding/ci", Words: []string{"ServiceAccount ci/deployer", "create Pods"}}),
		},

		// Roles the evidence does not hold.
		{
			name:    "offline: a RoleBinding to the built-in ClusterRole admin the manifests do not hold",
			reason:  "admin exists in every cluster; what it grants cannot be judged from the manifests, so never a pass",
			rbac:    RBAC{RoleBindings: []rbacv1.RoleBinding{devsAdmin}},
			offline: true,
			want:    undecided("RoleBinding/devs-admin", "ClusterRole/admin", "manifests"),
		},
		{
			name:   "in a cluster: a RoleBinding to a ClusterRole admin that does not exist grants nothing",
			reason: "the API server ignores a binding whose role is missing",
			rbac:   RBAC{RoleBindings: []rbacv1.RoleBinding{devsAdmin}},
			want:   pass(),
		},
		{
			name:    "offline: a RoleBinding to a Role the manifests do not hold",
			rbac:    RBAC{RoleBindings: []rbacv1.RoleBinding{roleBinding("devs", "Role", "developer", group("epr-devs"))}},
			offline: true,
			want:    undecided("RoleBinding/devs", "Role/developer"),
		},
		{
			name:    "offline: a ClusterRoleBinding to cluster-admin the manifests do not hold",
			rbac:    RBAC{ClusterRoleBindings: []rbacv1.ClusterRoleBinding{clusterRoleBinding("ops", "cluster-admin", group("ops"))}},
			offline: true,
			want:    undecided("ClusterRoleBinding/ops", "ClusterRole/cluster-admin"),
		},
		{
			name:    "offline: every unknown role is named",
			rbac:    RBAC{RoleBindings: []rbacv1.RoleBinding{devsAdmin, roleBinding("auditors", "ClusterRole", "view", group("auditors"))}},
			offline: true,
			want:    undecided("RoleBinding/auditors (ClusterRole/view)", "RoleBinding/devs-admin (ClusterRole/admin)"),
		},
		{
			name:    "offline: an unknown role bound only to exempt subjects does not matter",
			rbac:    RBAC{RoleBindings: []rbacv1.RoleBinding{roleBinding("masters", "ClusterRole", "admin", group("system:masters"), serviceAccount(testNamespace, "epr-api"))}},
			offline: true,
			want:    pass(),
		},
		{
			name:    "offline: a definite finding fails the control even beside an unknown role",
			reason:  "Fail wins; the findings stay definite and do not mention the unknown role",
			rbac:    RBAC{Roles: roleMap(role("secret-reader", readSecrets)), RoleBindings: []rbacv1.RoleBinding{devsAdmin, roleBinding("alice", "Role", "secret-reader", user("alice"))}},
			offline: true,
			want:    fail(wantFinding{Resource: "RoleBinding/alice", Words: []string{"epr-db-credentials"}}),
		},
		{
			name:    "offline: a role the manifests hold is judged",
			rbac:    RBAC{ClusterRoles: clusterRoleMap(clusterRole("admin", readPods)), RoleBindings: []rbacv1.RoleBinding{devsAdmin}},
			offline: true,
			want:    pass(),
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
				e.Workloads = asset
				e.RBAC = rbac
				e.Offline = tc.offline
			})
			assertOutcome(t, checkSecretAccess(e), tc.want)
		})
	}
}

// TestSecretAccessMessages pins the shape of ACC-03's messages: a finding names the
// subject, the rights in a fixed order, the role and the advice; the passed sentence names
// what was guarded; the reason of an undecided result names the bindings and roles.
func TestSecretAccessMessages(t *testing.T) {
	const advice = "; remove the binding, narrow the role, or list the subject in controls.access.allowedSubjects"
	workloads := []Workload{deployment("epr-api", apiWithSecret), workload("StatefulSet", "epr-db")}
	cases := []struct {
		name string
		rbac RBAC
		// offline marks evidence read from manifests.
		offline bool
		want    outcome
	}{
		{
			name: "every right, through a wildcard role",
			rbac: RBAC{ClusterRoles: clusterRoleMap(clusterRole("admin", everything)),
				RoleBindings: []rbacv1.RoleBinding{roleBinding("alice", "ClusterRole", "admin", user("alice"))}},
			want: outcome{findings: []isms.Finding{{Resource: "RoleBinding/alice", Message: `User "alice" can read Secret "epr-db-credentials"; ` +
				"exec into, attach to, port-forward to, add ephemeral containers to and change the image of its pods; " +
				"create Pods (which can mount its Secrets); " +
				"create, update and patch Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs and ReplicationControllers (which can mount its Secrets); " +
				`create tokens for its ServiceAccounts "epr-api" and "epr-db"; impersonate Users, Groups and ServiceAccounts; escalate roles; bind roles through ClusterRole/admin` + advice}}},
		},
		{
			name: "one Secret, as before the escalation paths",
			rbac: RBAC{Roles: roleMap(role("secret-reader", readSecrets)),
				RoleBindings: []rbacv1.RoleBinding{roleBinding("contractor", "Role", "secret-reader", user("contractor@example.com"))}},
			want: outcome{findings: []isms.Finding{{Resource: "RoleBinding/contractor",
				Message: `User "contractor@example.com" can read Secret "epr-db-credentials" through Role/secret-reader` + advice}}},
		},
		{
			name: "one finding per subject",
			rbac: RBAC{Roles: roleMap(role("deployer", policyRule("apps", []string{"deployments"}, []string{"create"}))),
				RoleBindings: []rbacv1.RoleBinding{roleBinding("deployers", "Role", "deployer", group("epr-devs"), serviceAccount("", "ci"))}},
			want: outcome{findings: []isms.Finding{
				{Resource: "RoleBinding/deployers", Message: `Group "epr-devs" can create Deployments (which can mount its Secrets) through Role/deployer` + advice},
				{Resource: "RoleBinding/deployers", Message: `ServiceAccount epr/ci can create Deployments (which can mount its Secrets) through Role/deployer` + advice},
			}},
		},
		{
			name: "nothing granted",
			rbac: RBAC{Roles: roleMap(role("pod-reader", readPods)),
				RoleBindings: []rbacv1.RoleBinding{roleBinding("alice", "Role", "pod-reader", user("alice"))}},
			want: outcome{passed: []string{`no subject outside the allowed ones can read its Secret "epr-db-credentials", exec into, attach to or port-forward to its pods, ` +
				`add ephemeral containers to them or change their image, create or change its workloads, create tokens for its ServiceAccounts "epr-api" and "epr-db", impersonate, escalate or bind roles (1 binding checked)`}},
		},
		{
			name:    "offline, roles the manifests do not hold",
			offline: true,
			rbac: RBAC{RoleBindings: []rbacv1.RoleBinding{
				roleBinding("devs-admin", "ClusterRole", "admin", group("epr-devs")),
				roleBinding("auditors", "ClusterRole", "view", group("auditors")),
			}},
			want: outcome{notEvaluated: "not evaluated: the manifests do not hold the roles of RoleBinding/auditors (ClusterRole/view) and RoleBinding/devs-admin (ClusterRole/admin), " +
				"so what they grant cannot be judged; audit the manifests together with those roles, or evaluate in a cluster"},
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
				e.Workloads = workloads
				e.RBAC = rbac
				e.Offline = tc.offline
			})
			if diff := cmp.Diff(tc.want, checkSecretAccess(e), cmp.AllowUnexported(outcome{})); diff != "" {
				t.Errorf("checkSecretAccess (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMayGrantGuardedRights: every rule that could grant a right ACC-03 guards, for some
// asset, makes the controllers re-evaluate every asset; rules that cannot, do not.
func TestMayGrantGuardedRights(t *testing.T) {
	cases := []struct {
		name string
		rule rbacv1.PolicyRule
		want bool
	}{
		{"read one named Secret", secretVerb("get", "anything"), true},
		{"list secrets", secretVerb("list"), true},
		{"create pods", createPods, true},
		{"update pods", policyRule("", []string{"pods"}, []string{"update"}), true},
		{"create pods/exec", execPods, true},
		{"get pods/exec", policyRule("", []string{"pods/exec"}, []string{"get"}), true},
		{"create pods/attach", policyRule("", []string{"pods/attach"}, []string{"create"}), true},
		{"create pods/portforward", policyRule("", []string{"pods/portforward"}, []string{"create"}), true},
		{"patch pods/ephemeralcontainers", policyRule("", []string{"pods/ephemeralcontainers"}, []string{"patch"}), true},
		{"create deployments", policyRule("apps", []string{"deployments"}, []string{"create"}), true},
		{"patch a named statefulset", policyRule("apps", []string{"statefulsets"}, []string{"patch"}, "db"), true},
		{"update daemonsets", policyRule("apps", []string{"daemonsets"}, []string{"update"}), true},
		{"create replicasets", policyRule("apps", []string{"replicasets"}, []string{"create"}), true},
		{"create jobs", policyRule("batch", []string{"jobs"}, []string{"create"}), true},
		{"update cronjobs", policyRule("batch", []string{"cronjobs"}, []string{"update"}), true},
		{"create replicationcontrollers", policyRule("", []string{"replicationcontrollers"}, []string{"create"}), true},
		{"create a named ServiceAccount's token", policyRule("", []string{"serviceaccounts/token"}, []string{"create"}, "deployer"), true},
		{"impersonate users", policyRule("", []string{"users"}, []string{"impersonate"}), true},
		{"impersonate a named group", policyRule("", []string{"groups"}, []string{"impersonate"}, "admins"), true},
		{"impersonate serviceaccounts", policyRule("", []string{"serviceaccounts"}, []string{"impersonate"}), true},
		{"impersonate uids (any impersonate rule)", policyRule("authentication.k8s.io", []string{"uids"}, []string{"impersonate"}), true},
		{"escalate roles", policyRule(rbacv1.GroupName, []string{"roles"}, []string{"escalate"}), true},
		{"bind a named clusterrole", policyRule(rbacv1.GroupName, []string{"clusterroles"}, []string{"bind"}, "view"), true},
		{"everything", everything, true},
		{"every verb on every resource of apps", policyRule("apps", []string{"*"}, []string{"*"}), true},
		{"every group's deployments", policyRule("*", []string{"deployments"}, []string{"create"}), true},
		{"every subresource exec", policyRule("", []string{"*/exec"}, []string{"create"}), true},
		{"read pods", readPods, false},
		{"read and delete deployments", policyRule("apps", []string{"deployments"}, []string{"get", "list", "watch", "delete"}), false},
		{"create configmaps", policyRule("", []string{"configmaps"}, []string{"create", "update"}), false},
		{"create rolebindings", policyRule(rbacv1.GroupName, []string{"rolebindings"}, []string{"create"}), false},
		{"get roles", policyRule(rbacv1.GroupName, []string{"roles", "clusterroles"}, []string{"get", "list"}), false},
		{"update secrets", secretVerb("update"), false},
		{"everything of another group", policyRule("metrics.k8s.io", []string{"*"}, []string{"*"}), false},
		{"deployments of the core group", policyRule("", []string{"deployments"}, []string{"create"}), false},
		{"get serviceaccounts", policyRule("", []string{"serviceaccounts"}, []string{"get", "list"}), false},
		{"non-resource URLs", rbacv1.PolicyRule{NonResourceURLs: []string{"*"}, Verbs: []string{"*"}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := MayGrantGuardedRights([]rbacv1.PolicyRule{tc.rule}); got != tc.want {
				t.Errorf("MayGrantGuardedRights(%+v) = %v, want %v", tc.rule, got, tc.want)
			}
		})
	}
}
