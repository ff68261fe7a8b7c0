package controllers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	orv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/discovery"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/controllers/reports"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/evidence"
	"github.com/isms-operator/isms-operator/internal/incidents"
	"github.com/isms-operator/isms-operator/internal/register"
	"github.com/isms-operator/isms-operator/internal/scheme"
)

// maxConcurrentReconciles lets an asset's or a plan's evaluation wait on the API server
// (writing status, raising a Risk) while others proceed.
const maxConcurrentReconciles = 4

// Config holds the install-time settings of the reconcilers.
type Config struct {
	// ExemptSubjects are not flagged by ACC-03 (controls.DefaultExemptSubjects, plus the
	// operator's own ServiceAccount).
	ExemptSubjects []isms.Subject
	// IstioRootNamespace holds Istio's mesh-wide policy.
	IstioRootNamespace string
	// DiscoveryInterval is how often the operator looks for optional CRDs that are absent.
	DiscoveryInterval time.Duration
	// Rules are the matrix (riskmatrix.NPSA unless the trust sets its own bands) and the
	// risk appetite the register applies.
	Rules register.Rules
	// Now is the reconcilers' clock; time.Now when nil.
	Now func() time.Time
	// Scope is the namespaces the operator works in, which the manager's cache holds
	// (CacheOptions); it is reported as the isms_scope_info metric.
	Scope Scope
	// IncidentGrid is where the notification grid makes an incident reportable;
	// incidents.DefaultGrid when zero.
	IncidentGrid incidents.Grid
	// OpenReports writes each namespace's findings as an OpenReports Report, once
	// OpenReports' CRDs are served.
	OpenReports bool
}

// controllerOptions are the options of every controller: several reconciles at once, so
// that one waiting on the API server (writing status, raising a Risk) holds up no other.
func controllerOptions() controller.Options {
	return controller.Options{MaxConcurrentReconciles: maxConcurrentReconciles}
}

// Scope is the namespaces the operator works in: every namespace but Exclude when Watch is
// empty, else those of Watch but Exclude. It limits the register (assets, risks, plans)
// and the evidence only an asset of the same namespace reads (its workloads, volumes,
// Services, policies). Evidence an asset may find in another namespace is read in every
// namespace whatever the scope, so that none is missed: RoleBindings (and their Roles)
// that bind its ServiceAccounts, Gateway API routes and Gateways, Velero's objects,
// Istio's root policy. Cluster-scoped objects are read too.
type Scope struct {
	Watch, Exclude []string
}

// ParseScope reads --watch-namespaces and --exclude-namespaces (comma-separated names).
func ParseScope(watch, exclude string) (Scope, error) {
	var s Scope
	for _, list := range []struct {
		flag, value string
		into        *[]string
	}{{"--watch-namespaces", watch, &s.Watch}, {"--exclude-namespaces", exclude, &s.Exclude}} {
		for _, ns := range strings.Split(list.value, ",") {
			if ns = strings.TrimSpace(ns); ns == "" {
				continue
			}
			if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
				return Scope{}, fmt.Errorf("%s: %q is not a namespace name: %s", list.flag, ns, strings.Join(errs, "; "))
			}
			if !slices.Contains(*list.into, ns) {
				*list.into = append(*list.into, ns)
			}
		}
	}
	if len(s.Watch) > 0 && len(s.namespaces()) == 0 {
		return Scope{}, fmt.Errorf("--exclude-namespaces excludes every namespace of --watch-namespaces (%s): the operator would watch nothing", strings.Join(s.Watch, ","))
	}
	return s, nil
}

// namespaces are the watched namespaces of a Watch list, Exclude taken out.
func (s Scope) namespaces() []string {
	var watched []string
	for _, ns := range s.Watch {
		if !slices.Contains(s.Exclude, ns) {
			watched = append(watched, ns)
		}
	}
	return watched
}

// Contains reports whether the operator works in namespace ns.
func (s Scope) Contains(ns string) bool {
	if slices.Contains(s.Exclude, ns) {
		return false
	}
	return len(s.Watch) == 0 || slices.Contains(s.Watch, ns)
}

