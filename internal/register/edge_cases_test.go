package register

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// TestRegisterEdgeCases holds cases written from risk.md and the API's own limits that a
// review found the code getting wrong: a new Risk's review date and its first status write,
// asset removal touching Resolved Risks, over-long titles and history messages.
func TestRegisterEdgeCases(t *testing.T) {

	// risk.md "Review": the interval counts from the last review or, for a never-reviewed
	// risk, from when it was recorded. A Risk being created has no creationTimestamp yet:
	// its review counts from now, not from the zero time.
	t.Run("a Risk being created is not review-overdue", func(t *testing.T) {
		got := Decide(observe(t0, volume0), nil, npsa)
		fatalIf(t, len(got) != 1, "Decide() = %d decisions, want 1", len(got))
		want := condition{metav1.ConditionFalse, isms.ReasonReviewCurrent}
		if diff := cmp.Diff(want, conditionOf(got[0].Risk.Status, isms.ConditionReviewOverdue)); diff != "" {
			t.Errorf("ReviewOverdue of the created Risk (-want +got):\n%s", diff)
		}
	})

	// Decide is idempotent across a creation: the created Risk fed back with its
	// creationTimestamp and the same observation needs no second status write.
	t.Run("the created Risk fed back with the same observation gives no decision", func(t *testing.T) {
		obs := observe(t0, volume0)
		risks := step(t, nil, obs)
		if again := Decide(obs, risks, npsa); len(again) != 0 {
			t.Errorf("Decide again = %s %s, want no decision:\n%s", again[0].Action, again[0].Risk.Name,
				cmp.Diff(risks[0].Status, again[0].Risk.Status, ignoreTransitionTime))
		}
	})

	// risk.md "Lifecycle": when an asset is deleted its open Detected risks move to Resolved
	// with reason AssetRemoved; a Risk already Resolved has nothing to record, and must not
	// be told that the removal ended its drift.
	t.Run("asset removed: Resolved Risks are untouched", func(t *testing.T) {
		runDecideCases(t, []decideCase{
			{
				name:     "asset removed: an Open and an Accepted Risk resolve, a Resolved one is untouched",
				register: assetRegister,
				obs:      removed(at(5*time.Hour), volume0, rootPod),
				want: []outcome{
					{Action: Resolve, Name: enc01Risk, State: isms.StateResolved, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
						FirstDetected: t0, LastDetected: t0, ResolvedAt: at(5 * time.Hour), Evidence: []isms.Finding{volume0},
						NewHistory:     []entry{{at(5 * time.Hour), isms.StateResolved, isms.ReasonAssetRemoved}},
						ControlFailing: failingRemoved, AcceptanceExpired: notTolerated},
					{Action: Resolve, Name: acc01Risk, State: isms.StateResolved, Score: 15, Rating: isms.RatingExtreme, Occurrences: 1,
						FirstDetected: t0, LastDetected: t0, ResolvedAt: at(5 * time.Hour), Evidence: []isms.Finding{rootPod},
						NewHistory:     []entry{{at(5 * time.Hour), isms.StateResolved, isms.ReasonAssetRemoved}},
						ControlFailing: failingRemoved, AcceptanceExpired: notTolerated},
				},
			},
		})
	})

	// The Title of a created Risk is "<asset>: <failure>". Asset names are DNS subdomains
	// of up to 253 characters and the title's MaxLength is 256: the asset name is shortened
	// so the API server accepts the Risk.
	t.Run("the title of a Risk for a 253-character asset fits 256 characters", func(t *testing.T) {
		obs := observe(t0, volume0)
		obs.Asset.Name = strings.Repeat("records.", 31) + "epr1a"
		got := Decide(obs, nil, npsa)
		fatalIf(t, len(got) != 1, "Decide() = %d decisions, want 1", len(got))
		if n := len(got[0].Risk.Spec.Title); n > 256 {
			t.Errorf("title is %d characters, the API allows 256: %q", n, got[0].Risk.Spec.Title)
		}
	})

	// risk.md: history records every transition with a message; the API bounds a history
	// message to 1024 characters, while a finding, closure reason or justification quoted
	// whole can be longer: the message is shortened so the status write is accepted.
	t.Run("history messages fit the API's 1024 characters", func(t *testing.T) {
		long := finding(isms.ControlEncryptedVolumes, "PersistentVolumeClaim/"+strings.Repeat("p", 490), strings.Repeat("m", 1024))
		created := Decide(observe(t0, long), nil, npsa)
		fatalIf(t, len(created) != 1, "Decide() = %d decisions, want 1", len(created))
		closed := Status(edited(recorded(declared(nil), t0), func(s *isms.RiskSpec) { s.Closure = &isms.Closure{Reason: strings.Repeat("c", 1024)} }), nil, t0, npsa)
		accepted := recorded(declared(nil), t0)
		accepted = edited(accepted, func(s *isms.RiskSpec) {
			s.Treatment = tolerate(at(day30))
			s.Treatment.Acceptance.Justification = strings.Repeat("j", 2048)
		})
		tolerated := Status(accepted, nil, at(time.Hour), npsa)
		for _, st := range []isms.RiskStatus{created[0].Risk.Status, closed, tolerated} {
			for _, h := range st.History {
				if len(h.Message) > 1024 {
					t.Errorf("%s: history message of %d characters, the API allows 1024", h.Reason, len(h.Message))
				}
			}
		}
	})

	// risk.md: "Accepted ── expires ──▶ Open (condition AcceptanceExpired)": the condition
	// applies while the risk is Open or Accepted, like ReviewOverdue and ActionsOverdue; a
	// tolerated Risk whose drift was corrected is not told to renew its acceptance.
	t.Run("a Resolved Risk's acceptance expiring changes nothing", func(t *testing.T) {
		risks := acceptedResolvedRegister(t)
		if got := Decide(observe(at(day30+day)), copies(risks), npsa); len(got) != 0 {
			r := got[0].Risk
			t.Errorf("Decide() = %s %s (state %s, AcceptanceExpired %+v), want no decision", got[0].Action, r.Name, r.Status.State,
				conditionOf(r.Status, isms.ConditionAcceptanceExpired))
		}
	})
}
