package register

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// stateAfter is the state a history entry of a reason enters, in the histories built here.
var stateAfter = map[string]isms.RiskState{
	isms.ReasonDriftDetected:     isms.StateOpen,
	isms.ReasonDriftRecurred:     isms.StateOpen,
	isms.ReasonDriftCorrected:    isms.StateResolved,
	isms.ReasonRiskAccepted:      isms.StateAccepted,
	isms.ReasonAcceptanceExpired: isms.StateOpen,
	isms.ReasonClosed:            isms.StateClosed,
	isms.ReasonReopened:          isms.StateOpen,
	isms.ReasonDeclared:          isms.StateOpen,
}

// minute is the time of the i-th entry of a built history.
func minute(i int) time.Time { return at(time.Duration(i) * time.Minute) }

// he is the i-th entry of a built history: at t0+i minutes, with reason.
func he(i int, reason string) isms.HistoryEntry {
	return isms.HistoryEntry{At: metav1.Time{Time: minute(i)}, State: stateAfter[reason], Reason: reason, Message: fmt.Sprintf("entry %d", i)}
}

// hist is a history whose i-th entry is he(i, reasons[i]).
func hist(reasons ...string) []isms.HistoryEntry {
	var h []isms.HistoryEntry
	for i, r := range reasons {
		h = append(h, he(i, r))
	}
	return h
}

