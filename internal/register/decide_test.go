package register

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

const (
	enc02Risk = "patient-records-enc-02"
	acc01Risk = "patient-records-acc-01"
	day30     = 30 * day
)

var (
	// Two findings of ENC-01 on different volumes, and one each of ENC-02 and ACC-01.
	volume0 = finding(isms.ControlEncryptedVolumes, "PersistentVolumeClaim/data-epr-0", "StorageClass standard does not encrypt volumes")
	volume1 = finding(isms.ControlEncryptedVolumes, "PersistentVolumeClaim/data-epr-1", "StorageClass standard does not encrypt volumes")
	noTLS   = finding(isms.ControlIngressTLS, "Ingress/epr", "host epr.example.nhs.uk is served without TLS")
	rootPod = finding(isms.ControlPodSecurity, "Deployment/epr-api", "runAsNonRoot != true")
)

// observe is an evaluation of the test asset at now in which the findings' controls fail.
func observe(now time.Time, failing ...isms.Finding) Observation {
	obs := Observation{Asset: testAsset(), Failing: map[isms.ControlID][]isms.Finding{}, Exposed: map[isms.ControlID]bool{}, Now: now}
	for _, f := range failing {
		obs.Failing[f.Control] = append(obs.Failing[f.Control], f)
	}
	return obs
}

// removed is the observation made while the asset is being deleted.
func removed(now time.Time, failing ...isms.Finding) Observation {
	obs := observe(now, failing...)
	obs.Removed = true
	return obs
}

func copies(risks []isms.Risk) []isms.Risk {
	if risks == nil {
		return nil
	}
	out := make([]isms.Risk, 0, len(risks))
	for i := range risks {
		out = append(out, *risks[i].DeepCopy())
	}
	return out
}

// apply returns the register after the decisions, as the controller and the API server
// leave it: a created Risk gets a creation timestamp and generation 1, an existing one only
// its new status (the status subresource).
func apply(t *testing.T, risks []isms.Risk, decisions []Decision, now time.Time) []isms.Risk {
	t.Helper()
	out := copies(risks)
	for _, d := range decisions {
		if d.Action == Create {
			r := d.Risk.DeepCopy()
			r.CreationTimestamp = metav1.Time{Time: now.Truncate(time.Second)}
			r.Generation = 1
			out = append(out, *r)
			continue
		}
		i := indexOf(out, d.Risk.Name)
		fatalIf(t, i < 0, "decision %s for %s, which is not in the register", d.Action, d.Risk.Name)
		out[i].Status = *d.Risk.Status.DeepCopy()
	}
	return out
}

func indexOf(risks []isms.Risk, name string) int {
	for i := range risks {
		if risks[i].Name == name {
			return i
		}
	}
	return -1
}

// step runs Decide over the register and applies its decisions.
func step(t *testing.T, risks []isms.Risk, obs Observation) []isms.Risk {
	t.Helper()
	return apply(t, risks, Decide(obs, copies(risks), npsa), obs.Now)
}

// edit is a person's change of a Risk's spec; the API server bumps the generation.
func edit(t *testing.T, risks []isms.Risk, name string, change func(*isms.RiskSpec)) []isms.Risk {
	t.Helper()
	out := copies(risks)
	i := indexOf(out, name)
	fatalIf(t, i < 0, "no Risk %s to edit", name)
	change(&out[i].Spec)
	out[i].Generation++
	return out
}

// mustState fails unless the named Risk is in state.
func mustState(t *testing.T, risks []isms.Risk, name string, state isms.RiskState) []isms.Risk {
	t.Helper()
	i := indexOf(risks, name)
	fatalIf(t, i < 0, "no Risk %s", name)
	fatalIf(t, risks[i].Status.State != state, "setting up: %s is %q, want %q", name, risks[i].Status.State, state)
	return risks
}

// The registers the cases start from, each built by running Decide as the controller would.

// created is the register after the observation created Risks and the reconcile that the
// creation triggers decided on them again, with the same observation. (Until the bug
// "ReviewOverdue at creation" in TestRegisterBugs is fixed, that second pass updates them.)
func created(t *testing.T, obs Observation) []isms.Risk {
	t.Helper()
	return step(t, step(t, nil, obs), obs)
}

// openRegister: ENC-01 failed at t0 (volume0) and its Risk was created.
func openRegister(t *testing.T) []isms.Risk {
	return mustState(t, created(t, observe(t0, volume0)), enc01Risk, isms.StateOpen)
}

// resolvedRegister: then ENC-01 passed at t0+2h.
func resolvedRegister(t *testing.T) []isms.Risk {
	return mustState(t, step(t, openRegister(t), observe(at(2*time.Hour))), enc01Risk, isms.StateResolved)
}

