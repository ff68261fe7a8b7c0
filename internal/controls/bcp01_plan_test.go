package controls

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

func TestCheckContinuityPlan(t *testing.T) {
	assetRef := "InformationAsset/" + testAsset
	finding := func(words ...string) wantFinding { return wantFinding{Resource: assetRef, Words: words} }
	evidence := func(ref string, plans ...isms.ContinuityPlan) *Evidence {
		return newEvidence(func(e *Evidence) {
			e.Asset.Spec.Criticality = isms.CriticalityHigh
			if ref != "" {
				continuityPlanRef(ref)(e.Asset)
			}
			e.Plans = plans
		})
	}
	listing := []string{"pas-records", testAsset}

	cases := []struct {
		name     string
		evidence *Evidence
		want     expect
	}{
		{
			name:     "no continuityPlanRef",
			evidence: evidence("", continuityPlan(testPlan, listing)),
			want:     fail(finding("continuityPlanRef")),
		},
		{
			name:     "the plan named does not exist",
			evidence: evidence(testPlan, continuityPlan("pas-continuity", listing)),
			want:     fail(finding(testPlan, "does not exist")),
		},
		{
			name:     "the plan does not list the asset",
			evidence: evidence(testPlan, continuityPlan(testPlan, []string{"pas-records"})),
			want:     fail(finding(testPlan, "does not list")),
		},
		{
			name: "the plan named does not list the asset, another Ready plan does",
			evidence: evidence(testPlan, continuityPlan(testPlan, []string{"pas-records"}),
				continuityPlan("epr-dr", []string{testAsset})),
			want: fail(finding(testPlan, "does not list")),
		},
		{
			name: "the plan is not Ready: the message quotes its Ready message",
			evidence: evidence(testPlan, continuityPlan(testPlan, listing,
				planReady(metav1.ConditionFalse, 2, "BackupsWithinRPO: the newest backup of epr-records is 3h old"))),
			want: fail(finding(testPlan, "not Ready", "BackupsWithinRPO: the newest backup of epr-records is 3h old")),
		},
		{
			name: "the plan's Ready is Unknown",
			evidence: evidence(testPlan, continuityPlan(testPlan, listing,
				planReady(metav1.ConditionUnknown, 2, "waiting for Velero"))),
			want: fail(finding(testPlan, "not Ready", "waiting for Velero")),
		},
		{
			name: "Ready True, but for an older generation: undecided until the plan is evaluated",
			evidence: evidence(testPlan, continuityPlan(testPlan, listing,
				planReady(metav1.ConditionTrue, 1, "the plan is met"))),
			want: undecided(testPlan, "not been evaluated"),
		},
		{
			name: "Ready False for an older generation: not evaluated yet",
			evidence: evidence(testPlan, continuityPlan(testPlan, listing,
				planReady(metav1.ConditionFalse, 1, "Exercised: no exercise"))),
			want: undecided(testPlan, "not been evaluated"),
		},
		{
			name: "no Ready condition: not evaluated yet",
			evidence: evidence(testPlan, continuityPlan(testPlan, listing,
				func(p *isms.ContinuityPlan) { p.Status.Conditions = nil })),
			want: undecided(testPlan, "not been evaluated"),
		},
		{
			name:     "the plan lists the asset and is Ready",
			evidence: evidence(testPlan, continuityPlan("pas-continuity", []string{"pas-records"}), continuityPlan(testPlan, listing)),
			want:     pass(testPlan, "Ready"),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertOutcome(t, checkContinuityPlan(tc.evidence), tc.want)
		})
	}
}
