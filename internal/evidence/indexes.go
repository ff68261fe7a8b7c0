package evidence

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	snapshotv1 "github.com/kubernetes-csi/external-snapshotter/client/v8/apis/volumesnapshot/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
)

// Field indexes the gatherer asks its questions through (client.MatchingFields), so that
// gathering an asset costs what is relevant to it, not what its namespace or the cluster
// holds. The operator registers them on its cache, and its watches answer "which assets
// does this change affect" through them; the audit's store serves the same indexes from
// the same functions, so the gatherer asks the same questions in a cluster and offline.
const (
	// IndexTemplateLabel indexes workloads by their pod template's labels, as "key=value"
	// and "key" (for Exists), and only the workloads that are judged (evidence.PodTemplate).
	IndexTemplateLabel = "isms.templateLabel"
	// IndexTemplateClaim indexes workloads by the claims their pods mount, by name, and a
	// StatefulSet by "TEMPLATE-STATEFULSET", the claims it makes.
	IndexTemplateClaim = "isms.templateClaim"
	// IndexTemplateServiceAccount indexes workloads by the ServiceAccount their pods run as.
	IndexTemplateServiceAccount = "isms.templateServiceAccount"
	// IndexClaimSet indexes PersistentVolumeClaims whose name ends in -ORDINAL by the rest:
	// a StatefulSet's claims by "TEMPLATE-STATEFULSET".
	IndexClaimSet = "isms.claimSet"
	// IndexServiceSelector indexes Services by their selector's pairs, as "key=value".
	IndexServiceSelector = "isms.serviceSelector"
	// IndexIngressService indexes Ingresses by the Services they route to.
	IndexIngressService = "isms.ingressService"
	// IndexPolicySelector indexes NetworkPolicies by what their podSelector requires (see
	// SelectorTerms); a podSelector that requires nothing positive is AnyTerm.
	IndexPolicySelector = "isms.policySelector"
	// IndexServiceAccountSubject indexes RoleBindings and ClusterRoleBindings by the
	// ServiceAccounts they name, as "namespace/name".
	IndexServiceAccountSubject = "isms.serviceAccountSubject"
	// IndexRoleRef indexes RoleBindings and ClusterRoleBindings by their role, as "Kind/name".
	IndexRoleRef = "isms.roleRef"
	// IndexGuarded indexes Roles and ClusterRoles whose rules could grant what ACC-03
	// guards (controls.MayGrantGuardedRights) under "true".
	IndexGuarded = "isms.guarded"
	// IndexDefaultClass indexes the default StorageClasses under "true".
	IndexDefaultClass = "isms.defaultClass"
	// IndexPlanAsset indexes ContinuityPlans by the assets they cover.
	IndexPlanAsset = "isms.planAsset"
	// IndexSnapshotClaim indexes VolumeSnapshots by the claim they are of.
	IndexSnapshotClaim = "isms.snapshotClaim"
	// IndexVeleroNamespace indexes Velero Backups and Schedules by the namespaces they
	// take, AllNamespaces when they take every namespace or name them by pattern.
	IndexVeleroNamespace = "isms.veleroNamespace"
	// IndexBackendService indexes Gateway API routes by the Services their backendRefs
	// name, as "namespace/name".
	IndexBackendService = "isms.backendService"
	// IndexParentGateway indexes Gateway API routes by the Gateways they attach to, as
	// "namespace/name".
	IndexParentGateway = "isms.parentGateway"

	// AnyTerm is the index value of a selector that requires no label positively (it
	// selects by NotIn or DoesNotExist only, or selects everything).
	AnyTerm = "<any>"
	// AllNamespaces is the IndexVeleroNamespace value of a Velero object that takes every
	// namespace, or names them by a pattern.
	AllNamespaces = "*"
	// indexTrue is the value of the boolean indexes.
	indexTrue = "true"
)

