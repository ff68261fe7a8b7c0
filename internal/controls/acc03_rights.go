package controls

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	rbacvalidation "k8s.io/component-helpers/auth/rbac/validation"
)

// The rights ACC-03 guards follow the privilege-escalation risks of Kubernetes' "RBAC good
// practices" (https://kubernetes.io/docs/concepts/security/rbac-good-practices/): reading
// Secrets; workload creation (a pod, or any resource that makes pods, can mount every
// Secret of its namespace and run as any of its ServiceAccounts); exec, attach and
// port-forward into running pods, and ephemeral containers; the TokenRequest API
// (serviceaccounts/token); impersonation; and the escalate and bind verbs on roles.
// Every right is tested with rbacvalidation.Covers, so wildcards ("*" verbs, resources,
// groups, "*/exec" subresources) grant what they grant in the API server.

// workloadKind is a kind whose objects make pods, which can mount the namespace's Secrets.
type workloadKind struct {
	group, resource, plural string
}

// workloadKinds are the kinds ACC-03 guards, in the order findings name them.
var workloadKinds = []workloadKind{
	{"", "pods", "Pods"},
	{"apps", "deployments", "Deployments"},
	{"apps", "statefulsets", "StatefulSets"},
	{"apps", "daemonsets", "DaemonSets"},
	{"apps", "replicasets", "ReplicaSets"},
	{"batch", "jobs", "Jobs"},
	{"batch", "cronjobs", "CronJobs"},
	{"", "replicationcontrollers", "ReplicationControllers"},
}

// podSubresources are the subresources of a running pod that reach into it, with the verbs
// that grant them. Exec, attach and port-forward are POSTs (create); over WebSockets, which
// recent kubectl versions use by default, the upgrade request is a GET, which API servers
// have authorised as get (only newer ones also require create), so get grants them too.
// Ephemeral containers are added with update or patch.
var podSubresources = []struct {
	resource string
	verbs    []string
	// reach is how the right reaches into the pods, before "its pods".
	reach string
}{
	{"pods/exec", []string{"create", "get"}, "exec into"},
	{"pods/attach", []string{"create", "get"}, "attach to"},
	{"pods/portforward", []string{"create", "get"}, "port-forward to"},
	{"pods/ephemeralcontainers", []string{"update", "patch"}, "add ephemeral containers to"},
}

// impersonated are the identities the impersonate verb can take, in the order findings name them.
var impersonated = []struct{ resource, kind string }{
	{"users", "Users"}, {"groups", "Groups"}, {"serviceaccounts", "ServiceAccounts"},
}

// guardedRights is what ACC-03 guards for one asset.
type guardedRights struct {
	// secrets are the Secrets its pods reference, sorted.
	secrets []string
	// accounts are the ServiceAccounts its pods run as, sorted.
	accounts []string
	// pods are the names of its pods that are known before they run: bare Pods, and the
	// pods of its StatefulSets (name-ordinal); a rule limited by resourceNames reaches its
	// pods only by naming one of these.
	pods, statefulSets []string
	// role looks up the role a bind rule names: kind Role (in the asset's namespace) or
	// ClusterRole. found is false when the evidence does not hold it.
	role func(kind, name string) (rules []rbacv1.PolicyRule, found bool)
	// offline: a role the evidence does not hold may exist (a built-in role the manifests
	// do not carry), so a bind of it cannot be judged.
	offline bool
}

// guardedRightsOf returns what ACC-03 guards for the evidence's asset.
func guardedRightsOf(e *Evidence) guardedRights {
	g := guardedRights{secrets: referencedSecrets(e.Workloads), accounts: serviceAccountsOf(e.Workloads), offline: e.Offline}
	for _, w := range e.Workloads {
		switch w.Kind {
		case "Pod":
			g.pods = append(g.pods, w.Name)
		case "StatefulSet":
			g.statefulSets = append(g.statefulSets, w.Name)
		}
	}
	g.role = func(kind, name string) ([]rbacv1.PolicyRule, bool) {
		return e.RBAC.rules(e.Asset.Namespace, rbacv1.RoleRef{Kind: kind, Name: name})
	}
	return g
}

// isAssetPod reports whether a pod name is one of the asset's pods known by name.
func (g guardedRights) isAssetPod(name string) bool {
	return slices.Contains(g.pods, name) || slices.ContainsFunc(g.statefulSets, func(sts string) bool {
		ordinal, found := strings.CutPrefix(name, sts+"-")
		n, err := strconv.Atoi(ordinal)
		return found && err == nil && n >= 0 && strconv.Itoa(n) == ordinal
	})
}