// acceptedRegister: the owner tolerated it until t0+30d; at t0+1h it was still failing.
func acceptedRegister(t *testing.T) []isms.Risk {
	risks := edit(t, openRegister(t), enc01Risk, func(s *isms.RiskSpec) { s.Treatment = tolerate(at(day30)) })
	return mustState(t, step(t, risks, observe(at(time.Hour), volume0)), enc01Risk, isms.StateAccepted)
}

// acceptedResolvedRegister: the tolerated drift was corrected at t0+2h.
func acceptedResolvedRegister(t *testing.T) []isms.Risk {
	return mustState(t, step(t, acceptedRegister(t), observe(at(2*time.Hour))), enc01Risk, isms.StateResolved)
}

// closedRegister: a person closed the open Risk; at t0+1h ENC-01 still failed.
func closedRegister(t *testing.T) []isms.Risk {
	risks := edit(t, openRegister(t), enc01Risk, func(s *isms.RiskSpec) { s.Closure = &isms.Closure{Reason: "Volume scheduled for deletion"} })
	return mustState(t, step(t, risks, observe(at(time.Hour), volume0)), enc01Risk, isms.StateClosed)
}

// closedCorrectedRegister: the closed Risk's drift was corrected at t0+2h.
func closedCorrectedRegister(t *testing.T) []isms.Risk {
	return mustState(t, step(t, closedRegister(t), observe(at(2*time.Hour))), enc01Risk, isms.StateClosed)
}

// assetRegister: ENC-01, ENC-02 and ACC-01 failed at t0; the owner tolerated ACC-01; at
// t0+1h ENC-02 passed. ENC-01 is Open, ACC-01 Accepted, ENC-02 Resolved.
func assetRegister(t *testing.T) []isms.Risk {
	risks := created(t, observe(t0, volume0, noTLS, rootPod))
	risks = edit(t, risks, acc01Risk, func(s *isms.RiskSpec) { s.Treatment = tolerate(at(day30)) })
	risks = step(t, risks, observe(at(time.Hour), volume0, rootPod))
	mustState(t, risks, enc01Risk, isms.StateOpen)
	mustState(t, risks, acc01Risk, isms.StateAccepted)
	return mustState(t, risks, enc02Risk, isms.StateResolved)
}

// declaredRisk is a Risk a person wrote about the asset's encryption, naming the control.
func declaredRisk() isms.Risk {
	r := isms.Risk{
		ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: "patient-records-key-escrow", Generation: 1,
			CreationTimestamp: metav1.Time{Time: t0.Add(-day)}},
		Spec: isms.RiskSpec{Title: "Encryption keys held by one administrator", Source: isms.SourceDeclared,
			AssetRef: &isms.LocalObjectReference{Name: testAssetName}, Control: isms.ControlEncryptedVolumes,
			Owner: jane, Likelihood: 2, Consequence: 4},
	}
	r.Status = Status(&r, nil, t0.Add(-day), npsa)
	return r
}

// outcome is what a case asserts of one decision.
type outcome struct {
	Action      Action
	Name        string
	State       isms.RiskState
	Score       int32
	Rating      isms.Rating
	Occurrences int32

	FirstDetected, LastDetected, ResolvedAt, ClosedAt time.Time

	Evidence []isms.Finding
	// NewHistory are the entries the decision appends to the Risk's history.
	NewHistory []entry

	ControlFailing    condition
	AcceptanceExpired condition
}

type entry struct {
	At     time.Time
	State  isms.RiskState
	Reason string
}

func outcomeOf(d Decision, before *isms.Risk) outcome {
	st := d.Risk.Status
	var history []entry
	old := 0
	if before != nil {
		old = len(before.Status.History)
	}
	for _, h := range st.History[min(old, len(st.History)):] {
		history = append(history, entry{At: h.At.Time, State: h.State, Reason: h.Reason})
	}
	return outcome{
		Action: d.Action, Name: d.Risk.Name, State: st.State, Score: st.Score, Rating: st.Rating, Occurrences: st.Occurrences,
		FirstDetected: timeOf(st.FirstDetected), LastDetected: timeOf(st.LastDetected), ResolvedAt: timeOf(st.ResolvedAt),
		ClosedAt: timeOf(st.ClosedAt), Evidence: st.Evidence, NewHistory: history,
		ControlFailing:    conditionOf(st, isms.ConditionControlFailing),
		AcceptanceExpired: conditionOf(st, isms.ConditionAcceptanceExpired),
	}
}

var (
	notTolerated = condition{metav1.ConditionFalse, isms.ReasonNotApplicable}
	acceptedOK   = condition{metav1.ConditionFalse, isms.ReasonRiskAccepted}
	expired      = condition{metav1.ConditionTrue, isms.ReasonAcceptanceExpired}
)