// Index is a field index: the objects of a kind by the values Extract gives.
type Index struct {
	Object  client.Object
	Field   string
	Extract client.IndexerFunc
}

// Indexes are the indexes of the kinds every cluster serves.
func Indexes() []Index {
	indexes := []Index{
		{&corev1.PersistentVolumeClaim{}, IndexClaimSet, claimSet},
		{&corev1.Service{}, IndexServiceSelector, serviceSelector},
		{&networkingv1.Ingress{}, IndexIngressService, func(o client.Object) []string { return IngressServices(o.(*networkingv1.Ingress)) }},
		{&networkingv1.NetworkPolicy{}, IndexPolicySelector, policySelector},
		{&rbacv1.RoleBinding{}, IndexServiceAccountSubject, ServiceAccountSubjects},
		{&rbacv1.ClusterRoleBinding{}, IndexServiceAccountSubject, ServiceAccountSubjects},
		{&rbacv1.RoleBinding{}, IndexRoleRef, roleRef},
		{&rbacv1.ClusterRoleBinding{}, IndexRoleRef, roleRef},
		{&rbacv1.Role{}, IndexGuarded, guarded},
		{&rbacv1.ClusterRole{}, IndexGuarded, guarded},
		{&storagev1.StorageClass{}, IndexDefaultClass, defaultClass},
		{&isms.ContinuityPlan{}, IndexPlanAsset, planAssets},
	}
	for _, w := range WorkloadObjects() {
		indexes = append(indexes, Index{w, IndexTemplateLabel, TemplateLabels},
			Index{w, IndexTemplateClaim, TemplateClaims}, Index{w, IndexTemplateServiceAccount, TemplateServiceAccount})
	}
	return indexes
}

// OptionalIndexes returns the indexes of an optional kind, registered when it is found.
func OptionalIndexes(gvk schema.GroupVersionKind) []Index {
	if obj, ok := routeObject(gvk); ok {
		return []Index{{obj, IndexBackendService, BackendServices}, {obj, IndexParentGateway, parentGateways}}
	}
	switch gvk {
	case VolumeSnapshot:
		return []Index{{&snapshotv1.VolumeSnapshot{}, IndexSnapshotClaim, snapshotClaim}}
	case VeleroBackup, VeleroSchedule:
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		return []Index{{u, IndexVeleroNamespace, VeleroNamespaces}}
	}
	return nil
}

// TemplateLabels are the index values of a judged workload's pod template labels.
func TemplateLabels(o client.Object) []string {
	_, template, ok := PodTemplate(o)
	if !ok {
		return nil
	}
	var keys []string
	for k, v := range template.Labels {
		keys = append(keys, k+"="+v, k)
	}
	return keys
}

// TemplateClaims are the claims a judged workload's pods mount, and for a StatefulSet the
// TEMPLATE-STATEFULSET names of the claims it makes.
func TemplateClaims(o client.Object) []string {
	_, template, ok := PodTemplate(o)
	if !ok {
		return nil
	}
	var keys []string
	for _, v := range template.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			keys = append(keys, v.PersistentVolumeClaim.ClaimName)
		}
	}
	if sts, isSTS := o.(*appsv1.StatefulSet); isSTS {
		for _, vct := range sts.Spec.VolumeClaimTemplates {
			keys = append(keys, vct.Name+"-"+sts.Name)
		}
	}
	return keys
}

// TemplateServiceAccount is the ServiceAccount a judged workload's pods run as.
func TemplateServiceAccount(o client.Object) []string {
	_, template, ok := PodTemplate(o)
	if !ok {
		return nil
	}
	return []string{ServiceAccountOf(&template.Spec)}
}

// ServiceAccountOf is the ServiceAccount pods of the spec run as.
func ServiceAccountOf(spec *corev1.PodSpec) string {
	return cmp.Or(spec.ServiceAccountName, spec.DeprecatedServiceAccount, "default")
}

