package webhook

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	ctrl "sigs.k8s.io/controller-runtime"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/incidents"
)

// +kubebuilder:webhook:path=/mutate-isms-nhs-uk-v1alpha1-securityincident,mutating=true,failurePolicy=fail,sideEffects=None,groups=isms.nhs.uk,resources=securityincidents,verbs=create;update,versions=v1alpha1,name=msecurityincident.isms.nhs.uk,admissionReviewVersions=v1

// IncidentAdmission records who recorded an incident's notifications, and who recorded its
// decision not to notify, on create and update.
//
// Who told the ICO, or decided not to, is answered for as RiskAdmission's acceptor is: it
// must come from the API server's authentication. Each part has its pair of annotations
// (incidents.AnnotationNotificationsRecordedBy/At, AnnotationDecisionRecordedBy/At): the
// requesting user and time whenever the part is set or changed, none once it is removed,
// and otherwise the values the stored incident had. The policy isms-incident-recorder
// refuses any request that sets them to another user, so a client cannot forge them even
// while this webhook is down; the incident controller copies them into status.
type IncidentAdmission struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// SetupWithManager serves the webhook from the manager's webhook server.
func (a *IncidentAdmission) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewWebhookManagedBy(mgr, &isms.SecurityIncident{}).WithDefaulter(a).Complete()
}

var (
	notifications = recordPair{by: incidents.AnnotationNotificationsRecordedBy, at: incidents.AnnotationNotificationsRecordedAt}
	decision      = recordPair{by: incidents.AnnotationDecisionRecordedBy, at: incidents.AnnotationDecisionRecordedAt}
)

// Default records who wrote the notifications and the decision not to notify, and undoes
// any client edit of those records.
func (a *IncidentAdmission) Default(ctx context.Context, incident *isms.SecurityIncident) error {
	old := &isms.SecurityIncident{}
	w, updated, err := admitted(ctx, a.Now, old)
	if err != nil {
		return err
	}
	spec, stored := &incident.Spec, old.Annotations
	changed := func(was, is any) bool { return !updated || !equality.Semantic.DeepEqual(was, is) }
	incident.Annotations = notifications.record(incident.Annotations, stored,
		spec.Notifications != nil, changed(old.Spec.Notifications, spec.Notifications), w)
	incident.Annotations = decision.record(incident.Annotations, stored,
		spec.DecisionNotToNotify != nil, changed(old.Spec.DecisionNotToNotify, spec.DecisionNotToNotify), w)
	return nil
}
