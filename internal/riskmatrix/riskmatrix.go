// Package riskmatrix is the NHS 5x5 risk matrix (the NPSA matrix most trusts use):
// score = consequence x likelihood, rated by bands that trusts may set at install time.
package riskmatrix

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// Band is the range of scores, inclusive, that earn a rating.
type Band struct {
	Rating   isms.Rating
	Min, Max int32
}

// Matrix rates scores by its bands.
type Matrix struct {
	bands []Band
}

// NPSA are the default bands: 1-3 Low, 4-6 Moderate, 8-12 High, 15-25 Extreme (no product
// of two numbers from 1 to 5 is 7, 11, 13 or 14).
var NPSA = Matrix{bands: []Band{
	{isms.RatingLow, 1, 3}, {isms.RatingModerate, 4, 6}, {isms.RatingHigh, 8, 12}, {isms.RatingExtreme, 15, 25},
}}

// ratings in ascending order: bands must rate higher scores no lower.
var ratings = []isms.Rating{isms.RatingLow, isms.RatingModerate, isms.RatingHigh, isms.RatingExtreme}

// New validates bands: one per rating, in ascending order of rating and score, not
// overlapping, and together rating every score the matrix can produce (1 to 25; a gap may
// only hold scores no two numbers from 1 to 5 multiply to).
func New(bands []Band) (Matrix, error) {
	if len(bands) != len(ratings) {
		return Matrix{}, fmt.Errorf("want one band for each of Low, Moderate, High and Extreme, got %d bands", len(bands))
	}
	sorted := slices.Clone(bands)
	slices.SortFunc(sorted, func(a, b Band) int { return int(a.Min - b.Min) })
	for i, b := range sorted {
		if b.Rating != ratings[i] {
			return Matrix{}, fmt.Errorf("band %s (%d-%d) is out of order: bands must rate Low, Moderate, High, Extreme from the lowest scores up", b.Rating, b.Min, b.Max)
		}
		if b.Min > b.Max {
			return Matrix{}, fmt.Errorf("band %s: minimum %d is above maximum %d", b.Rating, b.Min, b.Max)
		}
		if i > 0 {
			prev := sorted[i-1]
			if b.Min <= prev.Max {
				return Matrix{}, fmt.Errorf("bands %s (%d-%d) and %s (%d-%d) overlap", prev.Rating, prev.Min, prev.Max, b.Rating, b.Min, b.Max)
			}
			for score := prev.Max + 1; score < b.Min; score++ {
				if reachable(score) {
					return Matrix{}, fmt.Errorf("no band rates score %d (between %s and %s); bands must be contiguous", score, prev.Rating, b.Rating)
				}
			}
		}
	}
	if sorted[0].Min != 1 || sorted[len(sorted)-1].Max != 25 {
		return Matrix{}, fmt.Errorf("bands must cover scores 1 to 25, they cover %d to %d", sorted[0].Min, sorted[len(sorted)-1].Max)
	}
	return Matrix{bands: sorted}, nil
}

// Parse reads bands written as Rating=min-max, comma-separated, e.g.
// "Low=1-3,Moderate=4-9,High=10-14,Extreme=15-25", and validates them.
func Parse(s string) (Matrix, error) {
	var bands []Band
	for _, item := range strings.Split(s, ",") {
		rating, scores, found := strings.Cut(strings.TrimSpace(item), "=")
		low, high, isRange := strings.Cut(scores, "-")
		minScore, errMin := strconv.ParseInt(low, 10, 32)
		maxScore, errMax := strconv.ParseInt(high, 10, 32)
		if !found || !isRange || errMin != nil || errMax != nil {
			return Matrix{}, fmt.Errorf("band %q: want Rating=min-max, e.g. High=8-12", item)
		}
		if !slices.Contains(ratings, isms.Rating(rating)) {
			return Matrix{}, fmt.Errorf("band %q: rating must be Low, Moderate, High or Extreme", item)
		}
		bands = append(bands, Band{isms.Rating(rating), int32(minScore), int32(maxScore)})
	}
	return New(bands)
}

// String writes the bands in the form Parse reads.
func (m Matrix) String() string {
	var parts []string
	for _, b := range m.bands {
		parts = append(parts, fmt.Sprintf("%s=%d-%d", b.Rating, b.Min, b.Max))
	}
	return strings.Join(parts, ",")
}

// reachable reports whether score is the product of two numbers from 1 to 5.
func reachable(score int32) bool {
	for l := int32(1); l <= 5; l++ {
		if score%l == 0 && score/l <= 5 {
			return true
		}
	}
	return false
}

// Score is likelihood x consequence; both must be 1-5 (the API enforces it).
func Score(likelihood, consequence int32) int32 { return likelihood * consequence }

// Rating returns the rating of a score.
func (m Matrix) Rating(score int32) isms.Rating {
	for _, b := range m.bands {
		if score >= b.Min && score <= b.Max {
			return b.Rating
		}
	}
	return ""
}

// Rate returns the score and rating of a likelihood and consequence.
func (m Matrix) Rate(likelihood, consequence int32) (int32, isms.Rating) {
	score := Score(likelihood, consequence)
	return score, m.Rating(score)
}

// Consequence names a consequence level (1-5) as the NHS matrix does.
func Consequence(c int32) string {
	return describe(c, "Negligible", "Minor", "Moderate", "Major", "Catastrophic")
}

// Likelihood names a likelihood level (1-5) as the NHS matrix does.
func Likelihood(l int32) string {
	return describe(l, "Rare", "Unlikely", "Possible", "Likely", "Almost certain")
}

func describe(level int32, names ...string) string {
	if level < 1 || int(level) > len(names) {
		return ""
	}
	return names[level-1]
}
