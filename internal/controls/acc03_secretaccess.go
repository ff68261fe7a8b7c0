package controls

import (
	"fmt"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	rbacvalidation "k8s.io/component-helpers/auth/rbac/validation"

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

// right is something ACC-03 guards, as the RBAC rule that would grant it.
type right struct {
	description string
	rule        rbacv1.PolicyRule
}

// guardedRights returns what ACC-03 guards for the asset: reading each Secret its pods
// reference, exec into pods, and creating pods (which can mount any Secret).
func guardedRights(secrets []string) []right {
	var rights []right
	for _, name := range secrets {
		for _, verb := range []string{"get", "list", "watch"} {
			rights = append(rights, right{fmt.Sprintf("read Secret %q", name),
				rbacv1.PolicyRule{Verbs: []string{verb}, APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{name}}})
		}
	}
	return append(rights,
		right{"exec into its pods", rbacv1.PolicyRule{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods/exec"}}},
		right{"create pods in its namespace", rbacv1.PolicyRule{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods"}}},
	)
}

// checkSecretAccess is ACC-03: only allowed subjects can read the Secrets the asset's pods
// use, exec into its pods, or create pods in its namespace. It reads RBAC objects and pod
// specs only: no Secret is ever read.
func checkSecretAccess(e *Evidence) outcome {
	var out outcome
	secrets := referencedSecrets(e.Workloads)
	rights := guardedRights(secrets)
	allowed := allowedSubjects(e)

	check := func(ref string, subjects []rbacv1.Subject, roleRef rbacv1.RoleRef, rules []rbacv1.PolicyRule) {
		if !MayGrantGuardedRights(rules) {
			return // most roles: cheaper to rule out than to test right by right
		}
		granted := grantedRights(rules, rights)
		if len(granted) == 0 {
			return
		}
		for _, subject := range subjects {
			if allowed(subject) {
				continue
			}
			out.findings = append(out.findings, isms.Finding{Resource: ref, Message: fmt.Sprintf(
				"%s can %s through %s/%s; remove the binding, narrow the role, or list the subject in controls.access.allowedSubjects",
				describeSubject(subject), strings.Join(granted, ", "), roleRef.Kind, roleRef.Name)})
		}
	}
	for _, rb := range e.RBAC.RoleBindings {
		check("RoleBinding/"+rb.Name, rb.Subjects, rb.RoleRef, e.RBAC.rules(rb.Namespace, rb.RoleRef))
	}
	for _, crb := range e.RBAC.ClusterRoleBindings {
		check("ClusterRoleBinding/"+crb.Name, crb.Subjects, crb.RoleRef, e.RBAC.rules("", crb.RoleRef))
	}
	if len(out.findings) == 0 {
		out.passed = append(out.passed, fmt.Sprintf("only allowed subjects can read the asset's Secrets (%d referenced), exec into its pods or create pods in its namespace", len(secrets)))
	}
	return out
}

// rules returns the rules of the role a binding refers to (none when it does not exist).
func (r RBAC) rules(namespace string, ref rbacv1.RoleRef) []rbacv1.PolicyRule {
	switch ref.Kind {
	case "Role":
		if role, found := r.Roles[ref.Name]; found && role.Namespace == namespace {
			return role.Rules
		}
	case "ClusterRole":
		if role, found := r.ClusterRoles[ref.Name]; found {
			return role.Rules
		}
	}
	return nil
}

// grantedRights returns the descriptions of the rights that rules grant, in order, once each.
func grantedRights(rules []rbacv1.PolicyRule, rights []right) []string {
	var granted []string
	for _, r := range rights {
		if covers, _ := rbacvalidation.Covers(rules, []rbacv1.PolicyRule{r.rule}); covers && !slices.Contains(granted, r.description) {
			granted = append(granted, r.description)
		}
	}
	return granted
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

// MayGrantGuardedRights reports whether rules could grant a right ACC-03 guards for some
// asset (reading Secrets, exec into pods, creating pods), so that a change to a binding of
// them must re-evaluate every asset.
func MayGrantGuardedRights(rules []rbacv1.PolicyRule) bool {
	for _, rule := range rules {
		if !slices.Contains(rule.APIGroups, "") && !slices.Contains(rule.APIGroups, "*") {
			continue
		}
		for _, resource := range rule.Resources {
			switch resource {
			case "secrets", "pods", "pods/exec", "*", "*/exec":
				return true
			}
		}
	}
	return false
}