type decideCase struct {
	name   string
	reason string
	// register builds the Risks that exist before the observation.
	register func(t *testing.T) []isms.Risk
	obs      Observation
	want     []outcome
}

func TestDecide(t *testing.T) {
	none := func(*testing.T) []isms.Risk { return nil }
	cases := []decideCase{
		{
			name:     "create",
			reason:   "a failing Required control with no Risk raises one, Open, with its first history entry",
			register: none,
			obs:      observe(t0, volume0),
			want: []outcome{{Action: Create, Name: enc01Risk, State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, Evidence: []isms.Finding{volume0},
				NewHistory:     []entry{{t0, isms.StateOpen, isms.ReasonDriftDetected}},
				ControlFailing: failingTrue, AcceptanceExpired: notTolerated}},
		},
		{
			name:     "create one Risk per failing control, in catalogue order, exposure raising likelihood",
			register: none,
			obs: func() Observation {
				obs := observe(t0, rootPod, noTLS, volume0)
				obs.Exposed[isms.ControlIngressTLS] = true
				return obs
			}(),
			want: []outcome{
				{Action: Create, Name: enc01Risk, State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
					FirstDetected: t0, LastDetected: t0, Evidence: []isms.Finding{volume0},
					NewHistory:     []entry{{t0, isms.StateOpen, isms.ReasonDriftDetected}},
					ControlFailing: failingTrue, AcceptanceExpired: notTolerated},
				{Action: Create, Name: enc02Risk, State: isms.StateOpen, Score: 25, Rating: isms.RatingExtreme, Occurrences: 1,
					FirstDetected: t0, LastDetected: t0, Evidence: []isms.Finding{noTLS},
					NewHistory:     []entry{{t0, isms.StateOpen, isms.ReasonDriftDetected}},
					ControlFailing: failingTrue, AcceptanceExpired: notTolerated},
				{Action: Create, Name: acc01Risk, State: isms.StateOpen, Score: 15, Rating: isms.RatingExtreme, Occurrences: 1,
					FirstDetected: t0, LastDetected: t0, Evidence: []isms.Finding{rootPod},
					NewHistory:     []entry{{t0, isms.StateOpen, isms.ReasonDriftDetected}},
					ControlFailing: failingTrue, AcceptanceExpired: notTolerated},
			},
		},
		{
			name:     "nothing fails and there is no Risk: no decision",
			register: none,
			obs:      observe(t0),
		},
		{
			name:     "a deleted asset raises no Risk for a failing control",
			register: none,
			obs:      removed(t0, volume0),
		},
		{
			name:     "no-op: an Open Risk whose control still fails with the same evidence",
			register: openRegister,
			obs:      observe(at(time.Hour), volume0),
		},
		{
			name:     "no-op: the asset's owner changed; the operator never rewrites a Risk's spec",
			register: openRegister,
			obs: func() Observation {
				obs := observe(at(time.Hour), volume0)
				obs.Asset.Spec.Owner = isms.Person{Name: "Sam Jones"}
				obs.Asset.Spec.Criticality = isms.CriticalityLow
				return obs
			}(),
		},
		{
			name:     "update evidence: an Open Risk whose control fails with different findings",
			reason:   "new evidence, no transition: no history entry, lastDetected and occurrences unchanged",
			register: openRegister,
			obs:      observe(at(time.Hour), volume0, volume1),
			want: []outcome{{Action: Update, Name: enc01Risk, State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, Evidence: []isms.Finding{volume0, volume1},
				ControlFailing: failingTrue, AcceptanceExpired: notTolerated}},
		},
		{
			name:     "resolve: an Open Risk whose control passes",
			register: openRegister,
			obs:      observe(at(2 * time.Hour)),
			want: []outcome{{Action: Resolve, Name: enc01Risk, State: isms.StateResolved, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, ResolvedAt: at(2 * time.Hour), Evidence: []isms.Finding{volume0},
				NewHistory:     []entry{{at(2 * time.Hour), isms.StateResolved, isms.ReasonDriftCorrected}},
				ControlFailing: failingCorrected, AcceptanceExpired: notTolerated}},
		},
		{
			name:     "no-op: a Resolved Risk whose control still passes",
			register: resolvedRegister,
			obs:      observe(at(3 * time.Hour)),
		},
		{
			name:     "re-open: a Resolved Risk whose control fails again",
			register: resolvedRegister,
			obs:      observe(at(3*time.Hour), volume1),
			want: []outcome{{Action: Reopen, Name: enc01Risk, State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh, Occurrences: 2,
				FirstDetected: t0, LastDetected: at(3 * time.Hour), ResolvedAt: at(2 * time.Hour), Evidence: []isms.Finding{volume1},
				NewHistory:     []entry{{at(3 * time.Hour), isms.StateOpen, isms.ReasonDriftRecurred}},
				ControlFailing: failingTrue, AcceptanceExpired: notTolerated}},
		},
		{
			name:     "asset removed: live Detected Risks resolve with AssetRemoved, Declared ones are left alone",
			reason:   "Removed wins over the controls still failing",
			register: func(t *testing.T) []isms.Risk { return append(openRegister(t), declaredRisk()) },
			obs:      removed(at(5*time.Hour), volume0),
			want: []outcome{{Action: Resolve, Name: enc01Risk, State: isms.StateResolved, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, ResolvedAt: at(5 * time.Hour), Evidence: []isms.Finding{volume0},
				NewHistory:     []entry{{at(5 * time.Hour), isms.StateResolved, isms.ReasonAssetRemoved}},
				ControlFailing: failingRemoved, AcceptanceExpired: notTolerated}},
		},
		{
			name:     "asset removed: an Accepted Risk resolves with AssetRemoved too",
			register: acceptedRegister,
			obs:      removed(at(5*time.Hour), volume0),
			want: []outcome{{Action: Resolve, Name: enc01Risk, State: isms.StateResolved, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, ResolvedAt: at(5 * time.Hour), Evidence: []isms.Finding{volume0},
				NewHistory:     []entry{{at(5 * time.Hour), isms.StateResolved, isms.ReasonAssetRemoved}},
				ControlFailing: failingRemoved, AcceptanceExpired: notTolerated}},
		},
		{
			name:     "accepted and still failing: no decision",
			register: acceptedRegister,
			obs:      observe(at(2*time.Hour), volume0),
		},
		{
			name:     "accepted, failing with new evidence: the evidence is updated, the Risk stays Accepted",
			register: acceptedRegister,
			obs:      observe(at(2*time.Hour), volume1),
			want: []outcome{{Action: Update, Name: enc01Risk, State: isms.StateAccepted, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, Evidence: []isms.Finding{volume1},
				ControlFailing: failingTrue, AcceptanceExpired: acceptedOK}},
		},
		{
			name:     "acceptance expired: an Accepted Risk still failing is Open again",
			register: acceptedRegister,
			obs:      observe(at(day30+day), volume0),
			want: []outcome{{Action: Update, Name: enc01Risk, State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, Evidence: []isms.Finding{volume0},
				NewHistory:     []entry{{at(day30 + day), isms.StateOpen, isms.ReasonAcceptanceExpired}},
				ControlFailing: failingTrue, AcceptanceExpired: expired}},
		},
		{
			name:     "acceptance expired: at the expiry instant the acceptance has lapsed",
			register: acceptedRegister,
			obs:      observe(at(day30), volume0),
			want: []outcome{{Action: Update, Name: enc01Risk, State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, Evidence: []isms.Finding{volume0},
				NewHistory:     []entry{{at(day30), isms.StateOpen, isms.ReasonAcceptanceExpired}},
				ControlFailing: failingTrue, AcceptanceExpired: expired}},
		},
		{
			name:     "a tolerated Risk whose drift recurs re-opens as Accepted",
			register: acceptedResolvedRegister,
			obs:      observe(at(3*time.Hour), volume1),
			want: []outcome{{Action: Reopen, Name: enc01Risk, State: isms.StateAccepted, Score: 10, Rating: isms.RatingHigh, Occurrences: 2,
				FirstDetected: t0, LastDetected: at(3 * time.Hour), ResolvedAt: at(2 * time.Hour), Evidence: []isms.Finding{volume1},
				NewHistory:     []entry{{at(3 * time.Hour), isms.StateAccepted, isms.ReasonDriftRecurred}},
				ControlFailing: failingTrue, AcceptanceExpired: acceptedOK}},
		},
		{
			name:     "a tolerated Risk whose drift recurs after the acceptance expired re-opens as Open",
			register: acceptedResolvedRegister,
			obs:      observe(at(day30+day), volume1),
			want: []outcome{{Action: Reopen, Name: enc01Risk, State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh, Occurrences: 2,
				FirstDetected: t0, LastDetected: at(day30 + day), ResolvedAt: at(2 * time.Hour), Evidence: []isms.Finding{volume1},
				NewHistory:     []entry{{at(day30 + day), isms.StateOpen, isms.ReasonDriftRecurred}},
				ControlFailing: failingTrue, AcceptanceExpired: expired}},
		},
		{
			name:     "closed, drift still active with the same evidence: no decision",
			register: closedRegister,
			obs:      observe(at(2*time.Hour), volume0),
		},
		{
			name:     "closed, drift still active with new evidence: the Risk stays Closed",
			register: closedRegister,
			obs:      observe(at(2*time.Hour), volume1),
			want: []outcome{{Action: Update, Name: enc01Risk, State: isms.StateClosed, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, ClosedAt: at(time.Hour), Evidence: []isms.Finding{volume1},
				ControlFailing: failingTrue, AcceptanceExpired: notTolerated}},
		},
		{
			name:     "closed, drift corrected: the Risk stays Closed and records the correction",
			register: closedRegister,
			obs:      observe(at(2 * time.Hour)),
			want: []outcome{{Action: Update, Name: enc01Risk, State: isms.StateClosed, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, ResolvedAt: at(2 * time.Hour), ClosedAt: at(time.Hour), Evidence: []isms.Finding{volume0},
				ControlFailing: failingCorrected, AcceptanceExpired: notTolerated}},
		},
		{
			name:     "closed, drift corrected then seen again: the Risk opens again",
			register: closedCorrectedRegister,
			obs:      observe(at(3*time.Hour), volume1),
			want: []outcome{{Action: Reopen, Name: enc01Risk, State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh, Occurrences: 2,
				FirstDetected: t0, LastDetected: at(3 * time.Hour), ResolvedAt: at(2 * time.Hour), ClosedAt: at(time.Hour),
				Evidence:       []isms.Finding{volume1},
				NewHistory:     []entry{{at(3 * time.Hour), isms.StateOpen, isms.ReasonDriftRecurred}},
				ControlFailing: failingTrue, AcceptanceExpired: notTolerated}},
		},
		{
			name:     "closed, asset removed while failing: the Risk stays Closed and records the removal",
			register: closedRegister,
			obs:      removed(at(2*time.Hour), volume0),
			want: []outcome{{Action: Update, Name: enc01Risk, State: isms.StateClosed, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, ResolvedAt: at(2 * time.Hour), ClosedAt: at(time.Hour), Evidence: []isms.Finding{volume0},
				ControlFailing: failingRemoved, AcceptanceExpired: notTolerated}},
		},
		{
			name:     "a Declared Risk naming the failing control is ignored: the Detected Risk is still raised",
			register: func(*testing.T) []isms.Risk { return []isms.Risk{declaredRisk()} },
			obs:      observe(t0, volume0),
			want: []outcome{{Action: Create, Name: enc01Risk, State: isms.StateOpen, Score: 10, Rating: isms.RatingHigh, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, Evidence: []isms.Finding{volume0},
				NewHistory:     []entry{{t0, isms.StateOpen, isms.ReasonDriftDetected}},
				ControlFailing: failingTrue, AcceptanceExpired: notTolerated}},
		},
		{
			name:     "a Declared Risk is ignored when its control passes",
			register: func(*testing.T) []isms.Risk { return []isms.Risk{declaredRisk()} },
			obs:      observe(at(time.Hour)),
		},
		{
			name:     "a Declared Risk is ignored when the asset is removed",
			register: func(*testing.T) []isms.Risk { return []isms.Risk{declaredRisk()} },
			obs:      removed(at(time.Hour)),
		},
		{
			name:   "a person's edit of likelihood is kept; the score follows it",
			reason: "the generic check asserts the decided spec is the edited one",
			register: func(t *testing.T) []isms.Risk {
				return edit(t, openRegister(t), enc01Risk, func(s *isms.RiskSpec) { s.Likelihood = 5 })
			},
			obs: observe(at(time.Hour), volume0),
			want: []outcome{{Action: Update, Name: enc01Risk, State: isms.StateOpen, Score: 25, Rating: isms.RatingExtreme, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, Evidence: []isms.Finding{volume0},
				ControlFailing: failingTrue, AcceptanceExpired: notTolerated}},
		},
		{
			name: "a person's edit of likelihood and consequence is kept when the drift is corrected",
			register: func(t *testing.T) []isms.Risk {
				return edit(t, openRegister(t), enc01Risk, func(s *isms.RiskSpec) { s.Likelihood, s.Consequence = 1, 2 })
			},
			obs: observe(at(2 * time.Hour)),
			want: []outcome{{Action: Resolve, Name: enc01Risk, State: isms.StateResolved, Score: 2, Rating: isms.RatingLow, Occurrences: 1,
				FirstDetected: t0, LastDetected: t0, ResolvedAt: at(2 * time.Hour), Evidence: []isms.Finding{volume0},
				NewHistory:     []entry{{at(2 * time.Hour), isms.StateResolved, isms.ReasonDriftCorrected}},
				ControlFailing: failingCorrected, AcceptanceExpired: notTolerated}},
		},
		{
			name:     "one asset, several Risks: each gets its own decision",
			reason:   "ENC-01 Open and failing (no-op), ACC-01 Accepted and now passing (resolve), ENC-02 Resolved and failing (re-open)",
			register: assetRegister,
			obs:      observe(at(3*time.Hour), volume0, noTLS),
			want: []outcome{
				{Action: Reopen, Name: enc02Risk, State: isms.StateOpen, Score: 20, Rating: isms.RatingExtreme, Occurrences: 2,
					FirstDetected: t0, LastDetected: at(3 * time.Hour), ResolvedAt: at(time.Hour), Evidence: []isms.Finding{noTLS},
					NewHistory:     []entry{{at(3 * time.Hour), isms.StateOpen, isms.ReasonDriftRecurred}},
					ControlFailing: failingTrue, AcceptanceExpired: notTolerated},
				{Action: Resolve, Name: acc01Risk, State: isms.StateResolved, Score: 15, Rating: isms.RatingExtreme, Occurrences: 1,
					FirstDetected: t0, LastDetected: t0, ResolvedAt: at(3 * time.Hour), Evidence: []isms.Finding{rootPod},
					NewHistory:     []entry{{at(3 * time.Hour), isms.StateResolved, isms.ReasonDriftCorrected}},
					ControlFailing: failingCorrected, AcceptanceExpired: notTolerated},
			},
		},
	}
	runDecideCases(t, cases)
}

