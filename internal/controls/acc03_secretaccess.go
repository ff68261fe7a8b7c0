package controls

import (
	"fmt"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// DefaultExemptSubjects are exempt from ACC-03 unless the operator is installed with other
// exemptions: cluster administrators, the control plane's own identities, and kube-system's
// ServiceAccounts (the operator adds its own ServiceAccount at start).
var DefaultExemptSubjects = []isms.Subject{
	{Kind: rbacv1.GroupKind, Name: "system:masters"},
	{Kind: rbacv1.UserKind, Name: "system:kube-controller-manager"},
	{Kind: rbacv1.UserKind, Name: "system:kube-scheduler"},
	{Kind: rbacv1.ServiceAccountKind, Namespace: "kube-system", Name: "*"},
}

// checkSecretAccess is ACC-03: only allowed subjects can read the Secrets the asset's pods
// use, or take a path to them that Kubernetes' "RBAC good practices" lists (see
// acc03_rights.go). Subjects come from the RoleBindings of its namespace and the
// ClusterRoleBindings. It reads RBAC objects and pod specs only: no Secret is ever read.
//
// A binding whose role the evidence does not hold grants nothing in a cluster (the API
// server ignores it), but offline the role may exist without being among the manifests
// (a built-in ClusterRole such as admin): such a binding cannot be judged, and the
// control is not evaluated, naming it, unless a definite finding fails it anyway. The
// outcome holds either findings or a reason, so a failing result does not mention the
// bindings it could not judge: its findings stay definite, and once they are fixed the
// next evaluation names them.
func checkSecretAccess(e *Evidence) outcome {
	var out outcome
	rights := guardedRightsOf(e)
	allowed := allowedSubjects(e)
	var unknown []string

	check := func(ref, namespace string, subjects []rbacv1.Subject, roleRef rbacv1.RoleRef, rules []rbacv1.PolicyRule, found bool) {
		flagged := slices.DeleteFunc(slices.Clone(subjects), allowed)
		if len(flagged) == 0 {
			return
		}
		if !found {
			if e.Offline {
				unknown = append(unknown, fmt.Sprintf("%s (%s/%s)", ref, roleRef.Kind, roleRef.Name))
			}
			return
		}
		if !MayGrantGuardedRights(rules) {
			return // most roles: cheaper to rule out than to test right by right
		}
		granted := rights.granted(rules)
		for _, role := range granted.unknownRoles {
			unknown = append(unknown, fmt.Sprintf("%s (%s/%s, which may bind %s)", ref, roleRef.Kind, roleRef.Name, role))
		}
		if len(granted.rights) == 0 {
			return
		}
		for _, subject := range flagged {
			out.findings = append(out.findings, isms.Finding{Resource: ref, Message: fmt.Sprintf(
				"%s can %s through %s/%s; remove the binding, narrow the role, or list the subject in controls.access.allowedSubjects",
				describeSubject(normaliseSubject(subject, namespace)), strings.Join(granted.rights, "; "), roleRef.Kind, roleRef.Name)})
		}
	}
	for _, rb := range e.RBAC.RoleBindings {
		rules, found := e.RBAC.rules(rb.Namespace, rb.RoleRef)
		check("RoleBinding/"+rb.Name, rb.Namespace, rb.Subjects, rb.RoleRef, rules, found)
	}
	for _, crb := range e.RBAC.ClusterRoleBindings {
		rules, found := e.RBAC.rules("", crb.RoleRef)
		check("ClusterRoleBinding/"+crb.Name, "", crb.Subjects, crb.RoleRef, rules, found)
	}
	switch {
	case len(out.findings) > 0:
	case len(unknown) > 0:
		slices.Sort(unknown)
		out.notEvaluated = fmt.Sprintf("not evaluated: the manifests do not hold the roles of %s, so what they grant cannot be judged; audit the manifests together with those roles, or evaluate in a cluster",
			englishList(slices.Compact(unknown)))
	default:
		out.passed = append(out.passed, secretAccessPassed(rights, len(e.RBAC.RoleBindings)+len(e.RBAC.ClusterRoleBindings)))
	}
	return out
}

// secretAccessPassed says what no subject outside the allowed ones can do.
func secretAccessPassed(g guardedRights, bindings int) string {
	var secrets string
	switch len(g.secrets) {
	case 0:
		secrets = "read Secrets (its pods reference none)"
	case 1:
		secrets = fmt.Sprintf("read its Secret %q", g.secrets[0])
	default:
		secrets = fmt.Sprintf("read its %d Secrets", len(g.secrets))
	}
	return fmt.Sprintf("no subject outside the allowed ones can %s, exec into, attach to or port-forward to its pods, add ephemeral containers to them or change their image, "+
		"create or change its workloads, create tokens for its %s %s, impersonate, escalate or bind roles (%d %s checked)",
		secrets, countNoun("ServiceAccount", len(g.accounts)), quotedList(g.accounts), bindings, countNoun("binding", bindings))
}

// rules returns the rules of the role a binding refers to, and whether the evidence holds it.
func (r RBAC) rules(namespace string, ref rbacv1.RoleRef) ([]rbacv1.PolicyRule, bool) {
	switch ref.Kind {
	case "Role":
		if role, found := r.Roles[ref.Name]; found && role.Namespace == namespace {
			return role.Rules, true
		}
	case "ClusterRole":
		if role, found := r.ClusterRoles[ref.Name]; found {
			return role.Rules, true
		}
	}
	return nil, false
}

// allowedSubjects returns a predicate for the subjects ACC-03 does not flag: the asset's
// own ServiceAccounts, its allowedSubjects, and the install-time exemptions.
func allowedSubjects(e *Evidence) func(rbacv1.Subject) bool {
	ns := e.Asset.Namespace
	var allowed []isms.Subject
	for _, sa := range serviceAccountsOf(e.Workloads) {
		if sa == "default" {
			continue // every pod of the namespace that names no ServiceAccount runs as default
		}
		allowed = append(allowed, isms.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: sa})
	}
	if c := e.Asset.Spec.Controls; c != nil {
		for _, s := range access(c).AllowedSubjects {
			if s.Kind == rbacv1.ServiceAccountKind && s.Namespace == "" {
				s.Namespace = ns
			}
			allowed = append(allowed, s)
		}
	}
	allowed = append(allowed, e.Exempt...)
	return func(subject rbacv1.Subject) bool {
		subject = normaliseSubject(subject, ns)
		return slices.ContainsFunc(allowed, func(a isms.Subject) bool {
			return a.Kind == subject.Kind && glob(a.Name, subject.Name) && glob(a.Namespace, subject.Namespace)
		})
	}
}

