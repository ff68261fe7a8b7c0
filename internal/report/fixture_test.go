package report

import (
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
)

// now is when the seeded report is generated.
var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func at(s string) metav1.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return metav1.NewTime(t)
}

func atp(s string) *metav1.Time { t := at(s); return &t }

func dur(s string) *metav1.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return &metav1.Duration{Duration: d}
}

func cond(conditionType string, status metav1.ConditionStatus) metav1.Condition {
	return metav1.Condition{Type: conditionType, Status: status, Reason: "Seeded", Message: conditionType + " is " + string(status) + "."}
}

// families sets every family condition to True, then applies the given statuses.
func familyConditions(compliant metav1.ConditionStatus, overrides map[string]metav1.ConditionStatus) []metav1.Condition {
	conditions := []metav1.Condition{cond(isms.ConditionReady, metav1.ConditionTrue), cond(isms.ConditionCompliant, compliant)}
	for _, family := range []string{isms.ConditionEncryptedAtRest, isms.ConditionEncryptedInTransit, isms.ConditionBackedUp,
		isms.ConditionAccessControlled, isms.ConditionReviewed, isms.ConditionContinuityPlanned} {
		status := metav1.ConditionTrue
		if s, ok := overrides[family]; ok {
			status = s
		}
		conditions = append(conditions, cond(family, status))
	}
	return conditions
}

func finding(control isms.ControlID, level isms.ControlLevel, resource string) isms.Finding {
	return isms.Finding{Control: control, Level: level, Resource: resource, Message: string(control) + " fails on " + resource}
}

var (
	jane  = isms.Person{Name: "Jane Smith", Email: "jane.smith@nhs.net"}
	sam   = isms.Person{Name: "Sam Patel"}
	priya = isms.Person{Name: "Priya Shah", Email: "priya.shah@nhs.net"} // the Data Protection Officer
)

func asset(ns, name string, class isms.Classification, crit isms.Criticality, categories ...isms.DataCategory) isms.InformationAsset {
	return isms.InformationAsset{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: at("2026-01-10T09:00:00Z")},
		Spec: isms.InformationAssetSpec{Owner: jane, Classification: class, Criticality: crit, DataCategories: categories,
			Selector: metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}},
	}
}

// evaluated records in the asset's status.controls the operator's outcome of every
// catalogue control: Fail for those failing, NotEvaluated for those not evaluated and
// those not required, Pass for the rest.
func evaluated(asset *isms.InformationAsset, failing []isms.ControlID, notEvaluated ...isms.ControlID) {
	for _, c := range controls.Catalogue {
		level := c.LevelFor(asset)
		status := isms.OutcomePass
		switch {
		case level == isms.LevelNotRequired || slices.Contains(notEvaluated, c.ID):
			status = isms.OutcomeNotEvaluated
		case slices.Contains(failing, c.ID):
			status = isms.OutcomeFail
		}
		asset.Status.Controls = append(asset.Status.Controls, isms.ControlOutcome{Control: c.ID, Level: level, Status: status})
	}
}

func risk(ns, name string, source isms.RiskSource, assetName string, control isms.ControlID, l, c int32, state isms.RiskState) isms.Risk {
	r := isms.Risk{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: at("2026-10-01T08:00:00Z")},
		Spec: isms.RiskSpec{Title: name + " title", Source: source, Control: control, Owner: jane,
			Likelihood: l, Consequence: c},
		Status: isms.RiskStatus{Score: l * c, State: state},
	}
	if assetName != "" {
		r.Spec.AssetRef = &isms.LocalObjectReference{Name: assetName}
	}
	return r
}

func incident(ns, name, title, detected, aware string, likelihood, severity int32, assets ...string) isms.SecurityIncident {
	i := isms.SecurityIncident{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Generation: 1},
		Spec: isms.SecurityIncidentSpec{Title: title, DetectedAt: at(detected), AwareAt: at(aware), Reporter: sam,
			Affected: []isms.SecurityProperty{isms.PropertyConfidentiality},
			Grading:  isms.IncidentGrading{Likelihood: likelihood, Severity: severity}},
	}
	for _, a := range assets {
		i.Spec.AssetRefs = append(i.Spec.AssetRefs, isms.LocalObjectReference{Name: a})
	}
	return i
}

// graded records the operator's grading of the incident's current spec, with conditions.
func graded(i *isms.SecurityIncident, reportable bool, conditions ...metav1.Condition) {
	deadline := metav1.NewTime(i.Spec.AwareAt.Add(72 * time.Hour))
	i.Status = isms.SecurityIncidentStatus{ObservedGeneration: i.Generation, Reportable: &reportable, NotificationDeadline: &deadline, Conditions: conditions}
}

