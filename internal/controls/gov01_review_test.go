package controls

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

func TestCheckReviewed(t *testing.T) {
	const day = 24 * time.Hour
	asset := func(created time.Time, review *isms.AssetReview) *isms.InformationAsset {
		return newAsset(func(a *isms.InformationAsset) {
			a.CreationTimestamp = metav1.NewTime(created)
			a.Spec.Review = review
		})
	}
	reviewed := func(days int) *isms.AssetReview {
		return &isms.AssetReview{LastReviewed: ptr(metav1.NewTime(daysAgo(days)))}
	}
	every := func(interval time.Duration, review *isms.AssetReview) *isms.AssetReview {
		review.Interval = &metav1.Duration{Duration: interval}
		return review
	}
	overdue := wantFinding{Resource: "InformationAsset/" + testAsset}

	cases := []struct {
		name   string
		reason string
		asset  *isms.InformationAsset
		want   expect
		// recheckAt is when the result may change on its own; nil when not asserted.
		recheckAt *time.Time
	}{
		{
			name:      "reviewed within the default interval",
			asset:     asset(daysAgo(800), reviewed(100)),
			want:      pass(),
			recheckAt: ptr(daysAgo(100).Add(365 * day)),
		},
		{
			name:      "the default interval is 365 days: reviewed 364 days ago",
			asset:     asset(daysAgo(800), reviewed(364)),
			want:      pass(),
			recheckAt: ptr(daysAgo(364).Add(365 * day)),
		},
		{
			name:  "the default interval is 365 days: reviewed 366 days ago",
			asset: asset(daysAgo(800), reviewed(366)),
			want:  fail(overdue),
		},
		{
			name:  "overdue",
			asset: asset(daysAgo(800), reviewed(500)),
			want:  fail(overdue),
		},
		{
			name:      "reviewed within a 90-day interval",
			asset:     asset(daysAgo(800), every(90*day, reviewed(80))),
			want:      pass(),
			recheckAt: ptr(daysAgo(80).Add(90 * day)),
		},
		{
			name:  "overdue on a 90-day interval",
			asset: asset(daysAgo(800), every(90*day, reviewed(100))),
			want:  fail(overdue),
		},
		{
			name:      "never reviewed, inside the 30-day grace period",
			asset:     asset(daysAgo(10), nil),
			want:      pass(),
			recheckAt: ptr(daysAgo(10).Add(30 * day)),
		},
		{
			name:      "never reviewed, 29 days old",
			asset:     asset(daysAgo(29), &isms.AssetReview{}),
			want:      pass(),
			recheckAt: ptr(daysAgo(29).Add(30 * day)),
		},
		{
			name:  "never reviewed, after the grace period",
			asset: asset(daysAgo(31), nil),
			want:  fail(overdue),
		},
		{
			name:   "never reviewed, with an interval but after the grace period",
			reason: "the grace period is of the first 30 days, whatever the interval",
			asset:  asset(daysAgo(45), every(90*day, &isms.AssetReview{})),
			want:   fail(overdue),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEvidence(func(e *Evidence) { e.Asset = tc.asset })
			out := checkReviewed(e)
			assertOutcome(t, out, tc.want)
			if tc.recheckAt != nil {
				if diff := cmp.Diff(*tc.recheckAt, out.recheckAt); diff != "" {
					t.Errorf("recheckAt (-want +got):\n%s", diff)
				}
			}
		})
	}
}