// runDecideCases runs each case, compares its outcomes, and checks what holds of every
// decision: the input is not modified, an existing Risk keeps its metadata and spec and
// history, and deciding again on the result gives no decision (idempotence).
func runDecideCases(t *testing.T, cases []decideCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			existing := tc.register(t)
			input := copies(existing)
			got := Decide(tc.obs, input, npsa)

			if diff := cmp.Diff(existing, input); diff != "" {
				t.Errorf("Decide modified the Risks it was given (-before +after):\n%s", diff)
			}
			var outcomes []outcome
			for _, d := range got {
				fatalIf(t, d.Risk == nil, "decision %s has no Risk", d.Action)
				var before *isms.Risk
				if i := indexOf(existing, d.Risk.Name); i >= 0 {
					before = &existing[i]
				}
				outcomes = append(outcomes, outcomeOf(d, before))
				checkDecision(t, d, before)
			}
			if diff := cmp.Diff(tc.want, outcomes); diff != "" {
				t.Errorf("Decide() (-want +got):\n%s", diff)
			}

			next := apply(t, existing, got, tc.obs.Now)
			if slices.ContainsFunc(got, func(d Decision) bool { return d.Action == Create }) {
				// The reconcile the creation triggers may still update the new Risks
				// (TestRegisterBugs); the one after it must not.
				next = step(t, next, tc.obs)
			}
			if again := Decide(tc.obs, copies(next), npsa); len(again) != 0 {
				var summary []string
				for _, d := range again {
					summary = append(summary, string(d.Action)+" "+d.Risk.Name)
				}
				t.Errorf("Decide is not idempotent: the same observation again decides %v", summary)
				for _, d := range again {
					if i := indexOf(next, d.Risk.Name); i >= 0 {
						t.Logf("%s status (-first +second):\n%s", d.Risk.Name, cmp.Diff(next[i].Status, d.Risk.Status, ignoreTransitionTime))
					}
				}
			}
		})
	}
}