func incidentCondition(conditionType string, status metav1.ConditionStatus, reason, message string) metav1.Condition {
	return metav1.Condition{Type: conditionType, Status: status, Reason: reason, Message: message}
}

// seededIncidents are the incident register of seeded(), by cluster:
//
// beta/hr/rota-export-misdirected: the staff system's rota export, with patients' names,
// emailed to the wrong trust; reported to the ICO 30 hours after awareness, contained,
// closed in October with lessons learned; GOV-01's Risk stood when it was detected.
//
// alpha/epr/snapshot-on-laptop: open, reportable, aware 4 days before now and not
// reported; the operator last graded it before its deadline, so its status still says
// AwaitingNotification: the report finds it overdue all the same. Not contained.
//
// alpha/epr/letter-wrong-address: open, reportable on the grid, the DPO decided not to
// notify, with a justification; contained.
//
// beta/web/directory-mobile-numbers: open, not graded yet (empty status), within its
// deadline.
//
// beta/hr/payslips-wrong-team: graded not reportable, closed in March 2025: more than 12
// months before now, so in the register but not in the board's counts.
func seededIncidents() (alpha, beta []isms.SecurityIncident) {
	rota := incident("hr", "rota-export-misdirected", "Rota export with patients' names emailed to the wrong trust",
		"2026-09-14T07:30:00Z", "2026-09-14T09:00:00Z", 3, 3, "staff-records")
	rota.Spec.Notifications = &isms.IncidentNotifications{ICO: &isms.RegulatorNotification{Reference: "DSPT-26-0914-0172",
		NotifiedAt: at("2026-09-15T15:00:00Z"), NotifiedBy: priya}}
	rota.Spec.Actions = []isms.IncidentAction{{Kind: isms.ActionContainment, Description: "The other trust confirmed deletion in writing.", Done: true}}
	rota.Spec.LessonsLearned = "The rota export goes only to named recipients in the trust's address book, without patients' names."
	rota.Spec.Closure = &isms.IncidentClosure{ClosedAt: at("2026-10-20T16:00:00Z"), ClosedBy: jane}
	graded(&rota, true,
		incidentCondition(isms.ConditionNotificationOverdue, metav1.ConditionFalse, "Notified", "reported to the ICO within 72 hours of awareness"),
		incidentCondition(isms.ConditionContained, metav1.ConditionTrue, "ContainmentDone", "every containment action is done (1)"),
		incidentCondition(isms.ConditionClosed, metav1.ConditionTrue, "Closed", "closed by Jane Smith at 2026-10-20T16:00:00Z"))
	rota.Status.RisksAtDetection = []isms.IncidentRisk{{Name: "staff-records-gov-01", Asset: "staff-records", Control: isms.ControlReviewed, State: isms.StateOpen}}

	snapshot := incident("epr", "snapshot-on-laptop", "EPR database snapshot copied to a contractor's unencrypted laptop",
		"2026-11-19T10:00:00Z", "2026-11-19T12:00:00Z", 4, 4, "patient-records")
	snapshot.Spec.Actions = []isms.IncidentAction{{Kind: isms.ActionContainment, Description: "Recover the laptop and wipe the copy."}}
	graded(&snapshot, true,
		incidentCondition(isms.ConditionNotificationDue, metav1.ConditionTrue, "AwaitingNotification", "reportable: report it to the ICO by 2026-11-22T12:00:00Z"),
		incidentCondition(isms.ConditionNotificationOverdue, metav1.ConditionFalse, "AwaitingNotification", "the deadline 2026-11-22T12:00:00Z has not passed"),
		incidentCondition(isms.ConditionContained, metav1.ConditionFalse, "ContainmentPending", "1 of 1 containment actions not done"))
	snapshot.Status.RisksAtDetection = []isms.IncidentRisk{{Name: "patient-records-enc-01", Asset: "patient-records", Control: isms.ControlEncryptedVolumes, State: isms.StateOpen}}

	letter := incident("epr", "letter-wrong-address", "Appointment letter sent to a patient's previous address",
		"2026-11-10T09:00:00Z", "2026-11-10T11:00:00Z", 2, 2, "appointments")
	letter.Spec.DecisionNotToNotify = &isms.NotificationDecision{
		Justification: "One letter, returned unopened by the new occupant the next day; it held an appointment time and no clinical detail.",
		DecidedBy:     priya, DecidedAt: at("2026-11-11T10:00:00Z")}
	letter.Spec.Actions = []isms.IncidentAction{{Kind: isms.ActionContainment, Description: "Letter returned unopened.", Done: true}}
	graded(&letter, true,
		incidentCondition(isms.ConditionNotificationOverdue, metav1.ConditionFalse, "DecidedNotToNotify", "Priya Shah decided not to report it"),
		incidentCondition(isms.ConditionContained, metav1.ConditionTrue, "ContainmentDone", "every containment action is done (1)"))

	directory := incident("web", "directory-mobile-numbers", "Staff directory page showed personal mobile numbers",
		"2026-11-23T08:00:00Z", "2026-11-23T09:00:00Z", 2, 2, "public-site")

	payslips := incident("hr", "payslips-wrong-team", "Payslips printed on the shared printer and collected by another team",
		"2025-03-03T09:00:00Z", "2025-03-03T10:00:00Z", 1, 2, "staff-records")
	payslips.Spec.LessonsLearned = "- Payslips print only to the payroll team's secure printer."
	payslips.Spec.Closure = &isms.IncidentClosure{ClosedAt: at("2025-03-20T12:00:00Z"), ClosedBy: jane}
	graded(&payslips, false,
		incidentCondition(isms.ConditionContained, metav1.ConditionUnknown, "NoContainmentRecorded", "no containment action is recorded in spec.actions"))

	return []isms.SecurityIncident{snapshot, letter}, []isms.SecurityIncident{directory, rota, payslips}
}

