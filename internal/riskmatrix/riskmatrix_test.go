package riskmatrix

import (
	"strings"
	"testing"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

func TestNPSARatesAll25Cells(t *testing.T) {
	// want[likelihood-1][consequence-1], the NPSA matrix as NHS registers print it.
	want := [5][5]isms.Rating{
		{"Low", "Low", "Low", "Moderate", "Moderate"},
		{"Low", "Moderate", "Moderate", "High", "High"},
		{"Low", "Moderate", "High", "High", "Extreme"},
		{"Moderate", "High", "High", "Extreme", "Extreme"},
		{"Moderate", "High", "Extreme", "Extreme", "Extreme"},
	}
	for l := int32(1); l <= 5; l++ {
		for c := int32(1); c <= 5; c++ {
			score, rating := NPSA.Rate(l, c)
			if score != l*c || rating != want[l-1][c-1] {
				t.Errorf("likelihood %d x consequence %d = %d %s, want %d %s", l, c, score, rating, l*c, want[l-1][c-1])
			}
		}
	}
}

func TestCustomBands(t *testing.T) {
	// A trust that uses 4-9 Moderate and 10-14 High.
	m, err := Parse("Low=1-3,Moderate=4-9,High=10-14,Extreme=15-25")
	if err != nil {
		t.Fatal(err)
	}
	for score, want := range map[int32]isms.Rating{3: "Low", 4: "Moderate", 8: "Moderate", 9: "Moderate", 10: "High", 12: "High", 15: "Extreme", 25: "Extreme"} {
		if got := m.Rating(score); got != want {
			t.Errorf("score %d = %s, want %s", score, got, want)
		}
	}
	if got := m.String(); got != "Low=1-3,Moderate=4-9,High=10-14,Extreme=15-25" {
		t.Errorf("String() = %q", got)
	}
	if npsa, err := Parse(NPSA.String()); err != nil || npsa.String() != NPSA.String() {
		t.Errorf("NPSA does not round-trip: %v, %v", npsa, err)
	}
}

func TestInvalidBandsAreRefused(t *testing.T) {
	cases := map[string]struct{ bands, want string }{
		"gap holding a reachable score": {"Low=1-3,Moderate=5-6,High=8-12,Extreme=15-25", "no band rates score 4"},
		"overlap":                       {"Low=1-4,Moderate=4-6,High=8-12,Extreme=15-25", "overlap"},
		"not reaching 25":               {"Low=1-3,Moderate=4-6,High=8-12,Extreme=15-20", "cover scores 1 to 25"},
		"not starting at 1":             {"Low=2-3,Moderate=4-6,High=8-12,Extreme=15-25", "cover scores 1 to 25"},
		"out of order":                  {"Low=1-3,High=4-6,Moderate=8-12,Extreme=15-25", "out of order"},
		"a rating missing":              {"Low=1-6,High=8-12,Extreme=15-25", "one band for each"},
		"a rating twice":                {"Low=1-3,Low=4-6,High=8-12,Extreme=15-25", "out of order"},
		"min above max":                 {"Low=1-3,Moderate=6-4,High=8-12,Extreme=15-25", "above maximum"},
		"unknown rating":                {"Low=1-3,Medium=4-6,High=8-12,Extreme=15-25", "rating must be"},
		"not a range":                   {"Low=1-3,Moderate=4,High=8-12,Extreme=15-25", "want Rating=min-max"},
	}
	for name, tc := range cases {
		if _, err := Parse(tc.bands); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Parse(%q) = %v, want an error about %q", name, tc.bands, err, tc.want)
		}
	}
}

func TestGapsMayHoldOnlyUnreachableScores(t *testing.T) {
	// 7, 11, 13 and 14 are no product of two numbers from 1 to 5, so NPSA's gaps are fine.
	if _, err := Parse("Low=1-3,Moderate=4-6,High=8-12,Extreme=15-25"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []int32{7, 11, 13, 14, 17, 19, 21, 22, 23, 24} {
		if reachable(s) {
			t.Errorf("%d is reachable", s)
		}
	}
}

func TestDescriptors(t *testing.T) {
	if Consequence(1) != "Negligible" || Consequence(5) != "Catastrophic" || Likelihood(1) != "Rare" || Likelihood(5) != "Almost certain" || Likelihood(6) != "" {
		t.Error("descriptors do not match the NHS matrix")
	}
}
