// Package webhook is the admission webhook for Risks: it refuses a Tolerate decision above
// the organisation's risk appetite, and records who made a Tolerate decision.
package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/register"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
)

// The webhook configurations (config/webhook/manifests.yaml) are generated from these:
// +kubebuilder:webhook:path=/mutate-isms-nhs-uk-v1alpha1-risk,mutating=true,failurePolicy=fail,sideEffects=None,groups=isms.nhs.uk,resources=risks,verbs=create;update,versions=v1alpha1,name=mrisk.isms.nhs.uk,admissionReviewVersions=v1
// +kubebuilder:webhook:path=/validate-isms-nhs-uk-v1alpha1-risk,mutating=false,failurePolicy=fail,sideEffects=None,groups=isms.nhs.uk,resources=risks,verbs=create;update,versions=v1alpha1,name=vrisk.isms.nhs.uk,admissionReviewVersions=v1

// DefaultAppetite is the highest score a risk may have and be tolerated, unless the trust
// sets its own (risk.md).
const DefaultAppetite = 12

// RiskAdmission checks and annotates Risks on create and update.
//
// Who accepted a risk must come from the API server's authentication, not from the client
// (non-repudiation). Admission cannot write status, so the mutating half records the
// requesting user in the annotations register.AnnotationAcceptedBy/At whenever a Tolerate
// decision is made or its acceptance changes, and otherwise puts back the values the
// stored Risk had. A client's own values in those annotations are therefore always
// overwritten; the Risk controller copies them into status.acceptedBy. Status itself is
// written only by the operator, through the status subresource.
type RiskAdmission struct {
	// Appetite is the highest score a risk may have and be tolerated.
	Appetite int32
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// SetupWithManager serves both webhooks from the manager's webhook server.
func (a *RiskAdmission) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewWebhookManagedBy(mgr, &isms.Risk{}).WithDefaulter(a).WithValidator(a).Complete()
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

// ValidateCreate refuses a Tolerate decision above the risk appetite.
func (a *RiskAdmission) ValidateCreate(_ context.Context, risk *isms.Risk) (admission.Warnings, error) {
	return nil, a.withinAppetite(risk)
}

// ValidateUpdate refuses a Tolerate decision above the risk appetite, including one a
// re-assessment of likelihood or consequence pushes above it. Other edits of a tolerated
// risk (closing it, ticking off an action) stay possible after the appetite is lowered.
func (a *RiskAdmission) ValidateUpdate(_ context.Context, old, risk *isms.Risk) (admission.Warnings, error) {
	if tolerated(old) && tolerated(risk) && old.Spec.Likelihood == risk.Spec.Likelihood && old.Spec.Consequence == risk.Spec.Consequence &&
		equality.Semantic.DeepEqual(old.Spec.Treatment.Acceptance, risk.Spec.Treatment.Acceptance) {
		return nil, nil // the decision stands as it was made
	}
	return nil, a.withinAppetite(risk)
}

// ValidateDelete allows deletion; the webhook is not registered for it.
func (a *RiskAdmission) ValidateDelete(context.Context, *isms.Risk) (admission.Warnings, error) {
	return nil, nil
}

func (a *RiskAdmission) withinAppetite(risk *isms.Risk) error {
	if !tolerated(risk) {
		return nil
	}
	score := riskmatrix.Score(risk.Spec.Likelihood, risk.Spec.Consequence)
	if score <= a.Appetite {
		return nil
	}
	return apierrors.NewInvalid(isms.GroupVersion.WithKind("Risk").GroupKind(), risk.Name, field.ErrorList{field.Forbidden(
		field.NewPath("spec", "treatment", "decision"), fmt.Sprintf(
			"Tolerate is refused: the risk scores %d (likelihood %d x consequence %d), above the risk appetite of %d; treat, transfer or terminate it, or re-assess its likelihood or consequence",
			score, risk.Spec.Likelihood, risk.Spec.Consequence, a.Appetite))})
}