// rbacGrant is what a role grants of what ACC-03 guards.
type rbacGrant struct {
	// rights describe the rights granted, in words, in a fixed order.
	rights []string
	// unknownRoles are roles a bind rule names that the evidence does not hold (offline),
	// as Kind/name: what binding them would grant cannot be judged.
	unknownRoles []string
}

// rbacCovers reports whether rules grant the single request rule.
func rbacCovers(rules []rbacv1.PolicyRule, group, resource, verb string, names ...string) bool {
	ok, _ := rbacvalidation.Covers(rules, []rbacv1.PolicyRule{{APIGroups: []string{group}, Resources: []string{resource}, Verbs: []string{verb}, ResourceNames: names}})
	return ok
}

// rbacCoversAnyName reports whether rules grant the request on at least one object: a rule
// limited by resourceNames still grants it on the objects it names.
func rbacCoversAnyName(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	return rbacCovers(rulesWithoutNames(rules), group, resource, verb)
}

func rulesWithoutNames(rules []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	out := make([]rbacv1.PolicyRule, len(rules))
	for i, r := range rules {
		r.ResourceNames = nil
		out[i] = r
	}
	return out
}

// reachesAssetPod reports whether rules grant the request on every pod, or on one of the
// asset's pods they name.
func (g guardedRights) reachesAssetPod(rules []rbacv1.PolicyRule, resource, verb string) bool {
	if rbacCovers(rules, "", resource, verb) {
		return true
	}
	for _, r := range rules {
		for _, name := range r.ResourceNames {
			if g.isAssetPod(name) && rbacCovers(rules, "", resource, verb, name) {
				return true
			}
		}
	}
	return false
}

// granted returns what rules grant of what ACC-03 guards.
func (g guardedRights) granted(rules []rbacv1.PolicyRule) rbacGrant {
	gr := rbacGrant{rights: g.direct(rules)}
	bind, unknown := g.bind(rules)
	gr.rights = append(gr.rights, bind...)
	gr.unknownRoles = unknown
	return gr
}

// direct returns the rights rules grant by themselves (all but binding other roles).
func (g guardedRights) direct(rules []rbacv1.PolicyRule) []string {
	var rights []string

	var readable []string
	for _, s := range g.secrets {
		if slices.ContainsFunc([]string{"get", "list", "watch"}, func(verb string) bool { return rbacCovers(rules, "", "secrets", verb, s) }) {
			readable = append(readable, s)
		}
	}
	if len(readable) > 0 {
		rights = append(rights, "read "+countNoun("Secret", len(readable))+" "+quotedList(readable))
	}

	var reach []string
	for _, sub := range podSubresources {
		if slices.ContainsFunc(sub.verbs, func(verb string) bool { return g.reachesAssetPod(rules, sub.resource, verb) }) {
			reach = append(reach, sub.reach)
		}
	}
	if g.reachesAssetPod(rules, "pods", "update") || g.reachesAssetPod(rules, "pods", "patch") {
		reach = append(reach, "change the image of")
	}
	if len(reach) > 0 {
		rights = append(rights, englishList(reach)+" its pods")
	}

	// Workloads: create (a name is never known when a request creates), update and patch
	// (on any object of the kind, named or not: its pod template can be rewritten to mount
	// any Secret). A pod's volumes cannot be changed, so pods count for create only.
	type kinds struct {
		verbs  []string
		plural []string
	}
	var byVerbs []kinds
	for _, k := range workloadKinds {
		var verbs []string
		if rbacCovers(rules, k.group, k.resource, "create") {
			verbs = append(verbs, "create")
		}
		if k.resource != "pods" {
			for _, verb := range []string{"update", "patch"} {
				if rbacCoversAnyName(rules, k.group, k.resource, verb) {
					verbs = append(verbs, verb)
				}
			}
		}
		if len(verbs) == 0 {
			continue
		}
		if i := slices.IndexFunc(byVerbs, func(b kinds) bool { return slices.Equal(b.verbs, verbs) }); i >= 0 {
			byVerbs[i].plural = append(byVerbs[i].plural, k.plural)
		} else {
			byVerbs = append(byVerbs, kinds{verbs, []string{k.plural}})
		}
	}
	for _, b := range byVerbs {
		rights = append(rights, fmt.Sprintf("%s %s (which can mount its Secrets)", englishList(b.verbs), englishList(b.plural)))
	}

	var tokens []string
	for _, sa := range g.accounts {
		if rbacCovers(rules, "", "serviceaccounts/token", "create", sa) {
			tokens = append(tokens, sa)
		}
	}
	if len(tokens) > 0 {
		rights = append(rights, "create tokens for its "+countNoun("ServiceAccount", len(tokens))+" "+quotedList(tokens))
	}

	var identities []string
	for _, i := range impersonated {
		if rbacCoversAnyName(rules, "", i.resource, "impersonate") {
			identities = append(identities, i.kind)
		}
	}
	if len(identities) > 0 {
		rights = append(rights, "impersonate "+englishList(identities))
	}

	if rbacCoversAnyName(rules, rbacv1.GroupName, "roles", "escalate") || rbacCoversAnyName(rules, rbacv1.GroupName, "clusterroles", "escalate") {
		rights = append(rights, "escalate roles")
	}
	return rights
}

