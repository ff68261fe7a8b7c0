package controls

import (
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// serviceAccountName returns the ServiceAccount a workload's pods run as.
func serviceAccountName(w Workload) string {
	if name := w.Template.Spec.ServiceAccountName; name != "" {
		return name
	}
	if name := w.Template.Spec.DeprecatedServiceAccount; name != "" {
		return name
	}
	return "default"
}

// serviceAccountsOf returns, sorted, the ServiceAccounts the workloads' pods run as.
func serviceAccountsOf(workloads []Workload) []string {
	var names []string
	for _, w := range workloads {
		names = append(names, serviceAccountName(w))
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// checkServiceAccount is ACC-04: pods do not run as the namespace's default
// ServiceAccount, and do not mount an API token when their ServiceAccount has no
// RoleBinding (in any namespace) or ClusterRoleBinding that would give the token a use.
func checkServiceAccount(e *Evidence) outcome {
	var out outcome
	for _, w := range e.Workloads {
		sa := serviceAccountName(w)
		if sa == "default" {
			out.findings = append(out.findings, isms.Finding{Resource: w.Ref(),
				Message: "pods run as the namespace's default ServiceAccount; give the workload its own ServiceAccount"})
			continue
		}
		bindings := serviceAccountBindings(e, sa)
		automount, projected := automountsToken(e, w, sa), projectedAPITokens(w)
		switch {
		case len(bindings) > 0 && (automount || len(projected) > 0):
			out.passed = append(out.passed, fmt.Sprintf("%s runs as its own ServiceAccount %q, whose token is used by %s", w.Ref(), sa, describeBindings(bindings)))
		case automount:
			out.findings = append(out.findings, isms.Finding{Resource: w.Ref(),
				Message: fmt.Sprintf("pods mount an API token for ServiceAccount %q, which no RoleBinding (in any namespace) or ClusterRoleBinding grants anything; set automountServiceAccountToken: false", sa)})
		case len(projected) > 0:
			out.findings = append(out.findings, isms.Finding{Resource: w.Ref(),
				Message: fmt.Sprintf("pods mount an API token for ServiceAccount %q in projected %s %s, and no RoleBinding (in any namespace) or ClusterRoleBinding grants it anything; remove the serviceAccountToken projection or give it an audience other than the API server's",
					sa, countNoun("volume", len(projected)), quotedList(projected))})
		default:
			out.passed = append(out.passed, fmt.Sprintf("%s runs as its own ServiceAccount %q with no API token mounted", w.Ref(), sa))
		}
	}
	return out
}

// automountsToken: the pod's automountServiceAccountToken, else the ServiceAccount's, else true.
func automountsToken(e *Evidence, w Workload, sa string) bool {
	if v := w.Template.Spec.AutomountServiceAccountToken; v != nil {
		return *v
	}
	if account, found := e.ServiceAccounts[sa]; found && account.AutomountServiceAccountToken != nil {
		return *account.AutomountServiceAccountToken
	}
	return true
}

// projectedAPITokens returns, sorted, the volumes that project a ServiceAccount token for
// the API server (no audience, which defaults to the API server's) whatever automount says.
func projectedAPITokens(w Workload) []string {
	var names []string
	for _, v := range w.Template.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, source := range v.Projected.Sources {
			if source.ServiceAccountToken != nil && source.ServiceAccountToken.Audience == "" {
				names = append(names, v.Name)
				break
			}
		}
	}
	slices.Sort(names)
	return names
}

// serviceAccountBindings returns, sorted and once each, the bindings that name the asset's
// ServiceAccount: RoleBindings of any namespace and ClusterRoleBindings, as
// "RoleBinding namespace/name" and "ClusterRoleBinding name". A binding to a role that does
// not exist still counts: the token is meant to be used, and the binding is someone's
// decision to review, not ACC-04's.
func serviceAccountBindings(e *Evidence, sa string) []string {
	ns := e.Asset.Namespace
	names := func(subjects []rbacv1.Subject, bindingNamespace string) bool {
		return slices.ContainsFunc(subjects, func(s rbacv1.Subject) bool {
			s = normaliseSubject(s, bindingNamespace)
			return s.Kind == rbacv1.ServiceAccountKind && s.Namespace == ns && s.Name == sa
		})
	}
	var found []string
	for _, rb := range slices.Concat(e.RBAC.RoleBindings, e.RBAC.ServiceAccountBindings) {
		if names(rb.Subjects, rb.Namespace) {
			found = append(found, "RoleBinding "+rb.Namespace+"/"+rb.Name)
		}
	}
	for _, crb := range e.RBAC.ClusterRoleBindings {
		if names(crb.Subjects, "") {
			found = append(found, "ClusterRoleBinding "+crb.Name)
		}
	}
	slices.Sort(found)
	return slices.Compact(found)
}

// describeBindings names the first binding and counts the others, so a message stays short.
func describeBindings(bindings []string) string {
	if len(bindings) == 1 {
		return bindings[0]
	}
	return fmt.Sprintf("%s and %d other %s", bindings[0], len(bindings)-1, countNoun("binding", len(bindings)-1))
}