// fill is n reasons that are neither drift transitions nor each other's repeats: an
// acceptance and its expiry, alternately.
func fill(n int) []string {
	var out []string
	for i := range n {
		out = append(out, []string{isms.ReasonRiskAccepted, isms.ReasonAcceptanceExpired}[i%2])
	}
	return out
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// entriesAt are the entries of h at the indexes from..to (inclusive).
func entriesAt(h []isms.HistoryEntry, from, to int) []isms.HistoryEntry {
	return append([]isms.HistoryEntry(nil), h[from:to+1]...)
}

// flapping is the entry a run folds into: at its first entry's time, until its last's, in
// the state its last entry entered.
func flapping(from, until time.Time, count int32, state isms.RiskState) isms.HistoryEntry {
	return isms.HistoryEntry{At: metav1.Time{Time: from}, Until: mt(until), State: state, Reason: isms.ReasonFlapping, Count: count}
}

// pick are the entries of h at the indexes, in order.
func pick(h []isms.HistoryEntry, indexes ...int) []isms.HistoryEntry {
	var out []isms.HistoryEntry
	for _, i := range indexes {
		out = append(out, h[i])
	}
	return out
}

// TestAppendHistory: appending to a full history folds as few of the oldest drift
// transitions as it takes into one Flapping entry, so the history holds exactly MaxHistory
// entries and the newest stay as they were; the first entry, acceptances, closures and the
// entry just appended are never folded, and only when no run of two or more drift
// transitions is left does an entry go.
func TestAppendHistory(t *testing.T) {
	dd, dc, dr := isms.ReasonDriftDetected, isms.ReasonDriftCorrected, isms.ReasonDriftRecurred
	accepted, closed, reopened := isms.ReasonRiskAccepted, isms.ReasonClosed, isms.ReasonReopened
	// flap is a Flapping entry an earlier append left at index i.
	flap := func(i int, count int32, until time.Time, state isms.RiskState) isms.HistoryEntry {
		e := flapping(minute(i), until, count, state)
		e.Message = "earlier fold"
		return e
	}
	// withEntry is h with its i-th entry replaced by e.
	withEntry := func(h []isms.HistoryEntry, i int, e isms.HistoryEntry) []isms.HistoryEntry {
		h = append([]isms.HistoryEntry(nil), h...)
		h[i] = e
		return h
	}

	// The histories appended to; entry i is at t0+i minutes. All but the last two hold 50
	// entries (0..49), so appending one (at index 50) puts them one over the bound.
	below := hist(dd, dc, dr)
	full := hist(concat([]string{dd}, repeat([]string{dc, dr}, 24), []string{dc})...)
	oneRun := hist(concat([]string{dd, dc, dr, dc}, fill(46))...)
	twoRuns := hist(concat([]string{dd, dc, dr}, fill(5), []string{dc, dr, dc}, fill(39))...)
	loneFirst := hist(concat([]string{dd, dc, accepted, dr, dc, dr}, fill(44))...)
	foldedBefore := withEntry(oneRun, 1, flap(1, 7, minute(1).Add(30*time.Second), isms.StateResolved))
	endsFolded := withEntry(hist(concat([]string{dd, dc, dr}, fill(47))...), 2, flap(2, 4, minute(2).Add(40*time.Second), isms.StateResolved))
	firstIsDrift := hist(concat([]string{dr, dc, dr}, fill(47))...)
	split := hist(concat([]string{dd, dc, accepted, dr, closed, dc, dr}, fill(43))...)
	lastIsDrift := hist(concat([]string{dd}, fill(48), []string{dc})...)
	loneOnly := hist(concat([]string{dd, dc}, fill(48))...)
	noDrift := hist(concat([]string{isms.ReasonDeclared, accepted, closed, reopened}, fill(46))...)
	onlyKept := hist(concat([]string{isms.ReasonDeclared}, repeat([]string{accepted, closed}, 24), []string{accepted})...)
	// Histories over the bound: 55 and 52 entries, and 60 (written when the bound was higher).
	longRun := hist(concat([]string{dd}, repeat([]string{dc, dr}, 27))...)
	shortRun := hist(concat([]string{dd, dc, dr, accepted, dc, dr, dc, dr}, fill(44))...)
	overBound := hist(concat([]string{isms.ReasonDeclared}, fill(59))...)

	cases := []struct {
		name     string
		history  []isms.HistoryEntry
		appended isms.HistoryEntry
		want     []isms.HistoryEntry
	}{
		{
			name:     "below the bound: appended",
			history:  below,
			appended: he(3, dc),
			want:     hist(dd, dc, dr, dc),
		},
		{
			name:     "at the bound: appended, nothing folded",
			history:  full[:49],
			appended: he(49, dc),
			want:     full,
		},
		{
			// One over: 2 entries fold into 1, enough; the run's third entry stays.
			name:     "one over the bound: the oldest two drift transitions fold; the rest of their run stays",
			history:  oneRun,
			appended: he(50, reopened),
			want: concat2(pick(oneRun, 0),
				[]isms.HistoryEntry{flapping(minute(1), minute(2), 2, isms.StateOpen)},
				entriesAt(oneRun, 3, 49), []isms.HistoryEntry{he(50, reopened)}),
		},
		{
			name:     "the oldest run folds; a newer one is left",
			history:  twoRuns,
			appended: he(50, reopened),
			want: concat2(pick(twoRuns, 0),
				[]isms.HistoryEntry{flapping(minute(1), minute(2), 2, isms.StateOpen)},
				entriesAt(twoRuns, 3, 49), []isms.HistoryEntry{he(50, reopened)}),
		},
		{
			// Entry 1 is a drift transition on its own: the run at 3..5 is the oldest;
			// its first two (DriftRecurred, DriftCorrected) fold, in the state Resolved.
			name:     "a single drift transition is no run: the next run of two or more folds",
			history:  loneFirst,
			appended: he(50, reopened),
			want: concat2(entriesAt(loneFirst, 0, 2),
				[]isms.HistoryEntry{flapping(minute(3), minute(4), 2, isms.StateResolved)},
				entriesAt(loneFirst, 5, 49), []isms.HistoryEntry{he(50, reopened)}),
		},
		{
			// The Flapping entry (7 transitions) and the DriftRecurred after it: 8.
			name:     "an earlier Flapping entry folds with the drift transition after it: the counts add up",
			history:  foldedBefore,
			appended: he(50, reopened),
			want: concat2(pick(foldedBefore, 0),
				[]isms.HistoryEntry{flapping(minute(1), minute(2), 8, isms.StateOpen)},
				entriesAt(foldedBefore, 3, 49), []isms.HistoryEntry{he(50, reopened)}),
		},
		{
			// A DriftCorrected and a Flapping entry of 4 that ended Resolved at 09:02:40.
			name:     "a run ending in a Flapping entry lasts until that entry's until",
			history:  endsFolded,
			appended: he(50, reopened),
			want: concat2(pick(endsFolded, 0),
				[]isms.HistoryEntry{flapping(minute(1), minute(2).Add(40*time.Second), 5, isms.StateResolved)},
				entriesAt(endsFolded, 3, 49), []isms.HistoryEntry{he(50, reopened)}),
		},
		{
			name:     "the first entry is never folded, even when it reads as a drift transition",
			history:  firstIsDrift,
			appended: he(50, reopened),
			want: concat2(pick(firstIsDrift, 0),
				[]isms.HistoryEntry{flapping(minute(1), minute(2), 2, isms.StateOpen)},
				entriesAt(firstIsDrift, 3, 49), []isms.HistoryEntry{he(50, reopened)}),
		},
		{
			// Entries 1 and 3 are single drift transitions between an acceptance and a
			// closure; the first run of two is 5..6.
			name:     "acceptances and closures split runs and are never folded",
			history:  split,
			appended: he(50, reopened),
			want: concat2(entriesAt(split, 0, 4),
				[]isms.HistoryEntry{flapping(minute(5), minute(6), 2, isms.StateOpen)},
				entriesAt(split, 7, 49), []isms.HistoryEntry{he(50, reopened)}),
		},
		{
			// 55 entries and the one appended: 6 over, so the run's first 7 entries (a
			// DriftCorrected at 1 to a DriftCorrected at 7) fold into 1, and 8..55 stay.
			name:     "over the bound by k: the oldest k+1 entries of the run fold, no more",
			history:  longRun,
			appended: he(55, dc),
			want: concat2(pick(longRun, 0),
				[]isms.HistoryEntry{flapping(minute(1), minute(7), 7, isms.StateResolved)},
				entriesAt(longRun, 8, 54), []isms.HistoryEntry{he(55, dc)}),
		},
		{
			// 52 entries and the one appended: 3 over. The oldest run (1..2) folds whole,
			// which is 1 less; the Flapping entry it leaves is no run with the acceptance
			// after it, so the next run (4..7) gives its first 3 entries for the other 2.
			name:     "a run too short for the excess folds whole, and the next run folds the rest",
			history:  shortRun,
			appended: he(52, reopened),
			want: concat2(pick(shortRun, 0),
				[]isms.HistoryEntry{flapping(minute(1), minute(2), 2, isms.StateOpen)},
				pick(shortRun, 3),
				[]isms.HistoryEntry{flapping(minute(4), minute(6), 3, isms.StateResolved)},
				entriesAt(shortRun, 7, 51), []isms.HistoryEntry{he(52, reopened)}),
		},
		{
			// The DriftCorrected at 49 and the DriftRecurred appended would be a run, but
			// the newest entry stays as it is (Events quote it): with no run to fold, the
			// oldest entry that is not an acceptance, the AcceptanceExpired at 2, goes.
			name:     "the entry appended is never folded, even when it would complete a run",
			history:  lastIsDrift,
			appended: he(50, dr),
			want:     concat2(pick(lastIsDrift, 0, 1), entriesAt(lastIsDrift, 3, 49), []isms.HistoryEntry{he(50, dr)}),
		},
		{
			name:     "a single drift transition with no run to fold in is dropped like any other entry",
			history:  loneOnly,
			appended: he(50, reopened),
			want:     concat2(pick(loneOnly, 0), entriesAt(loneOnly, 2, 49), []isms.HistoryEntry{he(50, reopened)}),
		},
		{
			// Entries 1 and 2 are an acceptance and a closure: the Reopened at 3 goes.
			name:     "no run of drift transitions: the oldest entry after the first that is neither an acceptance nor a closure is dropped",
			history:  noDrift,
			appended: he(50, reopened),
			want:     concat2(entriesAt(noDrift, 0, 2), entriesAt(noDrift, 4, 49), []isms.HistoryEntry{he(50, reopened)}),
		},
		{
			// Something has to go; the first entry and the one appended stay.
			name:     "only acceptances and closures after the first: the oldest of them is dropped",
			history:  onlyKept,
			appended: he(50, reopened),
			want:     concat2(pick(onlyKept, 0), entriesAt(onlyKept, 2, 49), []isms.HistoryEntry{he(50, reopened)}),
		},
		{
			// 61 entries, 11 over, no drift: the 11 oldest AcceptanceExpired entries (at
			// 2, 4, .., 22) go; the acceptances between them stay.
			name:     "a history over the bound is brought to it, keeping its acceptances",
			history:  overBound,
			appended: he(60, reopened),
			want: concat2(pick(overBound, 0, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21),
				entriesAt(overBound, 23, 59), []isms.HistoryEntry{he(60, reopened)}),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			input := append([]isms.HistoryEntry(nil), tc.history...)
			got := appendHistory(input, tc.appended)
			if want := min(len(tc.history)+1, MaxHistory); len(got) != want {
				t.Errorf("%d entries, want %d", len(got), want)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(isms.HistoryEntry{}, "Message")); diff != "" {
				t.Errorf("appendHistory() (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.appended, got[len(got)-1]); diff != "" {
				t.Errorf("the newest entry is not the one appended (-want +got):\n%s", diff)
			}
			for _, e := range got {
				if e.Reason != isms.ReasonFlapping {
					// Entries that were not folded keep their messages.
					if !strings.HasPrefix(e.Message, "entry ") {
						t.Errorf("entry %s at %s has message %q, want its own", e.Reason, e.At, e.Message)
					}
					continue
				}
				for _, s := range []string{fmt.Sprintf("%d drift transitions", e.Count), string(e.State),
					e.At.UTC().Format(time.RFC3339), e.Until.UTC().Format(time.RFC3339)} {
					if !strings.Contains(e.Message, s) {
						t.Errorf("Flapping message %q does not say %q", e.Message, s)
					}
				}
			}
		})
	}
}

func repeat(s []string, n int) []string {
	var out []string
	for range n {
		out = append(out, s...)
	}
	return out
}

func concat2(parts ...[]isms.HistoryEntry) []isms.HistoryEntry {
	var out []isms.HistoryEntry
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// TestStatusHistoryBounded: a transition on a full history that holds no drift transitions
// drops the oldest entry after the declaration that is neither an acceptance nor a
// closure, so the history stays at MaxHistory entries and ends with the transition.
func TestStatusHistoryBounded(t *testing.T) {
	// closedReopened are n reasons that alternately close and re-open a risk, the last a
	// re-opening.
	closedReopened := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, []string{isms.ReasonReopened, isms.ReasonClosed}[(n-1-i)%2])
		}
		return out
	}
	cases := []struct {
		name string
		// reasons are the entries after the declaration (entry i at t0+i minutes); the
		// last leaves the risk Open.
		reasons    []string
		transition bool
		dropped    int // the index of the entry dropped; 0 when none is
	}{
		{name: "1 entry and a transition: 2", transition: true},
		{name: "49 entries and a transition: 50, none dropped", reasons: closedReopened(48), transition: true},
		{name: "50 entries and a transition: the oldest entry after the declaration, a re-opening, is dropped",
			reasons: closedReopened(49), transition: true, dropped: 1},
		{name: "50 entries and a transition: the acceptance and the closure after the declaration stay, the re-opening after them is dropped",
			reasons: concat([]string{isms.ReasonRiskAccepted}, closedReopened(48)), transition: true, dropped: 3},
		{name: "50 entries and no transition: unchanged", reasons: closedReopened(49)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			risk := recorded(declared(nil), t0)
			risk.Status.History = append(risk.Status.History, hist(concat([]string{isms.ReasonDeclared}, tc.reasons)...)[1:]...)
			old := risk.Status.History
			fatalIf(t, recordedState(old) != isms.StateOpen, "setting up: the history ends %s", recordedState(old))
			if tc.transition {
				risk = edited(risk, closure)
			}
			now := at(day)
			st := Status(risk, nil, now, rules)
			want := old
			if tc.transition {
				if tc.dropped > 0 {
					want = concat2(old[:tc.dropped], old[tc.dropped+1:])
				}
				want = concat2(want, []isms.HistoryEntry{{At: metav1.Time{Time: now}, State: isms.StateClosed, Reason: isms.ReasonClosed}})
			}
			fatalIf(t, len(st.History) != len(want), "history has %d entries, want %d", len(st.History), len(want))
			if diff := cmp.Diff(want[:len(want)-1], st.History[:len(want)-1]); diff != "" {
				t.Errorf("kept history (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want[len(want)-1], st.History[len(want)-1], cmpopts.IgnoreFields(isms.HistoryEntry{}, "Message")); diff != "" {
				t.Errorf("newest entry (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStatusHistoryFlapping drives a record through 200 drift transitions, an hour apart
// (odd ones pass, even ones fail), with an acceptance after the first 100. From the 50th
// entry on the history holds exactly MaxHistory entries: the first detection, the
// acceptance, one Flapping entry on each side of it for the oldest transitions, and the
// newest transitions each as it was made.
func TestStatusHistoryFlapping(t *testing.T) {
	const transitions = 200
	risk := openRecord(t)
	first := risk.Status.History[0]
	acceptedAt := at(100*time.Hour + 30*time.Minute)
	hour := func(i int) time.Time { return at(time.Duration(i) * time.Hour) }
	// transition is the entry of the i-th transition: a pass resolves the risk, a failure
	// opens it again, or makes it Accepted again once it is tolerated.
	transition := func(i int) isms.HistoryEntry {
		e := isms.HistoryEntry{At: metav1.Time{Time: hour(i)}, State: isms.StateResolved, Reason: isms.ReasonDriftCorrected}
		switch {
		case i%2 == 1:
		case i <= 100:
			e.State, e.Reason = isms.StateOpen, isms.ReasonDriftRecurred
		default:
			e.State, e.Reason = isms.StateAccepted, isms.ReasonDriftRecurred
		}
		return e
	}
	transitionsFrom := func(from, to int) []isms.HistoryEntry {
		var out []isms.HistoryEntry
		for i := from; i <= to; i++ {
			out = append(out, transition(i))
		}
		return out
	}
	acceptance := isms.HistoryEntry{At: metav1.Time{Time: acceptedAt}, State: isms.StateAccepted, Reason: isms.ReasonRiskAccepted}
	ignoreMessage := cmpopts.IgnoreFields(isms.HistoryEntry{}, "Message")

	entries := 1 // how many entries the history would hold unbounded
	for i := 1; i <= transitions; i++ {
		if i == 101 {
			risk = editedRisk(risk, tolerated(at(400*day)))
			risk = observed(risk, failing(volume1), acceptedAt)
			fatalIf(t, risk.Status.State != isms.StateAccepted, "setting up: tolerating the open record left it %s", risk.Status.State)
			entries++
			// 102 entries unbounded: the Flapping entry of 1..52 takes in 53, which left the
			// risk Resolved.
			want := concat2([]isms.HistoryEntry{first, flapping(hour(1), hour(53), 53, isms.StateResolved)},
				transitionsFrom(54, 100), []isms.HistoryEntry{acceptance})
			if diff := cmp.Diff(want, risk.Status.History, ignoreMessage); diff != "" {
				t.Fatalf("history after the acceptance (-want +got):\n%s", diff)
			}
		}
		d := failing(volume1)
		if i%2 == 1 {
			d = passing()
		}
		risk = observed(risk, d, hour(i))
		entries++
		h := risk.Status.History
		fatalIf(t, len(h) != min(entries, MaxHistory), "after transition %d: %d entries, want %d", i, len(h), min(entries, MaxHistory))
		if diff := cmp.Diff(first, h[0]); diff != "" {
			t.Fatalf("after transition %d: the first detection was not kept (-want +got):\n%s", i, diff)
		}
		// The newest entry, which the Event quotes, is the transition just made.
		if diff := cmp.Diff(transition(i), h[len(h)-1], ignoreMessage); diff != "" {
			t.Fatalf("after transition %d: newest entry (-want +got):\n%s", i, diff)
		}
		fatalIf(t, risk.Status.State != transition(i).State, "after transition %d: the risk is %s", i, risk.Status.State)
		if i == 100 {
			// 101 entries unbounded: from the 50th transition on, each folded one more of
			// the oldest into the Flapping entry, which now holds 1..52.
			want := concat2([]isms.HistoryEntry{first, flapping(hour(1), hour(52), 52, isms.StateOpen)}, transitionsFrom(53, 100))
			if diff := cmp.Diff(want, h, ignoreMessage); diff != "" {
				t.Fatalf("history after transition 100 (-want +got):\n%s", diff)
			}
		}
	}

	st := risk.Status
	if st.State != isms.StateAccepted {
		t.Errorf("state = %s, want Accepted (tolerated, and failing after an even number of transitions)", st.State)
	}
	if st.Occurrences != 1+transitions/2 {
		t.Errorf("occurrences = %d, want %d: the first detection and each recurrence", st.Occurrences, 1+transitions/2)
	}
	// The Flapping entry before the acceptance took in transitions 54..100 as transitions
	// after it were made, and is left holding 1..100 (in the state Open transition 100
	// left). It is then alone between the detection and the acceptance, no run: the run
	// after the acceptance folds instead, from transition 148 on, into a second Flapping
	// entry that holds 101..154. 1 + 1 + 1 + 1 + 46 = 50 entries.
	want := concat2([]isms.HistoryEntry{first, flapping(hour(1), hour(100), 100, isms.StateOpen), acceptance,
		flapping(hour(101), hour(154), 54, isms.StateAccepted)}, transitionsFrom(155, transitions))
	if diff := cmp.Diff(want, st.History, ignoreMessage); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	var accounted int32
	for _, e := range st.History {
		switch e.Reason {
		case isms.ReasonFlapping:
			accounted += e.Count
			for _, s := range []string{fmt.Sprintf("%d drift transitions", e.Count), string(e.State)} {
				if !strings.Contains(e.Message, s) {
					t.Errorf("Flapping message %q does not say %q", e.Message, s)
				}
			}
		case isms.ReasonDriftCorrected, isms.ReasonDriftRecurred:
			accounted++
		}
	}
	if accounted != transitions {
		t.Errorf("the history accounts for %d drift transitions, want %d", accounted, transitions)
	}
	if last := st.History[len(st.History)-1]; !strings.Contains(last.Message, fmt.Sprintf("started failing: %s: %s (occurrence %d)",
		volume1.Resource, volume1.Message, st.Occurrences)) {
		t.Errorf("the newest entry says %q, want the recurrence that made it, occurrence %d", last.Message, st.Occurrences)
	}
}