// bind returns the rights to bind roles that rules grant: any role, or named roles that
// grant a guarded right themselves; and, offline, the named roles it cannot judge.
func (g guardedRights) bind(rules []rbacv1.PolicyRule) (rights, unknown []string) {
	if bindsAnyRole(rules) {
		return []string{"bind roles"}, nil
	}
	var named []string
	for _, kind := range []struct{ resource, kind string }{{"roles", "Role"}, {"clusterroles", "ClusterRole"}} {
		var names []string
		for _, r := range rules {
			names = append(names, r.ResourceNames...)
		}
		slices.Sort(names)
		for _, name := range slices.Compact(names) {
			if !rbacCovers(rules, rbacv1.GroupName, kind.resource, "bind", name) {
				continue
			}
			roleRules, found := g.role(kind.kind, name)
			switch {
			case !found && g.offline:
				unknown = append(unknown, kind.kind+"/"+name)
			case found && (len(g.direct(roleRules)) > 0 || bindsAnyRole(roleRules)):
				named = append(named, fmt.Sprintf("%s %q", kind.kind, name))
			}
		}
	}
	if len(named) > 0 {
		rights = append(rights, "bind "+englishList(named))
	}
	return rights, unknown
}

// bindsAnyRole reports whether rules grant bind on every Role or every ClusterRole.
func bindsAnyRole(rules []rbacv1.PolicyRule) bool {
	return rbacCovers(rules, rbacv1.GroupName, "roles", "bind") || rbacCovers(rules, rbacv1.GroupName, "clusterroles", "bind")
}

// MayGrantGuardedRights reports whether rules could grant a right ACC-03 guards for some
// asset (reading Secrets, reaching into pods, creating or changing workloads, requesting
// ServiceAccount tokens, impersonating, escalating or binding roles), so that a change to
// a binding of them must re-evaluate every asset. It errs towards true: names in rules
// are ignored (a named Secret, pod, ServiceAccount or role may be some asset's), and any
// impersonate rule counts.
func MayGrantGuardedRights(rules []rbacv1.PolicyRule) bool {
	unnamed := rulesWithoutNames(rules)
	may := func(group, resource string, verbs ...string) bool {
		return slices.ContainsFunc(verbs, func(verb string) bool { return rbacCovers(unnamed, group, resource, verb) })
	}
	for _, rule := range rules {
		if slices.Contains(rule.Verbs, "impersonate") {
			return true
		}
	}
	if may("", "secrets", "get", "list", "watch") || may("", "serviceaccounts/token", "create") ||
		may("", "pods", "update", "patch") ||
		may(rbacv1.GroupName, "roles", "escalate", "bind") || may(rbacv1.GroupName, "clusterroles", "escalate", "bind") {
		return true
	}
	for _, sub := range podSubresources {
		if may("", sub.resource, sub.verbs...) {
			return true
		}
	}
	for _, k := range workloadKinds {
		if may(k.group, k.resource, "create", "update", "patch") {
			return true
		}
	}
	for _, i := range impersonated {
		if may("", i.resource, "impersonate") {
			return true
		}
	}
	return false
}

// plural returns noun, with an s when n is not 1.
func countNoun(noun string, n int) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// quotedList quotes each word and joins them in English: "a", "b" and "c".
func quotedList(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = fmt.Sprintf("%q", w)
	}
	return englishList(quoted)
}

// englishList joins words in English: a, b and c.
func englishList(words []string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