// String says what the scope is, for logs and metrics.
func (s Scope) String() string {
	switch {
	case len(s.Watch) > 0:
		return "namespaces " + strings.Join(s.namespaces(), ",")
	case len(s.Exclude) > 0:
		return "every namespace but " + strings.Join(s.Exclude, ",")
	}
	return "every namespace"
}

// cacheNamespaces are the namespaces a scoped kind is cached in; nil for every namespace.
func (s Scope) cacheNamespaces() map[string]cache.Config {
	switch {
	case len(s.Watch) > 0:
		watched := map[string]cache.Config{}
		for _, ns := range s.namespaces() {
			watched[ns] = cache.Config{}
		}
		return watched
	case len(s.Exclude) > 0:
		var outside []fields.Selector
		for _, ns := range s.Exclude {
			outside = append(outside, fields.OneTermNotEqualSelector("metadata.namespace", ns))
		}
		return map[string]cache.Config{cache.AllNamespaces: {FieldSelector: fields.AndSelectors(outside...)}}
	}
	return nil
}

// scopedKinds are the kinds the scope limits: the register's, and the evidence only an
// asset of the same namespace reads.
var scopedKinds = []client.Object{
	&isms.InformationAsset{}, &isms.Risk{}, &isms.ContinuityPlan{},
	&appsv1.Deployment{}, &appsv1.StatefulSet{}, &appsv1.DaemonSet{}, &appsv1.ReplicaSet{}, &batchv1.Job{}, &batchv1.CronJob{},
	&corev1.Pod{}, &corev1.PersistentVolumeClaim{}, &corev1.Service{}, &corev1.ServiceAccount{}, &discoveryv1.EndpointSlice{},
	&networkingv1.Ingress{}, &networkingv1.NetworkPolicy{},
}

// CacheOptions make the manager's cache lean and scoped: the scoped kinds only in the
// scope's namespaces, managedFields stripped from every object, Pods kept without status
// (only templates are evaluated), and reads of a kind that no watch declared fail rather
// than silently start a cache of it.
func CacheOptions(scope Scope) cache.Options {
	byObject := map[client.Object]cache.ByObject{}
	namespaces := scope.cacheNamespaces()
	for _, kind := range scopedKinds {
		if options := (cache.ByObject{Namespaces: namespaces, Transform: transformOf(kind)}); options.Namespaces != nil || options.Transform != nil {
			byObject[kind] = options
		}
	}
	return cache.Options{
		DefaultTransform:            leanTransform,
		ReaderFailOnMissingInformer: true,
		ByObject:                    byObject,
	}
}

// transformOf is the cache transform of a kind that has one of its own; the others have
// leanTransform.
func transformOf(kind client.Object) toolscache.TransformFunc {
	switch kind.(type) {
	case *corev1.Pod:
		return stripPod
	case *appsv1.ReplicaSet:
		return stripReplicaSet
	case *discoveryv1.EndpointSlice:
		return stripEndpointSlice
	}
	return nil
}

// ClientOptions keep Secrets and ConfigMaps out of any cache: the operator never reads them.
func ClientOptions() client.Options {
	return client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}, &corev1.ConfigMap{}}}}
}

// stripPod drops a cached Pod's managedFields and status, and the spec of a Pod that a
// workload controls: only Pods no workload controls are evaluated, and they are most of
// what a cluster's cache would hold.
var stripPod toolscache.TransformFunc = func(obj any) (any, error) {
	if pod, ok := obj.(*corev1.Pod); ok {
		pod.ManagedFields = nil
		pod.Status = corev1.PodStatus{}
		if _, _, evaluated := evidence.PodTemplate(pod); !evaluated {
			pod.Spec = corev1.PodSpec{}
		}
	}
	return obj, nil
}

