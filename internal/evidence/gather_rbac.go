package evidence

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/isms-operator/isms-operator/internal/controls"
)

// rbac reads the RBAC the access controls judge, through indexes rather than every
// binding of the namespace and the cluster:
//   - ACC-03: the Roles of the namespace and the ClusterRoles whose rules could grant what
//     it guards, and the RoleBindings of the namespace and the ClusterRoleBindings that
//     bind them (a binding of any other role cannot grant it);
//   - ACC-04: the RoleBindings, of any namespace, and the ClusterRoleBindings that name
//     one of the asset's ServiceAccounts.
//
// Offline, a binding's role may simply not be in the manifests, which ACC-03 must say:
// there, every binding of the namespace and the cluster is read.
func (g *Gatherer) rbac(ctx context.Context, e *controls.Evidence) error {
	ns := e.Asset.Namespace
	r := controls.RBAC{Roles: map[string]*rbacv1.Role{}, ClusterRoles: map[string]*rbacv1.ClusterRole{}}
	var roles rbacv1.RoleList
	var clusterRoles rbacv1.ClusterRoleList
	if err := g.list(ctx, &roles, ns, IndexGuarded, indexTrue); err != nil {
		return err
	}
	if err := g.list(ctx, &clusterRoles, "", IndexGuarded, indexTrue); err != nil {
		return err
	}
	var refs []string
	for i := range roles.Items {
		r.Roles[roles.Items[i].Name] = &roles.Items[i]
		refs = append(refs, "Role/"+roles.Items[i].Name)
	}
	for i := range clusterRoles.Items {
		r.ClusterRoles[clusterRoles.Items[i].Name] = &clusterRoles.Items[i]
		refs = append(refs, "ClusterRole/"+clusterRoles.Items[i].Name)
	}
	bindings, clusterBindings := map[string]rbacv1.RoleBinding{}, map[string]rbacv1.ClusterRoleBinding{}
	if g.Offline {
		var all rbacv1.RoleBindingList
		var allCluster rbacv1.ClusterRoleBindingList
		if err := g.Reader.List(ctx, &all, client.InNamespace(ns)); err != nil {
			return fmt.Errorf("listing RoleBindings: %w", err)
		}
		if err := g.Reader.List(ctx, &allCluster); err != nil {
			return fmt.Errorf("listing ClusterRoleBindings: %w", err)
		}
		addBindings(bindings, all.Items)
		addClusterBindings(clusterBindings, allCluster.Items)
	}
	for _, ref := range refs {
		var list rbacv1.RoleBindingList
		if err := g.list(ctx, &list, ns, IndexRoleRef, ref); err != nil {
			return err
		}
		addBindings(bindings, list.Items)
		if strings.HasPrefix(ref, "ClusterRole/") {
			var cluster rbacv1.ClusterRoleBindingList
			if err := g.list(ctx, &cluster, "", IndexRoleRef, ref); err != nil {
				return err
			}
			addClusterBindings(clusterBindings, cluster.Items)
		}
	}
	accounts := map[string]bool{}
	for _, w := range e.Workloads {
		accounts[ServiceAccountOf(&w.Template.Spec)] = true
	}
	saBindings := map[string]rbacv1.RoleBinding{}
	for _, sa := range slices.Sorted(maps.Keys(accounts)) {
		var list rbacv1.RoleBindingList
		if err := g.list(ctx, &list, "", IndexServiceAccountSubject, ns+"/"+sa); err != nil {
			return err
		}
		addBindings(saBindings, list.Items)
		var cluster rbacv1.ClusterRoleBindingList
		if err := g.list(ctx, &cluster, "", IndexServiceAccountSubject, ns+"/"+sa); err != nil {
			return err
		}
		addClusterBindings(clusterBindings, cluster.Items)
	}
	r.RoleBindings, r.ClusterRoleBindings = sortedByName(bindings), sortedByName(clusterBindings)
	r.ServiceAccountBindings = sortedByName(saBindings)
	e.RBAC = r
	return nil
}

func addBindings(into map[string]rbacv1.RoleBinding, items []rbacv1.RoleBinding) {
	for _, b := range items {
		into[b.Namespace+"/"+b.Name] = b
	}
}

func addClusterBindings(into map[string]rbacv1.ClusterRoleBinding, items []rbacv1.ClusterRoleBinding) {
	for _, b := range items {
		into[b.Name] = b
	}
}
