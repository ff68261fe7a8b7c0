package v1alpha1

// Condition types. Every kind has Ready, the kstatus-friendly summary; the others are
// specific. All have positive polarity (True is good) except where noted.
const (
	// ConditionReady summarises the object: True when the operator has processed its latest
	// generation (the specific conditions say what it found).
	ConditionReady = "Ready"

	// ConditionCompliant (InformationAsset): True when every Required control passes or its
	// failure is covered by an accepted Risk.
	ConditionCompliant = "Compliant"
	// ConditionEncryptedAtRest (InformationAsset): the ENC-01 family.
	ConditionEncryptedAtRest = "EncryptedAtRest"
	// ConditionEncryptedInTransit (InformationAsset): the ENC-02 and ENC-03 family.
	ConditionEncryptedInTransit = "EncryptedInTransit"
	// ConditionBackedUp (InformationAsset): the BAK-01 and BAK-02 family.
	ConditionBackedUp = "BackedUp"
	// ConditionAccessControlled (InformationAsset): the ACC-01 to ACC-04 family.
	ConditionAccessControlled = "AccessControlled"
	// ConditionReviewed (InformationAsset): the GOV-01 family.
	ConditionReviewed = "Reviewed"
	// ConditionContinuityPlanned (InformationAsset): the BCP-01 family.
	ConditionContinuityPlanned = "ContinuityPlanned"

	// ConditionReviewOverdue (Risk, negative polarity): True when the risk's review is overdue.
	ConditionReviewOverdue = "ReviewOverdue"
	// ConditionAcceptanceExpired (Risk, negative polarity): True when a Tolerate decision's
	// acceptance has expired and the risk is open again.
	ConditionAcceptanceExpired = "AcceptanceExpired"
	// ConditionActionsOverdue (Risk, negative polarity): True when an action is past due and not done.
	ConditionActionsOverdue = "ActionsOverdue"
	// ConditionControlFailing (Detected Risk, negative polarity): True while the control the
	// risk records fails at level Required; its transitions open, re-open and resolve the risk.
	ConditionControlFailing = "ControlFailing"
	// ConditionAcceptanceRefused (Risk, negative polarity): True when a Tolerate decision is
	// not honoured: the risk scores above the risk appetite, or admission recorded no acceptor.
	// The risk then stays Open.
	ConditionAcceptanceRefused = "AcceptanceRefused"

	// ConditionStalled (every kind, negative polarity, kstatus): True when the operator cannot
	// make progress without a person: an invalid selector, a Risk name taken by a record the
	// operator does not own, a write the API server refused. The message says what to fix.
	// Absent otherwise.
	ConditionStalled = "Stalled"
	// ConditionReconciling (InformationAsset, negative polarity, kstatus): True while the
	// operator is still recording what it found (a failing Required control whose Risk is not
	// yet in the register). Absent otherwise.
	ConditionReconciling = "Reconciling"

	// ConditionBackupsWithinRPO (ContinuityPlan): every covered asset's newest backup is younger than the RPO.
	ConditionBackupsWithinRPO = "BackupsWithinRPO"
	// ConditionExercised (ContinuityPlan): the plan passed an exercise within its exercise interval.
	ConditionExercised = "Exercised"
	// ConditionDependenciesAvailable (ContinuityPlan): every in-cluster dependency is available.
	ConditionDependenciesAvailable = "DependenciesAvailable"
	// ConditionObjectivesMet (ContinuityPlan): the achieved recovery time is within the RTO.
	ConditionObjectivesMet = "ObjectivesMet"
	// ConditionNotificationDue (SecurityIncident): a reportable incident awaits its report to
	// the ICO, and its deadline has not passed.
	ConditionNotificationDue = "NotificationDue"
	// ConditionNotificationOverdue (SecurityIncident): a reportable incident reached the ICO
	// late, or not at all, 72 hours after the organisation became aware of it.
	ConditionNotificationOverdue = "NotificationOverdue"
	// ConditionContained (SecurityIncident): every containment action is done.
	ConditionContained = "Contained"
	// ConditionClosed (SecurityIncident): the incident is closed.
	ConditionClosed = "Closed"
	// ConditionForeseen (SecurityIncident): the register held a Risk of a failing control of
	// the incident's assets when it was detected.
	ConditionForeseen = "Foreseen"
)