// leanTransform is the cache transform of every kind without one of its own: managedFields
// dropped, and Velero's objects reduced to the fields the controls read.
var leanTransform toolscache.TransformFunc = func(obj any) (any, error) {
	obj, err := cache.TransformStripManagedFields()(obj)
	if err != nil {
		return obj, err
	}
	return evidence.CompactVelero(obj)
}

// stripReplicaSet drops a cached ReplicaSet's managedFields and status, and the template of
// one a Deployment owns (the Deployment's is evaluated): those are nearly all of them.
var stripReplicaSet toolscache.TransformFunc = func(obj any) (any, error) {
	if rs, ok := obj.(*appsv1.ReplicaSet); ok {
		rs.ManagedFields = nil
		rs.Status = appsv1.ReplicaSetStatus{}
		if _, _, evaluated := evidence.PodTemplate(rs); !evaluated {
			rs.Spec.Template = corev1.PodTemplateSpec{}
		}
	}
	return obj, nil
}

// stripEndpointSlice keeps of a cached EndpointSlice only its metadata and whether each
// endpoint is ready, which is what a plan's dependency on a Service reads.
var stripEndpointSlice toolscache.TransformFunc = func(obj any) (any, error) {
	if slice, ok := obj.(*discoveryv1.EndpointSlice); ok {
		slice.ManagedFields, slice.Ports = nil, nil
		for i, e := range slice.Endpoints {
			slice.Endpoints[i] = discoveryv1.Endpoint{Conditions: e.Conditions}
		}
	}
	return obj, nil
}

