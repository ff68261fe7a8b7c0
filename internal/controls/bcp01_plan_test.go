package controls

import (
	"testing"
	"time"

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
			name: "a new asset waits a minute for its plan to appear (they are usually applied together)",
			evidence: func() *Evidence {
				e := evidence(testPlan, continuityPlan("pas-continuity", listing))
				e.Asset.CreationTimestamp = metav1.NewTime(e.Now.Add(-10 * time.Second))
				return e
			}(),
			want: undecided(testPlan, "waiting for ContinuityPlan"),
		},
		{
			name:     "the plan does not list the asset",
			evidence: evidence(testPlan, continuityPlan(testPlan, []string{"pas-records"})),
			want:     fail(finding(testPlan, "does not list")),
		},
		{
			name: "offline, the plan is not among the manifests: not evaluated",
			evidence: func() *Evidence {
				e := evidence(testPlan)
				e.Offline = true
				return e
			}(),
			want: undecided(testPlan, "not among the manifests"),
		},
		{
			name: "offline, the plan lists the asset: its readiness is only known in a cluster",
			evidence: func() *Evidence {
				e := evidence(testPlan, continuityPlan(testPlan, listing))
				e.Offline = true
				return e
			}(),
			want: undecided(testPlan, "only known in a cluster"),
		},
		{
			name: "offline, the plan does not list the asset: fails as in a cluster",
			evidence: func() *Evidence {
				e := evidence(testPlan, continuityPlan(testPlan, []string{"pas-records"}))
				e.Offline = true
				return e
			}(),
			want: fail(finding(testPlan, "does not list")),
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
			name: "the plan was last evaluated before the asset existed: undecided",
			evidence: evidence(testPlan, continuityPlan(testPlan, listing, func(p *isms.ContinuityPlan) {
				p.Status.Assets[1].State = isms.AssetNotFound // listing[1] is the asset
				planReady(metav1.ConditionFalse, 2, "InformationAsset epr-records does not exist.")(p)
			})),
			want: undecided(testPlan, "not been evaluated with this asset"),
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