// seeded is a register of two clusters, listed out of order (the report sorts them):
//
// alpha/epr/patient-records: OFFICIAL-SENSITIVE, PatientIdentifiable, Critical, with a plan.
// Every control Required except ENC-03 (Recommended). ENC-01 fails (Required finding);
// ENC-03 fails (Recommended finding); ACC-02 has only an advisory (Recommended finding
// while Required), so it passes. Everything else passes.
//
// alpha/epr/appointments: OFFICIAL, Medium, no plan; sets ENC-01 (Required by default)
// to NotRequired with a justification and GOV-01 (Required by default) to NotRequired
// without one. BackedUp is Unknown with no finding: BAK-01 and BAK-02 are not evaluated.
// ACC-01 (Required) and ACC-03 (Recommended) fail.
//
// beta/hr/staff-records: OFFICIAL, StaffRecords (not sensitive), High, with a plan.
// ENC-02 fails under an Accepted risk; GOV-01 and BCP-01 fail.
//
// beta/web/public-site: OFFICIAL, Public, Low, never evaluated (no status): every control
// that applies is not evaluated. Sets ENC-01 NotRequired with a justification.
func seeded() *Register {
	patientRecords := asset("epr", "patient-records", isms.ClassificationOfficialSensitive, isms.CriticalityCritical, isms.DataPatientIdentifiable)
	patientRecords.Spec.ContinuityPlanRef = &isms.LocalObjectReference{Name: "epr-continuity"}
	patientRecords.Spec.Review = &isms.AssetReview{LastReviewed: atp("2026-06-01T00:00:00Z")}
	patientRecords.Status = isms.InformationAssetStatus{
		Compliance: "9/10",
		Findings: []isms.Finding{
			finding(isms.ControlEncryptedVolumes, isms.LevelRequired, "PersistentVolumeClaim/data-epr-db-0"),
			finding(isms.ControlMeshMTLS, isms.LevelRecommended, "StatefulSet/epr-db"),
			finding(isms.ControlNetworkIsolation, isms.LevelRecommended, "NetworkPolicy/open-to-namespaces"),
		},
		Conditions: familyConditions(metav1.ConditionFalse, map[string]metav1.ConditionStatus{isms.ConditionEncryptedAtRest: metav1.ConditionFalse}),
	}
	evaluated(&patientRecords, []isms.ControlID{isms.ControlEncryptedVolumes, isms.ControlMeshMTLS})

	appointments := asset("epr", "appointments", isms.ClassificationOfficial, isms.CriticalityMedium)
	appointments.Spec.Controls = &isms.ControlsSpec{
		Encryption:     &isms.EncryptionControls{AtRest: isms.LevelNotRequired},
		Review:         isms.LevelNotRequired,
		Justifications: []isms.ControlJustification{{Control: isms.ControlEncryptedVolumes, Reason: "Holds no volumes: appointments live in the EPR database."}},
	}
	appointments.Status = isms.InformationAssetStatus{
		Compliance: "2/4",
		Findings: []isms.Finding{
			finding(isms.ControlPodSecurity, isms.LevelRequired, "Deployment/appointments"),
			finding(isms.ControlSecretAccess, isms.LevelRecommended, "RoleBinding/epr/devs"),
		},
		Conditions: familyConditions(metav1.ConditionFalse, map[string]metav1.ConditionStatus{
			isms.ConditionBackedUp: metav1.ConditionUnknown, isms.ConditionAccessControlled: metav1.ConditionFalse}),
	}
	evaluated(&appointments, []isms.ControlID{isms.ControlPodSecurity, isms.ControlSecretAccess}, isms.ControlBackupRecent, isms.ControlRestoreTested)

	staffRecords := asset("hr", "staff-records", isms.ClassificationOfficial, isms.CriticalityHigh, isms.DataStaffRecords)
	staffRecords.Spec.Owner = sam
	staffRecords.Spec.ContinuityPlanRef = &isms.LocalObjectReference{Name: "hr-continuity"}
	staffRecords.Status = isms.InformationAssetStatus{
		Compliance: "6/9",
		Findings: []isms.Finding{
			finding(isms.ControlIngressTLS, isms.LevelRequired, "Ingress/hr"),
			finding(isms.ControlReviewed, isms.LevelRequired, "InformationAsset/staff-records"),
			finding(isms.ControlContinuityPlan, isms.LevelRequired, "ContinuityPlan/hr-continuity"),
		},
		Conditions: familyConditions(metav1.ConditionFalse, map[string]metav1.ConditionStatus{
			isms.ConditionEncryptedInTransit: metav1.ConditionFalse, isms.ConditionReviewed: metav1.ConditionFalse,
			isms.ConditionContinuityPlanned: metav1.ConditionFalse}),
	}
	evaluated(&staffRecords, []isms.ControlID{isms.ControlIngressTLS, isms.ControlReviewed, isms.ControlContinuityPlan})

	publicSite := asset("web", "public-site", isms.ClassificationOfficial, isms.CriticalityLow, isms.DataPublic)
	publicSite.Spec.Controls = &isms.ControlsSpec{
		Encryption:     &isms.EncryptionControls{AtRest: isms.LevelNotRequired},
		Justifications: []isms.ControlJustification{{Control: isms.ControlEncryptedVolumes, Reason: "Stateless; serves only public content."}},
	}

	// Risks, in several states and cells.
	enc01 := risk("epr", "patient-records-enc-01", isms.SourceDetected, "patient-records", isms.ControlEncryptedVolumes, 2, 5, isms.StateOpen)
	enc01.Status.Rating = isms.RatingHigh
	enc01.Status.FirstDetected = atp("2026-11-01T10:00:00Z")
	enc01.Status.History = []isms.HistoryEntry{{At: at("2026-11-01T10:00:00Z"), State: isms.StateOpen, Reason: "DriftDetected"}}

	acc01 := risk("epr", "appointments-acc-01", isms.SourceDetected, "appointments", isms.ControlPodSecurity, 3, 3, isms.StateOpen)
	acc01.Status.Rating = isms.RatingHigh
	acc01.Spec.Treatment = &isms.Treatment{Decision: isms.DecisionTreat, Plan: "Set runAsNonRoot."}
	acc01.Spec.Target = &isms.RiskTarget{Likelihood: 1, Consequence: 3}
	acc01.Spec.Review = &isms.RiskReview{Interval: dur("720h"), LastReviewed: atp("2026-11-10T00:00:00Z")}

	// A declared risk whose review is overdue, with a long history and a hostile title.
	supplier := risk("epr", "supplier-outage", isms.SourceDeclared, "patient-records", "", 4, 5, isms.StateOpen)
	supplier.Spec.Title = `EPR supplier outage <script>alert("x")</script>`
	supplier.Status.Rating = isms.RatingExtreme
	supplier.Spec.Review = &isms.RiskReview{LastReviewed: atp("2026-09-01T00:00:00Z")}
	supplier.Status.Conditions = []metav1.Condition{cond(isms.ConditionReviewOverdue, metav1.ConditionTrue)}
	for i, h := range []struct {
		state  isms.RiskState
		reason string
	}{
		{isms.StateOpen, "Declared"}, {isms.StateAccepted, "RiskAccepted"}, {isms.StateOpen, "AcceptanceExpired"},
		{isms.StateAccepted, "RiskAccepted"}, {isms.StateOpen, "AcceptanceWithdrawn"}, {isms.StateClosed, "Closed"}, {isms.StateOpen, "Reopened"},
	} {
		supplier.Status.History = append(supplier.Status.History, isms.HistoryEntry{At: metav1.NewTime(time.Date(2026, 3, 1+i, 9, 0, 0, 0, time.UTC)), State: h.state, Reason: h.reason})
	}

	enc02 := risk("hr", "staff-records-enc-02", isms.SourceDetected, "staff-records", isms.ControlIngressTLS, 4, 4, isms.StateAccepted)
	enc02.Status.Rating = isms.RatingExtreme
	enc02.Spec.Treatment = &isms.Treatment{Decision: isms.DecisionTolerate,
		Acceptance: &isms.Acceptance{Justification: "Internal only until the new ingress lands.", Expires: at("2027-01-31T00:00:00Z")}}

	gov01 := risk("hr", "staff-records-gov-01", isms.SourceDetected, "staff-records", isms.ControlReviewed, 2, 4, isms.StateOpen)
	gov01.Status.Rating = isms.RatingHigh
	gov01.Spec.Owner = sam

	bcp01 := risk("hr", "staff-records-bcp-01", isms.SourceDetected, "staff-records", isms.ControlContinuityPlan, 2, 4, isms.StateOpen)
	bcp01.Status.Rating = isms.RatingHigh

	resolved := risk("hr", "staff-records-acc-01", isms.SourceDetected, "staff-records", isms.ControlPodSecurity, 3, 4, isms.StateResolved)
	resolved.Status.Rating = isms.RatingHigh
	resolved.Status.FirstDetected = atp("2026-11-01T10:00:00Z")
	resolved.Status.History = []isms.HistoryEntry{
		{At: at("2026-11-01T10:00:00Z"), State: isms.StateOpen, Reason: "DriftDetected"},
		{At: at("2026-11-02T11:00:00Z"), State: isms.StateResolved, Reason: "DriftCorrected"},
	}

	// A declared risk in another cluster in the same cell as patient-records-enc-01; the
	// operator has not seen it yet (no score or rating in status).
	payroll := risk("hr", "payroll-export", isms.SourceDeclared, "", "", 2, 5, isms.StateOpen)
	payroll.Status.Score = 0
	payroll.Spec.Treatment = &isms.Treatment{Decision: isms.DecisionTransfer}

	closed := risk("web", "public-site-closed", isms.SourceDeclared, "public-site", "", 5, 5, isms.StateClosed)
	closed.Status.Rating = isms.RatingExtreme

	eprPlan := isms.ContinuityPlan{
		ObjectMeta: metav1.ObjectMeta{Namespace: "epr", Name: "epr-continuity"},
		Spec: isms.ContinuityPlanSpec{Owner: jane, Assets: []isms.LocalObjectReference{{Name: "patient-records"}},
			Objectives: &isms.RecoveryObjectives{RTO: dur("4h"), RPO: dur("1h")}},
		Status: isms.ContinuityPlanStatus{
			LastBackup:      atp("2026-11-23T11:00:00Z"),
			LastExercise:    &isms.ExerciseEvidence{Date: at("2026-09-15T10:00:00Z"), Type: isms.ExerciseTechnicalRestore, Source: "Restore/velero/epr-test"},
			NextExerciseDue: atp("2027-09-15T10:00:00Z"),
			Conditions:      []metav1.Condition{{Type: isms.ConditionReady, Status: metav1.ConditionTrue, Reason: "Ready", Message: "Backups are within the RPO and the plan was exercised."}},
		},
	}
	hrPlan := isms.ContinuityPlan{
		ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: "hr-continuity"},
		Spec: isms.ContinuityPlanSpec{Owner: sam, Assets: []isms.LocalObjectReference{{Name: "staff-records"}, {Name: "payroll"}},
			Objectives: &isms.RecoveryObjectives{RTO: dur("90m"), RPO: dur("24h")}},
		Status: isms.ContinuityPlanStatus{
			LastBackup:      atp("2026-11-20T02:00:00Z"),
			NextExerciseDue: atp("2026-10-01T00:00:00Z"),
			Conditions:      []metav1.Condition{{Type: isms.ConditionReady, Status: metav1.ConditionFalse, Reason: "BackupTooOld", Message: "staff-records: the newest backup is older than the RPO."}},
		},
	}

	alphaIncidents, betaIncidents := seededIncidents()
	return &Register{Clusters: []Cluster{
		{
			Name:            "beta",
			Assets:          []isms.InformationAsset{publicSite, staffRecords},
			Risks:           []isms.Risk{closed, gov01, enc02, resolved, bcp01, payroll},
			Plans:           []isms.ContinuityPlan{hrPlan},
			Incidents:       betaIncidents,
			IncidentsServed: true,
		},
		{
			Name:            "alpha",
			Assets:          []isms.InformationAsset{patientRecords, appointments},
			Risks:           []isms.Risk{supplier, enc01, acc01},
			Plans:           []isms.ContinuityPlan{eprPlan},
			Incidents:       alphaIncidents,
			IncidentsServed: true,
		},
	}}
}