// Setup registers every reconciler with mgr, and the watches of optional kinds (Istio,
// Velero, CSI snapshots), started when their CRDs are found.
func Setup(ctx context.Context, mgr ctrl.Manager, cfg Config) error {
	discoveryClient, err := discovery.NewDiscoveryClientForConfig(mgr.GetConfig())
	if err != nil {
		return err
	}
	kinds := &optionalKinds{discovery: discoveryClient, mapper: mgr.GetRESTMapper(), interval: cfg.DiscoveryInterval}
	optional := map[schema.GroupVersionKind]*optionalWatch{}
	for _, gvk := range evidence.OptionalKinds {
		optional[gvk] = &optionalWatch{gvk: gvk}
		kinds.watches = append(kinds.watches, optional[gvk])
	}
	gatherer := &evidence.Gatherer{
		Reader:             mgr.GetCache(),
		Exempt:             cfg.ExemptSubjects,
		IstioRootNamespace: cfg.IstioRootNamespace,
		Installed:          func(gvk schema.GroupVersionKind) bool { return optional[gvk].Installed() },
	}
	ctrl.Log.WithName("setup").Info("Working in " + cfg.Scope.String())
	recorder := mgr.GetEventRecorder("isms-operator")

	risks := &RiskReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Rules: cfg.Rules, Recorder: recorder, Now: cfg.Now}
	riskController, err := risks.SetupWithManager(mgr)
	if err != nil {
		return err
	}
	assets := &InformationAssetReconciler{Client: mgr.GetClient(), Recorder: recorder, Gatherer: gatherer, Now: cfg.Now}
	assetController, err := assets.SetupWithManager(ctx, mgr)
	if err != nil {
		return err
	}
	incidentKind, err := setupIncidents(ctx, mgr, cfg, recorder, riskController)
	if err != nil {
		return err
	}
	kinds.watches = append(kinds.watches, incidentKind)
	risks.IncidentsWatched = incidentKind.Installed
	if err := registerMetrics(mgr.GetCache(), mgr.Elected(), cfg.Scope, incidentKind.Installed, cfg.Now); err != nil {
		return err
	}
	plans := &ContinuityPlanReconciler{Client: mgr.GetClient(), Recorder: recorder, Gatherer: gatherer, Now: cfg.Now}
	planController, err := plans.SetupWithManager(ctx, mgr)
	if err != nil {
		return err
	}

	// Re-evaluating every asset and plan once an optional kind appears replaces what its
	// absence decided ("Velero is not installed") at once, not at the next change.
	reevaluateAssets, reevaluatePlans := make(chan event.GenericEvent), make(chan event.GenericEvent)
	if err := assetController.Watch(source.Channel(reevaluateAssets, &handler.EnqueueRequestForObject{})); err != nil {
		return err
	}
	if err := planController.Watch(source.Channel(reevaluatePlans, &handler.EnqueueRequestForObject{})); err != nil {
		return err
	}
	reevaluate := func(ctx context.Context) {
		var assetList isms.InformationAssetList
		var planList isms.ContinuityPlanList
		if mgr.GetCache().List(ctx, &assetList) != nil || mgr.GetCache().List(ctx, &planList) != nil {
			return
		}
		sendAll(ctx, reevaluateAssets, assetList.Items)
		sendAll(ctx, reevaluatePlans, planList.Items)
	}

	istioRoot := cmp.Or(cfg.IstioRootNamespace, controls.DefaultIstioRootNamespace)
	for gvk, w := range optional {
		namespaces := func(obj client.Object) []string { return affectedNamespaces(gvk, obj, istioRoot) }
		targets := []optionalTarget{
			{controller: assetController, mapFn: func(ctx context.Context, obj client.Object) []reconcile.Request {
				switch gvk {
				case evidence.Gateway:
					return assets.assetsOfGateway(ctx, obj)
				case evidence.HTTPRoute, evidence.GRPCRoute, evidence.TLSRoute:
					return assets.assetsOfRoute(ctx, obj)
				}
				return assets.assetsInNamespaces(ctx, namespaces(obj))
			}},
		}
		if gvk != evidence.PeerAuthentication && gvk.Group != evidence.Gateway.Group { // plans read backups only
			targets = append(targets, optionalTarget{controller: planController, mapFn: func(ctx context.Context, obj client.Object) []reconcile.Request {
				var requests []reconcile.Request
				for _, ns := range namespaces(obj) {
					requests = append(requests, plans.plansIn(ctx, ns)...)
				}
				return requests
			}})
		}
		for _, index := range evidence.OptionalIndexes(gvk) {
			w.steps = append(w.steps, func() error {
				return mgr.GetFieldIndexer().IndexField(ctx, index.Object, index.Field, index.Extract)
			})
		}
		for _, target := range targets {
			w.steps = append(w.steps, func() error {
				return target.controller.Watch(source.Kind(mgr.GetCache(), optionalObject(gvk), enqueueMapped(target.mapFn), optionalPredicates(gvk)...))
			})
		}
		w.synced = func(ctx context.Context) error { return waitForSync(ctx, mgr.GetCache(), optionalObject(gvk)) }
		w.onInstalled = reevaluate
	}
	var reportKind *optionalWatch
	if cfg.OpenReports {
		if reportKind, err = setupReports(mgr, kinds, cfg); err != nil {
			return err
		}
	}
	if err := kinds.watchServed(); err != nil {
		return fmt.Errorf("looking for the optional CRDs (Istio, Velero, CSI snapshots, OpenReports): %w", err)
	}
	if reportKind != nil && !reportKind.Installed() {
		ctrl.Log.WithName("setup").Info("OpenReports' CRDs (openreports.io/v1alpha1) are not installed: no Report is written until they are (github.com/openreports/reports-api)")
	}
	return mgr.Add(kinds)
}

