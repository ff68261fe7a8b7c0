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
// RoleBinding or ClusterRoleBinding that would give the token a use.
func checkServiceAccount(e *Evidence) outcome {
	var out outcome
	for _, w := range e.Workloads {
		sa := serviceAccountName(w)
		if sa == "default" {
			out.findings = append(out.findings, isms.Finding{Resource: w.Ref(),
				Message: "pods run as the namespace's default ServiceAccount; give the workload its own ServiceAccount"})
			continue
		}
		if automountsToken(e, w, sa) && !hasBinding(e, sa) {
			out.findings = append(out.findings, isms.Finding{Resource: w.Ref(),
				Message: fmt.Sprintf("pods mount an API token for ServiceAccount %q, which no RoleBinding or ClusterRoleBinding grants anything; set automountServiceAccountToken: false", sa)})
			continue
		}
		out.passed = append(out.passed, fmt.Sprintf("%s runs as its own ServiceAccount %q", w.Ref(), sa))
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

// hasBinding reports whether a RoleBinding of the namespace or a ClusterRoleBinding names
// the ServiceAccount.
func hasBinding(e *Evidence, sa string) bool {
	ns := e.Asset.Namespace
	names := func(subjects []rbacv1.Subject, bindingNamespace string) bool {
		return slices.ContainsFunc(subjects, func(s rbacv1.Subject) bool {
			s = normaliseSubject(s, bindingNamespace)
			return s.Kind == rbacv1.ServiceAccountKind && s.Namespace == ns && s.Name == sa
		})
	}
	for _, rb := range e.RBAC.RoleBindings {
		if names(rb.Subjects, rb.Namespace) {
			return true
		}
	}
	for _, crb := range e.RBAC.ClusterRoleBindings {
		if names(crb.Subjects, "") {
			return true
		}
	}
	return false
}
