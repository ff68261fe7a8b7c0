// Package webhook is the mutating admission webhook for Risks: it records who made a
// Tolerate decision, as the API server authenticated them. Everything else about who may
// write what is a rule the API server enforces itself (ValidatingAdmissionPolicies in
// config/admission, and CRD transition rules), so it holds while the webhook is down.
package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

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

// Default records who made a Tolerate decision, and undoes any client edit of that record.
func (a *RiskAdmission) Default(ctx context.Context, risk *isms.Risk) error {
	req, err := admission.RequestFromContext(ctx)
	if err != nil {
		return err
	}
	var old *isms.Risk
	if len(req.OldObject.Raw) > 0 {
		old = &isms.Risk{}
		if err := json.Unmarshal(req.OldObject.Raw, old); err != nil {
			return fmt.Errorf("decoding the stored Risk: %w", err)
		}
	}
	keys := []string{register.AnnotationAcceptedBy, register.AnnotationAcceptedAt}
	switch {
	case !tolerated(risk):
		for _, key := range keys {
			delete(risk.Annotations, key)
		}
	case old == nil || !tolerated(old) || !equality.Semantic.DeepEqual(old.Spec.Treatment.Acceptance, risk.Spec.Treatment.Acceptance):
		now := time.Now()
		if a.Now != nil {
			now = a.Now()
		}
		if risk.Annotations == nil {
			risk.Annotations = map[string]string{}
		}
		risk.Annotations[register.AnnotationAcceptedBy] = req.UserInfo.Username
		risk.Annotations[register.AnnotationAcceptedAt] = now.UTC().Format(time.RFC3339)
	default:
		for _, key := range keys {
			if value, found := old.Annotations[key]; found {
				if risk.Annotations == nil {
					risk.Annotations = map[string]string{}
				}
				risk.Annotations[key] = value
			} else {
				delete(risk.Annotations, key)
			}
		}
	}
	return nil
}

func tolerated(risk *isms.Risk) bool {
	return risk.Spec.Treatment != nil && risk.Spec.Treatment.Decision == isms.DecisionTolerate
}