func checkDecision(t *testing.T, d Decision, before *isms.Risk) {
	t.Helper()
	if d.Risk.Spec.Source != isms.SourceDetected {
		t.Errorf("decision %s for %s, a %s Risk: Decide must only touch Detected Risks", d.Action, d.Risk.Name, d.Risk.Spec.Source)
	}
	if d.Action == Create {
		if before != nil {
			t.Errorf("Create for %s, which exists", d.Risk.Name)
		}
		return
	}
	fatalIf(t, before == nil, "%s for %s, which does not exist", d.Action, d.Risk.Name)
	if diff := cmp.Diff(before.ObjectMeta, d.Risk.ObjectMeta); diff != "" {
		t.Errorf("%s changed the metadata of %s (-before +after):\n%s", d.Action, d.Risk.Name, diff)
	}
	if diff := cmp.Diff(before.Spec, d.Risk.Spec); diff != "" {
		t.Errorf("%s changed the spec of %s (-before +after):\n%s", d.Action, d.Risk.Name, diff)
	}
	old := before.Status.History
	if len(d.Risk.Status.History) < len(old) {
		t.Errorf("%s dropped history of %s", d.Action, d.Risk.Name)
	} else if diff := cmp.Diff(old, d.Risk.Status.History[:len(old)]); diff != "" {
		t.Errorf("%s rewrote the history of %s (-before +after):\n%s", d.Action, d.Risk.Name, diff)
	}
}

