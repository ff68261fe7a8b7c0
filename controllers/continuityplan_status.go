package controllers

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
)

// DefaultExerciseInterval is how often a plan must pass an exercise unless it says otherwise.
const DefaultExerciseInterval = 365 * 24 * time.Hour

// coveredAsset is what a plan's reconcile found of one asset it covers.
type coveredAsset struct {
	name string
	// evidence is nil when the asset does not exist.
	evidence *controls.Evidence
}

// planInputs is everything a plan's status is computed from.
type planInputs struct {
	plan         *isms.ContinuityPlan
	now          time.Time
	assets       []coveredAsset
	dependencies []isms.DependencyStatus
}

// planStatus computes a ContinuityPlan's status, and the next time it changes with nothing
// else changing (a backup growing older than the RPO, an exercise falling due). It starts
// from the current conditions so their transition times stay when nothing changed.
func planStatus(in planInputs) (isms.ContinuityPlanStatus, time.Time) {
	plan := in.plan
	st := isms.ContinuityPlanStatus{
		ObservedGeneration: plan.Generation,
		Dependencies:       in.dependencies,
		Conditions:         append([]metav1.Condition(nil), plan.Status.Conditions...),
	}
	var recheck time.Time
	consider := func(t time.Time) {
		if t.After(in.now) && (recheck.IsZero() || t.Before(recheck)) {
			recheck = t
		}
	}
	set := func(c metav1.Condition) {
		c.ObservedGeneration = plan.Generation
		meta.SetStatusCondition(&st.Conditions, c)
	}

	backups := backupsCondition(in, &st, consider)
	set(backups)
	exercised := exercisedCondition(in, &st, consider)
	set(exercised)
	dependencies := dependenciesCondition(in.dependencies)
	set(dependencies)
	objectives := objectivesCondition(in)
	set(objectives)

	var notReady []string
	for _, c := range []metav1.Condition{backups, exercised, dependencies} {
		if c.Status != metav1.ConditionTrue {
			notReady = append(notReady, c.Type+": "+c.Message)
		}
	}
	if objectives.Status == metav1.ConditionFalse {
		notReady = append(notReady, objectives.Type+": "+objectives.Message)
	}
	if len(notReady) == 0 {
		set(metav1.Condition{Type: isms.ConditionReady, Status: metav1.ConditionTrue, Reason: isms.ReasonEvaluated,
			Message: "Backups are within the RPO, the plan was exercised, and its dependencies are available."})
	} else {
		set(metav1.Condition{Type: isms.ConditionReady, Status: metav1.ConditionFalse, Reason: isms.ReasonEvaluated,
			Message: strings.Join(notReady, " ")})
	}
	return st, recheck
}