// setupIncidents runs the SecurityIncident controller once the kind's CRD is served: a
// cluster whose CRDs predate it (the operator upgraded before its chart's CRDs) runs
// everything else meanwhile. An incident is decided again when it changes or a Risk of
// its assets gains history; a Risk when an incident against its asset changes (a closure
// makes its review due).
func setupIncidents(ctx context.Context, mgr ctrl.Manager, cfg Config, recorder events.EventRecorder, riskController controller.Controller) (*optionalWatch, error) {
	grid := cfg.IncidentGrid
	if grid == (incidents.Grid{}) {
		grid = incidents.DefaultGrid
	}
	r := &SecurityIncidentReconciler{Client: mgr.GetClient(), Grid: grid, Recorder: recorder, Now: cfg.Now, Scope: cfg.Scope}
	c, err := r.SetupWithManager(mgr)
	if err != nil {
		return nil, err
	}
	// Risks handle the incident watch's first events before the kind counts as installed:
	// once it does, those of closed incidents are decided again.
	review := make(chan event.GenericEvent)
	if err := riskController.Watch(source.Channel(review, enqueueMapped(risksOfIncident(mgr.GetCache())))); err != nil {
		return nil, err
	}
	w := &optionalWatch{gvk: isms.GroupVersion.WithKind("SecurityIncident"),
		steps: []func() error{
			func() error {
				return mgr.GetFieldIndexer().IndexField(ctx, &isms.SecurityIncident{}, indexIncidentAsset, incidentAssets)
			},
			func() error {
				return c.Watch(source.Kind(mgr.GetCache(), client.Object(&isms.SecurityIncident{}), &handler.EnqueueRequestForObject{}, r.predicates()...))
			},
			func() error {
				return c.Watch(source.Kind(mgr.GetCache(), client.Object(&isms.Risk{}), enqueueMapped(incidentsOf(mgr.GetCache())), historyChanged))
			},
			func() error {
				return riskController.Watch(source.Kind(mgr.GetCache(), client.Object(&isms.SecurityIncident{}), enqueueMapped(risksOfIncident(mgr.GetCache())), closureChanged))
			},
		},
		synced: func(ctx context.Context) error { return waitForSync(ctx, mgr.GetCache(), &isms.SecurityIncident{}) },
		onInstalled: func(ctx context.Context) {
			var list isms.SecurityIncidentList
			if mgr.GetCache().List(ctx, &list) != nil {
				return
			}
			sendAll(ctx, review, slices.DeleteFunc(list.Items, func(i isms.SecurityIncident) bool { return i.Spec.Closure == nil }))
		},
	}
	return w, nil
}

// setupReports runs the OpenReports writer, its kind discovered like the optional kinds of
// evidence: once the CRDs are served, every namespace that holds assets is queued.
func setupReports(mgr ctrl.Manager, kinds *optionalKinds, cfg Config) (*optionalWatch, error) {
	reevaluate := make(chan event.GenericEvent)
	w := &optionalWatch{gvk: orv1alpha1.SchemeGroupVersion.WithKind("Report")}
	w.onInstalled = func(ctx context.Context) {
		var assets isms.InformationAssetList
		if mgr.GetCache().List(ctx, &assets) == nil {
			sendAll(ctx, reevaluate, assets.Items)
		}
	}
	kinds.watches = append(kinds.watches, w)
	writer := &reports.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Matrix: cfg.Rules.Matrix, Installed: w.Installed}
	return w, writer.SetupWithManager(mgr, reevaluate)
}

// optionalTarget is a controller an optional kind's watch feeds, and how a change maps to
// its reconciles.
type optionalTarget struct {
	controller controller.Controller
	mapFn      handler.MapFunc
}

// sendAll delivers each object to ch in the background, until ctx ends.
func sendAll[T any, P interface {
	*T
	client.Object
}](ctx context.Context, ch chan<- event.GenericEvent, objects []T) {
	go func() {
		for i := range objects {
			send(ctx, ch, P(&objects[i]))
		}
	}()
}

// send delivers e to ch unless ctx ends first.
func send(ctx context.Context, ch chan<- event.GenericEvent, obj client.Object) {
	select {
	case ch <- event.GenericEvent{Object: obj}:
	case <-ctx.Done():
	}
}

// waitForSync waits until the cache of an optional kind holds every object, so that no
// read of it fails or blocks once the kind counts as installed.
func waitForSync(ctx context.Context, c cache.Cache, obj client.Object) error {
	informer, err := c.GetInformer(ctx, obj, cache.BlockUntilSynced(false))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if !toolscache.WaitForCacheSync(ctx.Done(), informer.HasSynced) {
		return fmt.Errorf("the cache of %T did not sync within a minute", obj)
	}
	return nil
}