// normaliseSubject makes a ServiceAccount's identity one shape: a User named
// system:serviceaccount:NS:NAME is that ServiceAccount, and a ServiceAccount subject
// without a namespace is in the binding's.
func normaliseSubject(s rbacv1.Subject, ns string) rbacv1.Subject {
	if rest, isSA := strings.CutPrefix(s.Name, "system:serviceaccount:"); s.Kind == rbacv1.UserKind && isSA {
		if saNamespace, name, ok := strings.Cut(rest, ":"); ok {
			return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: saNamespace, Name: name}
		}
	}
	if s.Kind == rbacv1.ServiceAccountKind && s.Namespace == "" {
		s.Namespace = ns
	}
	return rbacv1.Subject{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace}
}

func glob(pattern, value string) bool {
	matched, err := path.Match(pattern, value)
	return err == nil && matched
}

func describeSubject(s rbacv1.Subject) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		return fmt.Sprintf("ServiceAccount %s/%s", s.Namespace, s.Name)
	}
	return fmt.Sprintf("%s %q", s.Kind, s.Name)
}

// referencedSecrets returns, sorted, the Secrets the workloads' pods reference: volumes,
// projected volumes, env, envFrom and imagePullSecrets, in every kind of container.
func referencedSecrets(workloads []Workload) []string {
	var names []string
	for _, w := range workloads {
		spec := &w.Template.Spec
		for _, v := range spec.Volumes {
			if v.Secret != nil {
				names = append(names, v.Secret.SecretName)
			}
			if v.Projected != nil {
				for _, source := range v.Projected.Sources {
					if source.Secret != nil {
						names = append(names, source.Secret.Name)
					}
				}
			}
		}
		for _, ref := range spec.ImagePullSecrets {
			names = append(names, ref.Name)
		}
		visitContainers(spec, func(c *corev1.Container) {
			for _, env := range c.Env {
				if env.ValueFrom != nil && env.ValueFrom.SecretKeyRef != nil {
					names = append(names, env.ValueFrom.SecretKeyRef.Name)
				}
			}
			for _, from := range c.EnvFrom {
				if from.SecretRef != nil {
					names = append(names, from.SecretRef.Name)
				}
			}
		})
	}
	names = slices.DeleteFunc(names, func(n string) bool { return n == "" })
	slices.Sort(names)
	return slices.Compact(names)
}

// visitContainers calls fn for every init, regular and ephemeral container of spec.
func visitContainers(spec *corev1.PodSpec, fn func(*corev1.Container)) {
	for i := range spec.InitContainers {
		fn(&spec.InitContainers[i])
	}
	for i := range spec.Containers {
		fn(&spec.Containers[i])
	}
	for i := range spec.EphemeralContainers {
		fn((*corev1.Container)(&spec.EphemeralContainers[i].EphemeralContainerCommon))
	}
}
