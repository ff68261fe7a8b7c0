package register

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/equality"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/bounds"
)

// TestRegisterEdgeCases holds cases written from risk.md and the API's own limits that a
// review found the code getting wrong.
func TestRegisterEdgeCases(t *testing.T) {

	// risk.md "Review": the interval counts from the last review or, for a never-reviewed
	// risk, from when it was recorded. A Risk being created has no creationTimestamp yet:
	// its review counts from now, not from the zero time.
	t.Run("a Risk being created is not review-overdue", func(t *testing.T) {
		st := Status(NewRisk(testAsset(), isms.ControlEncryptedVolumes, false), failing(volume0), t0, rules)
		if diff := cmp.Diff(reviewCurrent, conditionOf(st, isms.ConditionReviewOverdue)); diff != "" {
			t.Errorf("ReviewOverdue of the created Risk (-want +got):\n%s", diff)
		}
	})

	// The ControlFailing message quotes a finding, which can be longer than the operator's
	// budget for a condition message: the register cuts it, with a note. (History and
	// other messages are fitted to the CRD's bounds by bounds.Fit before every write.)
	t.Run("the ControlFailing message fits the condition budget", func(t *testing.T) {
		long := finding(isms.ControlEncryptedVolumes, "PersistentVolumeClaim/"+strings.Repeat("p", 240), strings.Repeat("m", 4096))
		st := Status(newRecord(), failing(long), t0, rules)
		msg := conditionMessage(st, isms.ConditionControlFailing)
		if n := len(msg); n > bounds.ConditionMessage {
			t.Errorf("ControlFailing message of %d bytes, the budget is %d", n, bounds.ConditionMessage)
		}
		if !strings.Contains(msg, long.Resource) || !strings.Contains(msg, "more characters") {
			t.Errorf("ControlFailing message %q does not name the resource and say how much was cut", msg)
		}
	})

	// risk.md: "Accepted ── expires ──▶ Open (condition AcceptanceExpired)": the condition
	// applies while the risk is Open or Accepted, like ReviewOverdue and ActionsOverdue; a
	// tolerated Risk whose drift was corrected is not told to renew its acceptance.
	t.Run("a Resolved Risk's acceptance expiring changes nothing", func(t *testing.T) {
		r := acceptedResolvedRecord(t)
		for _, d := range []*Detection{nil, passing()} {
			if got := Status(r, d, at(day30+day), rules); !equality.Semantic.DeepEqual(r.Status, got) {
				t.Errorf("the status changed (-before +after):\n%s", cmp.Diff(r.Status, got))
			}
		}
	})

	// A person closes a Resolved record and, before the operator reconciles, its drift
	// recurs: both are seen at once. Whichever state the register gives it, the next
	// reconcile with the same detection must keep it (a risk must not flip between Closed
	// and Open with nothing new), and only one transition is recorded.
	t.Run("a closure and a recurrence seen at once: the state holds", func(t *testing.T) {
		r := edited(resolvedRecord(t), closure)
		first := observed(r.DeepCopy(), failing(volume1), at(3*time.Hour))
		if n := len(first.Status.History) - len(r.Status.History); n != 1 {
			t.Errorf("%d new history entries, want 1", n)
		}
		for _, later := range []time.Duration{0, time.Second, time.Hour, day} {
			if again := Status(first, failing(volume1), at(3*time.Hour+later), rules); !equality.Semantic.DeepEqual(first.Status, again) {
				t.Errorf("%s later the status changed (-first +again):\n%s", later, cmp.Diff(first.Status, again))
			}
		}
	})

	// risk.md "Reasons are true", and the rule the register follows: a record resolved because
	// its control stopped being Required re-opens with ControlRequiredAgain only while its
	// drift never ended; once the control passed, the next Required failure is a recurrence.
	t.Run("a drift that ended recurs, whatever the control's level since", func(t *testing.T) {
		cases := []struct {
			name string
			// start is the Resolved record; between is what was detected after it, an hour apart.
			start   func(*testing.T) *isms.Risk
			between []*Detection
		}{
			{
				name:    "no longer Required, passed at Recommended",
				start:   notRequiredRecord,
				between: []*Detection{atLevel(isms.LevelRecommended, isms.OutcomePass)},
			},
			{
				// The control stopped being Required after its drift was corrected: the
				// correction stays the reason, and the next Required failure is a new drift.
				name:    "corrected, then the control NotRequired",
				start:   resolvedRecord,
				between: []*Detection{atLevel(isms.LevelNotRequired, isms.OutcomeNotEvaluated)},
			},
			{
				name:    "corrected, then failing at Recommended",
				start:   resolvedRecord,
				between: []*Detection{atLevel(isms.LevelRecommended, isms.OutcomeFail)},
			},
			{
				name:  "no longer Required, passed at Recommended, failed at Recommended",
				start: notRequiredRecord,
				between: []*Detection{atLevel(isms.LevelRecommended, isms.OutcomePass),
					atLevel(isms.LevelRecommended, isms.OutcomeFail)},
			},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.start(t) // Resolved at t0+2h
				for i, d := range tc.between {
					r = mustState(t, observed(r, d, at(time.Duration(3+i)*time.Hour)), isms.StateResolved)
				}
				if diff := cmp.Diff(failingCorrected, conditionOf(r.Status, isms.ConditionControlFailing)); diff != "" {
					t.Errorf("ControlFailing once the control passed, and after (-want +got):\n%s", diff)
				}
				now := at(10 * time.Hour)
				st := Status(r, failing(volume1), now, rules)
				got := entriesOf(st.History[len(r.Status.History):])
				want := []entry{{now, isms.StateOpen, isms.ReasonDriftRecurred}}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("new history (-want +got):\n%s", diff)
				}
				if st.Occurrences != 2 || !timeOf(st.LastDetected).Equal(now) {
					t.Errorf("occurrences %d and lastDetected %s, want 2 and %s", st.Occurrences, timeOf(st.LastDetected), now)
				}
			})
		}
	})
}