// Condition reasons, CamelCase as metav1.Condition requires.
const (
	// ReasonEvaluated: the object was evaluated; see the other conditions for the result.
	ReasonEvaluated = "Evaluated"
	// ReasonEvaluationFailed: the operator could not evaluate the object; the message says why.
	ReasonEvaluationFailed = "EvaluationFailed"
	// ReasonNotEvaluated: the control family is not evaluated (yet); the message says why.
	ReasonNotEvaluated = "NotEvaluated"
	// ReasonNotRequired: every control of the family is NotRequired for this asset.
	ReasonNotRequired = "NotRequired"
	// ReasonControlsPassing: every control that applies passes.
	ReasonControlsPassing = "ControlsPassing"
	// ReasonControlsFailing: at least one Required control fails.
	ReasonControlsFailing = "ControlsFailing"
	// ReasonRecommendedControlsFailing: every Required control passes, a Recommended one fails.
	ReasonRecommendedControlsFailing = "RecommendedControlsFailing"
	// ReasonFailureAccepted: the only failing Required controls are covered by accepted Risks.
	ReasonFailureAccepted = "FailureAccepted"
	// ReasonInvalidSelector: the asset's selector cannot select anything; nothing is evaluated.
	ReasonInvalidSelector = "InvalidSelector"
	// ReasonRiskNameConflict: the name the operator would record a failing control's Risk
	// under is taken by a Risk it does not own.
	ReasonRiskNameConflict = "RiskNameConflict"
	// ReasonWriteRefused: the API server refused a write of the operator's; the message quotes it.
	ReasonWriteRefused = "WriteRefused"
	// ReasonRecordingRisks: a failing Required control's Risk is being raised in the register.
	ReasonRecordingRisks = "RecordingRisks"

	// ReasonDriftDetected: a Required control failed and a Risk was opened.
	ReasonDriftDetected = "DriftDetected"
	// ReasonDriftRecurred: a resolved Risk's control failed again and the Risk was re-opened.
	ReasonDriftRecurred = "DriftRecurred"
	// ReasonDriftCorrected: the control behind a Risk passes again.
	ReasonDriftCorrected = "DriftCorrected"
	// ReasonAssetRemoved: the asset behind a Risk no longer exists.
	ReasonAssetRemoved = "AssetRemoved"
	// ReasonControlNoLongerRequired: the control behind a Risk stopped being Required for
	// the asset (it may still fail, as a Recommended control or not evaluated at all).
	ReasonControlNoLongerRequired = "ControlNoLongerRequired"
	// ReasonControlRequiredAgain: a control that stopped being Required while it failed is
	// Required again and still fails: the same drift, not a recurrence.
	ReasonControlRequiredAgain = "ControlRequiredAgain"
	// ReasonFlapping: several drift transitions folded into one history entry (its count and
	// time span say how many and when), so that flapping cannot push older entries out.
	ReasonFlapping = "Flapping"
	// ReasonAboveAppetite: a Tolerate decision on a risk that scores above the risk appetite.
	ReasonAboveAppetite = "AboveAppetite"
	// ReasonAcceptorNotRecorded: a Tolerate decision with no acceptor recorded by admission.
	ReasonAcceptorNotRecorded = "AcceptorNotRecorded"
	// ReasonNotRegisterRecord: a Detected risk that is not at the name the operator records its
	// asset and control under; the operator records no drift on it.
	ReasonNotRegisterRecord = "NotRegisterRecord"
	// ReasonDeclared: a person wrote the Risk.
	ReasonDeclared = "Declared"
	// ReasonRiskAccepted: a Tolerate decision with an unexpired acceptance is in force.
	ReasonRiskAccepted = "RiskAccepted"
	// ReasonAcceptanceExpired: the acceptance of a tolerated risk expired.
	ReasonAcceptanceExpired = "AcceptanceExpired"
	// ReasonClosed: a person closed the Risk through spec.closure.
	ReasonClosed = "Closed"
	// ReasonReopened: a person removed the closure of a Risk.
	ReasonReopened = "Reopened"
	// ReasonAcceptanceWithdrawn: a tolerated risk's decision changed from Tolerate.
	ReasonAcceptanceWithdrawn = "AcceptanceWithdrawn"
	// ReasonNotApplicable: the condition does not apply in the risk's current state.
	ReasonNotApplicable = "NotApplicable"
	// ReasonReviewDue: the review date has passed.
	ReasonReviewDue = "ReviewDue"
	// ReasonIncidentClosed: a SecurityIncident against the risk's asset closed after the
	// risk's last review, which is therefore due: is its score still right?
	ReasonIncidentClosed = "IncidentClosed"
	// ReasonReviewCurrent: the review date has not passed.
	ReasonReviewCurrent = "ReviewCurrent"
	// ReasonActionsPastDue: an action is past its due date and not done.
	ReasonActionsPastDue = "ActionsPastDue"
	// ReasonActionsOnTrack: no action is past its due date.
	ReasonActionsOnTrack = "ActionsOnTrack"

	// ReasonBackupTooOld: the newest backup is older than the RPO or the maximum age.
	ReasonBackupTooOld = "BackupTooOld"
	// ReasonNoBackupFound: no backup covering the asset was found.
	ReasonNoBackupFound = "NoBackupFound"
	// ReasonBackupCurrent: the newest backup is within the RPO.
	ReasonBackupCurrent = "BackupCurrent"
	// ReasonExerciseCurrent: a passed exercise is within the exercise interval.
	ReasonExerciseCurrent = "ExerciseCurrent"
	// ReasonExerciseOverdue: the last passed exercise is older than the exercise interval, or there is none.
	ReasonExerciseOverdue = "ExerciseOverdue"
	// ReasonDependencyUnavailable: an in-cluster dependency is missing or not available.
	ReasonDependencyUnavailable = "DependencyUnavailable"
	// ReasonDependenciesAvailable: every in-cluster dependency is available.
	ReasonDependenciesAvailable = "DependenciesAvailable"
	// ReasonObjectiveMissed: an exercise achieved a recovery time beyond the RTO.
	ReasonObjectiveMissed = "ObjectiveMissed"
	// ReasonObjectivesMet: the achieved recovery time is within the RTO.
	ReasonObjectivesMet = "ObjectivesMet"
)
