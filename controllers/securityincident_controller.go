package controllers

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/bounds"
	"github.com/isms-operator/isms-operator/internal/incidents"
)

//+kubebuilder:rbac:groups=isms.nhs.uk,resources=securityincidents,verbs=get;list;watch
//+kubebuilder:rbac:groups=isms.nhs.uk,resources=securityincidents/status,verbs=get;update;patch

// SecurityIncidentReconciler grades each SecurityIncident on the notification grid and
// keeps its 72-hour clock: it writes the status when it changed, an Event on each
// condition's transition, and requeues at the deadline.
type SecurityIncidentReconciler struct {
	client.Client
	// Grid is where the notification grid asks for a report to the ICO.
	Grid incidents.Grid
	// Recorder emits Events on transitions.
	Recorder events.EventRecorder
	// Now is the clock; time.Now when nil.
	Now Clock
	// Scope is the namespaces the operator works in: an incident elsewhere is not graded.
	Scope Scope

	status *statusWriter
}

// Reconcile decides the incident's status at now and writes it when it changed.
func (r *SecurityIncidentReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	if !r.Scope.Contains(req.Namespace) {
		return ctrl.Result{}, nil
	}
	incident := &isms.SecurityIncident{}
	if err := r.Get(ctx, req.NamespacedName, incident); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.status.Behind(incident) {
		return ctrl.Result{RequeueAfter: cacheBehindRetry}, nil
	}
	now := r.Now.now()
	updated := incident.DeepCopy()
	status, next := incidents.Status(incident, r.Grid, now)
	updated.Status = status
	written, err := r.status.Write(ctx, incident, updated)
	switch {
	case apierrors.IsNotFound(err):
		return ctrl.Result{}, nil
	case apierrors.IsConflict(err):
		log.FromContext(ctx).V(1).Info("Retrying on a newer version of the incident", "reason", err.Error())
		return ctrl.Result{RequeueAfter: cacheBehindRetry}, nil
	case err != nil:
		r.Recorder.Eventf(incident, nil, corev1.EventTypeWarning, isms.ReasonWriteRefused, "WriteStatus", "%s",
			bounds.Cut("The operator could not write the incident's status: "+err.Error(), bounds.EventNote))
		return ctrl.Result{}, fmt.Errorf("writing the status of incident %s/%s: %w", incident.Namespace, incident.Name, err)
	case written:
		r.recordTransitions(incident, updated)
	}
	return recheckAfter(untilRecheck(next, now)), nil
}

// recordTransitions emits an Event for each condition whose status changed: a Warning
// when a notification is overdue, else Normal.
func (r *SecurityIncidentReconciler) recordTransitions(before, after *isms.SecurityIncident) {
	for _, c := range after.Status.Conditions {
		if old := meta.FindStatusCondition(before.Status.Conditions, c.Type); old != nil && old.Status == c.Status {
			continue
		}
		kind := corev1.EventTypeNormal
		if c.Type == isms.ConditionNotificationOverdue && c.Status == "True" {
			kind = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(after, nil, kind, c.Reason, c.Type, "%s", bounds.Cut(c.Type+" is "+string(c.Status)+": "+c.Message, bounds.EventNote))
	}
}

// SetupWithManager builds the controller; Setup adds its watch of incidents once their
// CRD is served.
func (r *SecurityIncidentReconciler) SetupWithManager(mgr ctrl.Manager) (controller.Controller, error) {
	r.status = newStatusWriter(mgr.GetClient())
	options := controllerOptions()
	options.Reconciler = r
	return controller.New("securityincident", mgr, options)
}

// predicates let through a person's changes and a status anyone else changed.
func (r *SecurityIncidentReconciler) predicates() []predicate.Predicate {
	return []predicate.Predicate{predicate.Or[client.Object](
		r.status.statusChanges(func(o client.Object) any { return o.(*isms.SecurityIncident).Status }),
		predicate.GenerationChangedPredicate{})}
}
