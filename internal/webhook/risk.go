package webhook

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	ctrl "sigs.k8s.io/controller-runtime"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/register"
)

// The webhook configuration (config/webhook/manifests.yaml) is generated from this:
// +kubebuilder:webhook:path=/mutate-isms-nhs-uk-v1alpha1-risk,mutating=true,failurePolicy=fail,sideEffects=None,groups=isms.nhs.uk,resources=risks,verbs=create;update,versions=v1alpha1,name=mrisk.isms.nhs.uk,admissionReviewVersions=v1

// RiskAdmission records who accepted a risk on create and update.
//
// Who accepted a risk must come from the API server's authentication, not from the client
// (non-repudiation). Admission cannot write status, so it records the requesting user in
// the annotations register.AnnotationAcceptedBy/At whenever a Tolerate decision is made or
// its acceptance changes, and otherwise puts back the values the stored Risk had. The
// policy isms-risk-acceptor refuses any request that sets them to another user, so a
// client cannot forge them even while this webhook is down; the risk controller copies
// them into status.acceptedBy, which only the operator may write.
type RiskAdmission struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// SetupWithManager serves the webhook from the manager's webhook server.
func (a *RiskAdmission) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewWebhookManagedBy(mgr, &isms.Risk{}).WithDefaulter(a).Complete()
}

var acceptance = recordPair{by: register.AnnotationAcceptedBy, at: register.AnnotationAcceptedAt}

// Default records who made a Tolerate decision, and undoes any client edit of that record.
func (a *RiskAdmission) Default(ctx context.Context, risk *isms.Risk) error {
	old := &isms.Risk{}
	w, updated, err := admitted(ctx, a.Now, old)
	if err != nil {
		return err
	}
	present := tolerated(risk)
	written := present && (!updated || !tolerated(old) ||
		!equality.Semantic.DeepEqual(old.Spec.Treatment.Acceptance, risk.Spec.Treatment.Acceptance))
	risk.Annotations = acceptance.record(risk.Annotations, old.Annotations, present, written, w)
	return nil
}

func tolerated(risk *isms.Risk) bool {
	return risk.Spec.Treatment != nil && risk.Spec.Treatment.Decision == isms.DecisionTolerate
}