// claimSet is a claim's name without its -ORDINAL, for a name that ends in one.
func claimSet(o client.Object) []string {
	name := o.GetName()
	i := strings.LastIndexByte(name, '-')
	if i <= 0 {
		return nil
	}
	if _, err := strconv.ParseUint(name[i+1:], 10, 32); err != nil {
		return nil
	}
	return []string{name[:i]}
}

func serviceSelector(o client.Object) []string {
	var keys []string
	for k, v := range o.(*corev1.Service).Spec.Selector {
		keys = append(keys, k+"="+v)
	}
	return keys
}

// IngressServices are the Services an Ingress's default backend and rules route to.
func IngressServices(ing *networkingv1.Ingress) []string {
	var names []string
	if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil {
		names = append(names, b.Service.Name)
	}
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		for _, path := range rule.HTTP.Paths {
			if path.Backend.Service != nil {
				names = append(names, path.Backend.Service.Name)
			}
		}
	}
	return names
}

func policySelector(o client.Object) []string {
	return SelectorTerms(&o.(*networkingv1.NetworkPolicy).Spec.PodSelector)
}

// SelectorTerms are the index values under which a label selector is found from the
// labels of what it selects: each matchLabels pair "key=value"; else, for the first In
// expression, "key=value" for each of its values; else, for the first Exists, "key";
// else AnyTerm. Anything the selector matches carries at least one of them, so a lookup by
// the labels of an object, and AnyTerm, finds every selector that may match it.
func SelectorTerms(s *metav1.LabelSelector) []string {
	var terms []string
	for k, v := range s.MatchLabels {
		terms = append(terms, k+"="+v)
	}
	if len(terms) > 0 {
		slices.Sort(terms)
		return terms[:1]
	}
	for _, e := range s.MatchExpressions {
		if e.Operator == metav1.LabelSelectorOpIn && len(e.Values) > 0 {
			for _, v := range e.Values {
				terms = append(terms, e.Key+"="+v)
			}
			return terms
		}
	}
	for _, e := range s.MatchExpressions {
		if e.Operator == metav1.LabelSelectorOpExists {
			return []string{e.Key}
		}
	}
	return []string{AnyTerm}
}

// LabelTerms are the index values to look selectors up by for an object's labels: each
// "key=value", each "key", and AnyTerm.
func LabelTerms(labels map[string]string) []string {
	terms := []string{AnyTerm}
	for k, v := range labels {
		terms = append(terms, k+"="+v, k)
	}
	return terms
}

// ServiceAccountSubjects are the ServiceAccounts a RoleBinding or ClusterRoleBinding
// names, as namespace/name: a ServiceAccount subject (without a namespace, in the
// binding's), or the User the API server authenticates it as, system:serviceaccount:NS:NAME.
func ServiceAccountSubjects(o client.Object) []string {
	var subjects []rbacv1.Subject
	switch b := o.(type) {
	case *rbacv1.RoleBinding:
		subjects = b.Subjects
	case *rbacv1.ClusterRoleBinding:
		subjects = b.Subjects
	}
	var keys []string
	for _, s := range subjects {
		switch rest, isSA := strings.CutPrefix(s.Name, "system:serviceaccount:"); {
		case s.Kind == rbacv1.ServiceAccountKind:
			keys = append(keys, cmp.Or(s.Namespace, o.GetNamespace())+"/"+s.Name)
		case s.Kind == rbacv1.UserKind && isSA && strings.Count(rest, ":") == 1:
			keys = append(keys, strings.Replace(rest, ":", "/", 1))
		}
	}
	return keys
}

func roleRef(o client.Object) []string {
	switch b := o.(type) {
	case *rbacv1.RoleBinding:
		return []string{b.RoleRef.Kind + "/" + b.RoleRef.Name}
	case *rbacv1.ClusterRoleBinding:
		return []string{b.RoleRef.Kind + "/" + b.RoleRef.Name}
	}
	return nil
}