// optionalObject is the object a watch of an optional kind reads: typed for the kinds whose
// Go types are in the scheme (VolumeSnapshots, the Gateway API's), unstructured for the rest.
func optionalObject(gvk schema.GroupVersionKind) client.Object {
	if evidence.Typed(gvk) {
		obj, err := scheme.New().New(gvk)
		if err != nil {
			panic(fmt.Sprintf("the scheme lacks %s: %v", gvk, err))
		}
		return obj.(client.Object)
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	return u
}

// optionalPredicates drop the updates of optional kinds that change nothing the controls
// read: a Schedule records every run in its status, a BackupStorageLocation its every
// validation, but only a change of spec, or of the location's phase, matters.
func optionalPredicates(gvk schema.GroupVersionKind) []predicate.Predicate {
	progress := func(o client.Object) any {
		u := o.(*unstructured.Unstructured).Object
		phase, _, _ := unstructured.NestedString(u, "status", "phase")
		completed, _, _ := unstructured.NestedString(u, "status", "completionTimestamp")
		return phase + " " + completed
	}
	switch gvk {
	case evidence.VeleroBackup, evidence.VeleroRestore:
		// A running backup or restore reports its progress often; only its outcome counts.
		return []predicate.Predicate{predicate.Or[client.Object](predicate.GenerationChangedPredicate{}, predicate.Funcs{
			UpdateFunc: func(e event.UpdateEvent) bool { return progress(e.ObjectOld) != progress(e.ObjectNew) }})}
	case evidence.VeleroSchedule:
		return []predicate.Predicate{predicate.GenerationChangedPredicate{}}
	case evidence.VeleroStorageLocation:
		return []predicate.Predicate{predicate.Or[client.Object](predicate.GenerationChangedPredicate{}, predicate.Funcs{
			UpdateFunc: func(e event.UpdateEvent) bool {
				phase := func(o client.Object) any {
					v, _, _ := unstructured.NestedString(o.(*unstructured.Unstructured).Object, "status", "phase")
					return v
				}
				return !equality.Semantic.DeepEqual(phase(e.ObjectOld), phase(e.ObjectNew))
			}})}
	}
	return nil
}

// affectedNamespaces returns the namespaces whose assets an object of an optional kind
// may affect; the empty namespace stands for all. Velero objects live in Velero's own
// namespace and name the namespaces they back up.
func affectedNamespaces(gvk schema.GroupVersionKind, obj client.Object, istioRoot string) []string {
	all := []string{metav1.NamespaceAll}
	switch gvk {
	case evidence.PeerAuthentication:
		if obj.GetNamespace() == istioRoot {
			return all
		}
		return []string{obj.GetNamespace()}
	case evidence.VolumeSnapshot, evidence.ReferenceGrant:
		return []string{obj.GetNamespace()}
	case evidence.VeleroBackup, evidence.VeleroSchedule:
		path := []string{"spec", "includedNamespaces"}
		if gvk == evidence.VeleroSchedule {
			path = []string{"spec", "template", "includedNamespaces"}
		}
		included, _, _ := unstructured.NestedStringSlice(obj.(*unstructured.Unstructured).Object, path...)
		if len(included) == 0 || slices.ContainsFunc(included, func(ns string) bool { return strings.ContainsAny(ns, "*?[{") }) {
			return all // every namespace, or glob patterns Velero matches against them
		}
		return included
	}
	return all // Restores and BackupStorageLocations: rare, and they may affect any asset
}

// planReadinessChanged lets through ContinuityPlan updates that BCP-01 or BAK-01 read:
// a new spec (assets, RPO) or a change of the Ready condition.
var planReadinessChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	before, after := e.ObjectOld.(*isms.ContinuityPlan), e.ObjectNew.(*isms.ContinuityPlan)
	if before.Generation != after.Generation {
		return true
	}
	readyBefore := meta.FindStatusCondition(before.Status.Conditions, isms.ConditionReady)
	readyAfter := meta.FindStatusCondition(after.Status.Conditions, isms.ConditionReady)
	return !equality.Semantic.DeepEqual(readyBefore, readyAfter)
}}