// TestDecideCreate checks the whole Risk raised for a failing control: what identifies it,
// what it says, and that it carries no owner reference to the asset (risk.md: a deleted
// asset must not garbage-collect its risk history).
func TestDecideCreate(t *testing.T) {
	cases := []struct {
		name    string
		obs     Observation
		want    isms.Risk
		inTitle []string
	}{
		{
			name: "ENC-01 on a High patient-identifiable asset",
			obs:  observe(t0, volume0),
			want: isms.Risk{
				ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: enc01Risk, Generation: 1,
					Labels: map[string]string{LabelAsset: testAssetName, LabelControl: "enc-01"}},
				Spec: isms.RiskSpec{Source: isms.SourceDetected, AssetRef: &isms.LocalObjectReference{Name: testAssetName},
					Control: isms.ControlEncryptedVolumes, Owner: jane, Likelihood: 2, Consequence: 5},
			},
			inTitle: []string{testAssetName, "volumes not encrypted at rest"},
		},
		{
			name: "ENC-02 exposed, on a Low asset with no sensitive data",
			obs: func() Observation {
				obs := observe(t0, noTLS)
				obs.Asset.Spec.Criticality = isms.CriticalityLow
				obs.Asset.Spec.DataCategories = []isms.DataCategory{isms.DataCorporate}
				obs.Exposed[isms.ControlIngressTLS] = true
				return obs
			}(),
			want: isms.Risk{
				ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: enc02Risk, Generation: 1,
					Labels: map[string]string{LabelAsset: testAssetName, LabelControl: "enc-02"}},
				Spec: isms.RiskSpec{Source: isms.SourceDetected, AssetRef: &isms.LocalObjectReference{Name: testAssetName},
					Control: isms.ControlIngressTLS, Owner: jane, Likelihood: 5, Consequence: 2},
			},
			inTitle: []string{testAssetName, "Ingress hosts served without TLS"},
		},
		{
			name: "exposure of another control does not raise this one's likelihood",
			obs: func() Observation {
				obs := observe(t0, rootPod)
				obs.Exposed[isms.ControlIngressTLS] = true
				return obs
			}(),
			want: isms.Risk{
				ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: acc01Risk, Generation: 1,
					Labels: map[string]string{LabelAsset: testAssetName, LabelControl: "acc-01"}},
				Spec: isms.RiskSpec{Source: isms.SourceDetected, AssetRef: &isms.LocalObjectReference{Name: testAssetName},
					Control: isms.ControlPodSecurity, Owner: jane, Likelihood: 3, Consequence: 5},
			},
			inTitle: []string{testAssetName, "pods break the Pod Security Standard"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(tc.obs, nil, npsa)
			fatalIf(t, len(got) != 1 || got[0].Action != Create, "Decide() = %d decisions, want one Create", len(got))
			risk := got[0].Risk
			opts := []cmp.Option{cmpopts.IgnoreFields(isms.RiskSpec{}, "Title", "Description"), cmpopts.IgnoreFields(isms.Risk{}, "Status")}
			if diff := cmp.Diff(tc.want, *risk, opts...); diff != "" {
				t.Errorf("created Risk (-want +got):\n%s", diff)
			}
			for _, s := range tc.inTitle {
				if !strings.Contains(risk.Spec.Title, s) {
					t.Errorf("title %q does not say %q", risk.Spec.Title, s)
				}
			}
			if n := len(risk.Spec.Title); n == 0 || n > 256 {
				t.Errorf("title is %d characters, want 1-256", n)
			}
			if n := len(risk.Spec.Description); n > 4096 || !strings.Contains(risk.Spec.Description, string(risk.Spec.Control)) {
				t.Errorf("description (%d characters) must name the control and fit 4096: %q", n, risk.Spec.Description)
			}
		})
	}
}