// backupsCondition: every covered asset's newest backup is younger than the RPO (or, with
// no RPO, than the asset's maximum backup age). It fills the per-asset status.
func backupsCondition(in planInputs, st *isms.ContinuityPlanStatus, consider func(time.Time)) metav1.Condition {
	var problems []string
	var oldest *metav1.Time
	allBacked := true
	for _, a := range in.assets {
		entry := isms.AssetContinuityStatus{Name: a.name, State: isms.AssetNotFound}
		if a.evidence == nil {
			problems = append(problems, fmt.Sprintf("InformationAsset %s does not exist.", a.name))
			allBacked = false
			st.Assets = append(st.Assets, entry)
			continue
		}
		limit, limitSource := controls.MaxBackupAge(a.evidence)
		if o := in.plan.Spec.Objectives; o != nil && o.RPO != nil {
			limit, limitSource = o.RPO.Duration, "the RPO "+controls.FormatDuration(o.RPO.Duration)
		}
		newest, found, notes := controls.NewestBackup(a.evidence)
		entry.State = isms.AssetNoBackup
		if !found {
			problem := fmt.Sprintf("%s has no complete backup", a.name)
			if len(notes) > 0 {
				problem += " (" + strings.Join(notes, "; ") + ")"
			}
			problems = append(problems, problem+".")
			allBacked = false
			st.Assets = append(st.Assets, entry)
			continue
		}
		at := metav1.NewTime(newest.Time)
		due := metav1.NewTime(newest.Time.Add(limit))
		entry.LastBackup = &isms.BackupEvidence{Time: at, Source: newest.Source}
		entry.BackupDue = &due
		if oldest == nil || at.Before(oldest) {
			oldest = &at
		}
		entry.State = isms.AssetWithinRPO
		if !in.now.Before(due.Time) {
			entry.State = isms.AssetBackupTooOld
			problems = append(problems, fmt.Sprintf("%s's newest backup, %s at %s, is older than %s.", a.name, newest.Source, newest.Time.UTC().Format(time.RFC3339), limitSource))
		} else {
			consider(due.Time)
		}
		st.Assets = append(st.Assets, entry)
	}
	if allBacked {
		st.LastBackup = oldest
	}
	if len(problems) > 0 {
		reason := isms.ReasonBackupTooOld
		if !allBacked {
			reason = isms.ReasonNoBackupFound
		}
		return metav1.Condition{Type: isms.ConditionBackupsWithinRPO, Status: metav1.ConditionFalse, Reason: reason, Message: strings.Join(problems, " ")}
	}
	return metav1.Condition{Type: isms.ConditionBackupsWithinRPO, Status: metav1.ConditionTrue, Reason: isms.ReasonBackupCurrent,
		Message: "Every covered asset's newest backup is within the recovery point objective."}
}

// exercise is a passed test of the plan.
type exercise struct {
	evidence isms.ExerciseEvidence
	// achieved is the recovery time it measured (zero when unknown); achievedRPO likewise.
	achieved, achievedRPO time.Duration
}

// exercises returns the plan's passed exercises: its Passed records, and Velero Restores
// without errors of backups that covered its assets.
func exercises(in planInputs) []exercise {
	var all []exercise
	if x := in.plan.Spec.Exercises; x != nil {
		for i, r := range x.Records {
			if r.Result != isms.ResultPassed {
				continue
			}
			e := exercise{evidence: isms.ExerciseEvidence{Date: r.Date, Type: r.Type, Source: fmt.Sprintf("record %d", i), AchievedRTO: r.AchievedRTO}}
			if r.AchievedRTO != nil {
				e.achieved = r.AchievedRTO.Duration
			}
			if r.AchievedRPO != nil {
				e.achievedRPO = r.AchievedRPO.Duration
			}
			all = append(all, e)
		}
	}
	for _, a := range in.assets {
		if a.evidence == nil {
			continue
		}
		if r, ok := controls.NewestVeleroRestore(a.evidence); ok {
			e := exercise{evidence: isms.ExerciseEvidence{Date: metav1.NewTime(r.Time), Type: isms.ExerciseTechnicalRestore, Source: r.Source}, achieved: r.Duration}
			if r.Duration > 0 {
				e.evidence.AchievedRTO = &metav1.Duration{Duration: r.Duration}
			}
			all = append(all, e)
		}
	}
	return all
}

// newest returns the newest exercise that satisfies keep.
func newest(all []exercise, keep func(exercise) bool) (exercise, bool) {
	var best exercise
	found := false
	for _, e := range all {
		if keep(e) && (!found || e.evidence.Date.After(best.evidence.Date.Time)) {
			best, found = e, true
		}
	}
	return best, found
}