func guarded(o client.Object) []string {
	var rules []rbacv1.PolicyRule
	switch r := o.(type) {
	case *rbacv1.Role:
		rules = r.Rules
	case *rbacv1.ClusterRole:
		rules = r.Rules
	}
	if controls.MayGrantGuardedRights(rules) {
		return []string{indexTrue}
	}
	return nil
}

func defaultClass(o client.Object) []string {
	if o.GetAnnotations()[controls.AnnotationDefaultClass] == "true" {
		return []string{indexTrue}
	}
	return nil
}

func planAssets(o client.Object) []string {
	var names []string
	for _, a := range o.(*isms.ContinuityPlan).Spec.Assets {
		names = append(names, a.Name)
	}
	return names
}

func snapshotClaim(o client.Object) []string {
	if name := o.(*snapshotv1.VolumeSnapshot).Spec.Source.PersistentVolumeClaimName; name != nil {
		return []string{*name}
	}
	return nil
}

// VeleroNamespaces are the namespaces a Velero Backup, or a Schedule's template, takes by
// name; AllNamespaces when it takes them all or names them by pattern.
func VeleroNamespaces(o client.Object) []string {
	path := []string{"spec", "includedNamespaces"}
	if o.GetObjectKind().GroupVersionKind().Kind == VeleroSchedule.Kind {
		path = []string{"spec", "template", "includedNamespaces"}
	}
	included, _, _ := unstructured.NestedStringSlice(o.(*unstructured.Unstructured).Object, path...)
	if len(included) == 0 || slices.ContainsFunc(included, func(ns string) bool { return strings.ContainsAny(ns, "*?[{") }) {
		return []string{AllNamespaces}
	}
	return included
}

// route is what the indexes read of an HTTPRoute, GRPCRoute or TLSRoute.
type route struct {
	namespace string
	parents   []gatewayv1.ParentReference
	backends  []gatewayv1.BackendObjectReference
}

func routeOf(o client.Object) route {
	r := route{namespace: o.GetNamespace()}
	switch o := o.(type) {
	case *gatewayv1.HTTPRoute:
		r.parents = o.Spec.ParentRefs
		for _, rule := range o.Spec.Rules {
			for _, b := range rule.BackendRefs {
				r.backends = append(r.backends, b.BackendObjectReference)
			}
		}
	case *gatewayv1.GRPCRoute:
		r.parents = o.Spec.ParentRefs
		for _, rule := range o.Spec.Rules {
			for _, b := range rule.BackendRefs {
				r.backends = append(r.backends, b.BackendObjectReference)
			}
		}
	case *gatewayv1.TLSRoute:
		r.parents = o.Spec.ParentRefs
		for _, rule := range o.Spec.Rules {
			for _, b := range rule.BackendRefs {
				r.backends = append(r.backends, b.BackendObjectReference)
			}
		}
	}
	return r
}

// BackendServices are the Services a Gateway API route's backendRefs name, as namespace/name.
func BackendServices(o client.Object) []string {
	r := routeOf(o)
	var keys []string
	for _, b := range r.backends {
		if (b.Group == nil || *b.Group == "") && (b.Kind == nil || *b.Kind == "Service") {
			keys = append(keys, namespaceOr(b.Namespace, r.namespace)+"/"+string(b.Name))
		}
	}
	return keys
}

// parentGateways are the Gateways a route attaches to, as namespace/name.
func parentGateways(o client.Object) []string {
	r := routeOf(o)
	var keys []string
	for _, p := range r.parents {
		if (p.Group == nil || *p.Group == gatewayv1.GroupName) && (p.Kind == nil || *p.Kind == "Gateway") {
			keys = append(keys, namespaceOr(p.Namespace, r.namespace)+"/"+string(p.Name))
		}
	}
	return keys
}

func namespaceOr(ns *gatewayv1.Namespace, fallback string) string {
	if ns == nil || *ns == "" {
		return fallback
	}
	return string(*ns)
}