// TestDecideEvidenceBounded: a Risk quotes at most 16 findings (the API's MaxItems).
func TestDecideEvidenceBounded(t *testing.T) {
	var findings []isms.Finding
	for i := range 20 {
		findings = append(findings, finding(isms.ControlEncryptedVolumes, "PersistentVolumeClaim/data-"+string(rune('a'+i)), "not encrypted"))
	}
	got := Decide(observe(t0, findings...), nil, npsa)
	fatalIf(t, len(got) != 1, "Decide() = %d decisions, want 1", len(got))
	if diff := cmp.Diff(findings[:16], got[0].Risk.Status.Evidence); diff != "" {
		t.Errorf("evidence (-want +got):\n%s", diff)
	}
}

// TestDecideLifecycle follows one Risk through its whole life, deciding twice at each
// step: the second decision of a step must be none.
func TestDecideLifecycle(t *testing.T) {
	type want struct {
		action Action // "" for no decision
		state  isms.RiskState
		reason string // of the last history entry
	}
	steps := []struct {
		name string
		edit func(*isms.RiskSpec)
		obs  Observation
		want want
	}{
		{name: "drift seen", obs: observe(t0, volume0), want: want{Create, isms.StateOpen, isms.ReasonDriftDetected}},
		{name: "still failing", obs: observe(at(time.Hour), volume0), want: want{"", isms.StateOpen, isms.ReasonDriftDetected}},
		{name: "tolerated", edit: func(s *isms.RiskSpec) { s.Treatment = tolerate(at(10 * day)) }, obs: observe(at(2*time.Hour), volume0),
			want: want{Update, isms.StateAccepted, isms.ReasonRiskAccepted}},
		{name: "corrected", obs: observe(at(day), nil...), want: want{Resolve, isms.StateResolved, isms.ReasonDriftCorrected}},
		{name: "recurs while tolerated", obs: observe(at(2*day), volume1), want: want{Reopen, isms.StateAccepted, isms.ReasonDriftRecurred}},
		{name: "acceptance expires", obs: observe(at(11*day), volume1), want: want{Update, isms.StateOpen, isms.ReasonAcceptanceExpired}},
		{name: "closed", edit: func(s *isms.RiskSpec) { s.Closure = &isms.Closure{Reason: "Out of scope"} }, obs: observe(at(12*day), volume1),
			want: want{Update, isms.StateClosed, isms.ReasonClosed}},
		{name: "corrected while closed", obs: observe(at(13 * day)), want: want{Update, isms.StateClosed, isms.ReasonClosed}},
		{name: "recurs after closure", obs: observe(at(14*day), volume0), want: want{Reopen, isms.StateOpen, isms.ReasonDriftRecurred}},
		{name: "asset removed", obs: removed(at(15*day), volume0), want: want{Resolve, isms.StateResolved, isms.ReasonAssetRemoved}},
	}
	var risks []isms.Risk
	for _, s := range steps {
		if s.edit != nil {
			risks = edit(t, risks, enc01Risk, s.edit)
		}
		got := Decide(s.obs, copies(risks), npsa)
		var action Action
		if len(got) > 0 {
			action = got[0].Action
		}
		fatalIf(t, len(got) > 1, "%s: %d decisions, want at most 1", s.name, len(got))
		risks = apply(t, risks, got, s.obs.Now)
		if action == Create {
			risks = step(t, risks, s.obs) // the reconcile the creation triggers (see created)
		}
		r := risks[indexOf(risks, enc01Risk)]
		last := r.Status.History[len(r.Status.History)-1]
		if diff := cmp.Diff(s.want, want{action, r.Status.State, last.Reason}, cmp.AllowUnexported(want{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", s.name, diff)
		}
		if again := Decide(s.obs, copies(risks), npsa); len(again) != 0 {
			t.Errorf("%s: deciding again gives %s, want no decision", s.name, again[0].Action)
		}
	}
	r := risks[indexOf(risks, enc01Risk)]
	var reasons []string
	for _, h := range r.Status.History {
		reasons = append(reasons, h.Reason)
	}
	wantReasons := []string{isms.ReasonDriftDetected, isms.ReasonRiskAccepted, isms.ReasonDriftCorrected, isms.ReasonDriftRecurred,
		isms.ReasonAcceptanceExpired, isms.ReasonClosed, isms.ReasonDriftRecurred, isms.ReasonAssetRemoved}
	if diff := cmp.Diff(wantReasons, reasons); diff != "" {
		t.Errorf("history reasons (-want +got):\n%s", diff)
	}
	if r.Status.Occurrences != 3 {
		t.Errorf("occurrences = %d, want 3", r.Status.Occurrences)
	}
}

// TestDecideLeavesUndecidedControlsAlone: a control whose evidence cannot decide yet (a
// plan not evaluated, workloads not yet seen) neither resolves its open Risk nor raises one.
func TestDecideLeavesUndecidedControlsAlone(t *testing.T) {
	created := Decide(observe(t0, volume0), nil, npsa)
	if len(created) != 1 {
		t.Fatalf("Decide() = %d decisions, want 1", len(created))
	}
	risk := *created[0].Risk
	risk.CreationTimestamp = metav1.NewTime(t0)
	undecided := observe(at(time.Hour))
	undecided.Undecided = map[isms.ControlID]bool{isms.ControlEncryptedVolumes: true}
	if got := Decide(undecided, []isms.Risk{risk}, npsa); len(got) != 0 {
		t.Errorf("an undecided control's open Risk got %+v; want it left alone", got[0].Action)
	}
	if got := Decide(undecided, nil, npsa); len(got) != 0 {
		t.Errorf("an undecided control raised a Risk: %+v", got[0].Action)
	}
	// Asset removal still resolves it.
	undecided.Removed = true
	if got := Decide(undecided, []isms.Risk{risk}, npsa); len(got) != 1 || got[0].Action != Resolve {
		t.Errorf("asset removal with an undecided control: %+v, want Resolve", got)
	}
}