// exercisedCondition: the plan passed an exercise within its exercise interval.
func exercisedCondition(in planInputs, st *isms.ContinuityPlanStatus, consider func(time.Time)) metav1.Condition {
	interval := DefaultExerciseInterval
	if x := in.plan.Spec.Exercises; x != nil && x.Interval != nil {
		interval = x.Interval.Duration
	}
	last, found := newest(exercises(in), func(exercise) bool { return true })
	if !found {
		return metav1.Condition{Type: isms.ConditionExercised, Status: metav1.ConditionFalse, Reason: isms.ReasonExerciseOverdue,
			Message: "The plan has no passed exercise: record one in spec.exercises.records, or test a Velero restore of its assets."}
	}
	st.LastExercise = &last.evidence
	due := metav1.NewTime(last.evidence.Date.Add(interval))
	st.NextExerciseDue = &due
	if !in.now.Before(due.Time) {
		return metav1.Condition{Type: isms.ConditionExercised, Status: metav1.ConditionFalse, Reason: isms.ReasonExerciseOverdue,
			Message: fmt.Sprintf("The last passed exercise (%s, %s) is older than the exercise interval %s; an exercise was due by %s.",
				last.evidence.Source, last.evidence.Date.UTC().Format(time.DateOnly), interval, due.UTC().Format(time.DateOnly))}
	}
	consider(due.Time)
	return metav1.Condition{Type: isms.ConditionExercised, Status: metav1.ConditionTrue, Reason: isms.ReasonExerciseCurrent,
		Message: fmt.Sprintf("Passed %s exercise on %s (%s); the next is due by %s.", last.evidence.Type,
			last.evidence.Date.UTC().Format(time.DateOnly), last.evidence.Source, due.UTC().Format(time.DateOnly))}
}

func dependenciesCondition(deps []isms.DependencyStatus) metav1.Condition {
	var down []string
	for _, d := range deps {
		if d.Availability != isms.DependencyAvailable && d.Availability != isms.DependencyExternal {
			down = append(down, fmt.Sprintf("%s (%s: %s)", d.Name, d.Availability, d.Message))
		}
	}
	if len(down) > 0 {
		return metav1.Condition{Type: isms.ConditionDependenciesAvailable, Status: metav1.ConditionFalse, Reason: isms.ReasonDependencyUnavailable,
			Message: "Not available: " + strings.Join(down, "; ") + ". Use the fallbacks the plan names."}
	}
	return metav1.Condition{Type: isms.ConditionDependenciesAvailable, Status: metav1.ConditionTrue, Reason: isms.ReasonDependenciesAvailable,
		Message: "Every in-cluster dependency is available."}
}

// objectivesCondition: the newest exercise that measured a recovery achieved the RTO (and
// the RPO, when it measured that too).
func objectivesCondition(in planInputs) metav1.Condition {
	c := metav1.Condition{Type: isms.ConditionObjectivesMet}
	o := in.plan.Spec.Objectives
	if o == nil || o.RTO == nil {
		c.Status, c.Reason, c.Message = metav1.ConditionUnknown, isms.ReasonNotEvaluated, "The plan sets no RTO to measure against."
		return c
	}
	measured, found := newest(exercises(in), func(e exercise) bool { return e.achieved > 0 })
	switch {
	case !found:
		c.Status, c.Reason, c.Message = metav1.ConditionUnknown, isms.ReasonNotEvaluated, "No passed exercise has measured a recovery time yet."
	case measured.achieved > o.RTO.Duration:
		c.Status, c.Reason = metav1.ConditionFalse, isms.ReasonObjectiveMissed
		c.Message = fmt.Sprintf("The last measured recovery (%s) took %s, beyond the RTO %s.", measured.evidence.Source, controls.FormatDuration(measured.achieved), controls.FormatDuration(o.RTO.Duration))
	case o.RPO != nil && measured.achievedRPO > o.RPO.Duration:
		c.Status, c.Reason = metav1.ConditionFalse, isms.ReasonObjectiveMissed
		c.Message = fmt.Sprintf("The last measured recovery (%s) lost %s of data, beyond the RPO %s.", measured.evidence.Source, controls.FormatDuration(measured.achievedRPO), controls.FormatDuration(o.RPO.Duration))
	default:
		c.Status, c.Reason = metav1.ConditionTrue, isms.ReasonObjectivesMet
		c.Message = fmt.Sprintf("The last measured recovery (%s) took %s, within the RTO %s.", measured.evidence.Source, controls.FormatDuration(measured.achieved), controls.FormatDuration(o.RTO.Duration))
	}
	return c
}
