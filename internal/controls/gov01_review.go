package controls

import (
	"fmt"
	"time"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

const (
	// DefaultReviewInterval is how often an asset must be reviewed unless it says otherwise.
	DefaultReviewInterval = 365 * 24 * time.Hour
	// ReviewGracePeriod is how long a new, never reviewed asset has before GOV-01 fails.
	ReviewGracePeriod = 30 * 24 * time.Hour
)

// checkReviewed is GOV-01: the owner reviewed the asset within review.interval. An asset
// never reviewed passes for its first 30 days.
func checkReviewed(e *Evidence) outcome {
	interval := DefaultReviewInterval
	var last *time.Time
	if r := e.Asset.Spec.Review; r != nil {
		if r.Interval != nil {
			interval = r.Interval.Duration
		}
		if r.LastReviewed != nil {
			last = &r.LastReviewed.Time
		}
	}
	ref := "InformationAsset/" + e.Asset.Name
	if last == nil {
		due := e.Asset.CreationTimestamp.Add(ReviewGracePeriod)
		if e.Now.Before(due) {
			return outcome{recheckAt: due, passed: []string{fmt.Sprintf("never reviewed, within the %d-day grace period of a new asset; the first review is due by %s", int(ReviewGracePeriod.Hours()/24), due.UTC().Format(time.DateOnly))}}
		}
		return outcome{findings: []isms.Finding{{Resource: ref,
			Message: fmt.Sprintf("the asset has never been reviewed (first review was due by %s); the owner should review it and set spec.review.lastReviewed", due.UTC().Format(time.DateOnly))}}}
	}
	due := last.Add(interval)
	if e.Now.Before(due) {
		return outcome{recheckAt: due, passed: []string{fmt.Sprintf("reviewed on %s; next review due by %s", last.UTC().Format(time.DateOnly), due.UTC().Format(time.DateOnly))}}
	}
	return outcome{findings: []isms.Finding{{Resource: ref,
		Message: fmt.Sprintf("the last review was on %s and the next was due by %s; the owner should review it and update spec.review.lastReviewed", last.UTC().Format(time.DateOnly), due.UTC().Format(time.DateOnly))}}}
}
