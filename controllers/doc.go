// Package controllers holds one reconciler per kind of the isms.nhs.uk API. Each one
// gathers what it needs from the manager's cache, evaluates it with pure functions, and
// writes status once, only when it changed.
//
// The RBAC markers below are the base every reconciler shares: read the operator's own
// kinds, write their status, and record Events. Reconcilers add markers for exactly what
// else they read.
//
// +kubebuilder:rbac:groups=isms.nhs.uk,resources=informationassets;risks;continuityplans,verbs=get;list;watch
// +kubebuilder:rbac:groups=isms.nhs.uk,resources=informationassets/status;risks/status;continuityplans/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
//
// The metrics endpoint asks the API server who a scraper is and whether it may get
// /metrics (controller-runtime's metrics filters): these create nothing that is stored.
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create
// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create
package controllers
