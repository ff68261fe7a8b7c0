package v1alpha1_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/isms-operator/isms-operator/internal/testenv"
)

// The samples in config/samples, one per kind.
const (
	assetSample = "isms_v1alpha1_informationasset.yaml"
	planSample  = "isms_v1alpha1_continuityplan.yaml"
	riskSample  = "isms_v1alpha1_risk.yaml"
	// incidentSample is a misdirected export of patient data from a staff system.
	incidentSample = "isms_v1alpha1_securityincident.yaml"
)

func samplePath(file string) string {
	return filepath.Join(testenv.RepoRoot(), "config", "samples", file)
}

// loadSample reads a sample manifest into an unstructured object in namespace ns.
func loadSample(t *testing.T, file, ns string) *unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(samplePath(file))
	if err != nil {
		t.Fatal(err)
	}
	data, err = yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(data); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	obj.SetNamespace(ns)
	return obj
}

func TestCRDsAreEstablishedWithNamesAndCategory(t *testing.T) {
	want := map[string][]string{
		"informationassets.isms.nhs.uk": {"ia", "asset"},
		"risks.isms.nhs.uk":             {"risk"},
		"continuityplans.isms.nhs.uk":   {"bcp", "cp"},
		"securityincidents.isms.nhs.uk": {"incident", "incidents"},
	}
	for name, shortNames := range want {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := env.Client.Get(context.Background(), types.NamespacedName{Name: name}, crd); err != nil {
			t.Fatalf("CRD %s: %v", name, err)
		}
		established := false
		for _, c := range crd.Status.Conditions {
			if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
				established = true
			}
		}
		if !established {
			t.Errorf("CRD %s is not Established: %+v", name, crd.Status.Conditions)
		}
		if diff := cmp.Diff(shortNames, crd.Spec.Names.ShortNames); diff != "" {
			t.Errorf("CRD %s short names (-want +got):\n%s", name, diff)
		}
		if diff := cmp.Diff([]string{"isms"}, crd.Spec.Names.Categories); diff != "" {
			t.Errorf("CRD %s categories (-want +got):\n%s", name, diff)
		}
		if crd.Spec.Scope != apiextensionsv1.NamespaceScoped {
			t.Errorf("CRD %s scope = %s, want Namespaced", name, crd.Spec.Scope)
		}
	}
}

func TestSamplesApplyAndReadBackEqual(t *testing.T) {
	ns := env.Namespace(t)
	for _, file := range []string{assetSample, planSample, riskSample, incidentSample} {
		t.Run(file, func(t *testing.T) {
			if out, err := env.Kubectl(nil, "apply", "-n", ns, "-f", samplePath(file)); err != nil {
				t.Fatalf("kubectl apply: %v\n%s", err, out)
			}
			want := loadSample(t, file, ns)
			got := &unstructured.Unstructured{}
			got.SetGroupVersionKind(want.GroupVersionKind())
			if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(want), got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.Object["spec"], got.Object["spec"]); diff != "" {
				t.Errorf("spec read back differs from the sample (-sample +stored):\n%s", diff)
			}
		})
	}
}

// set returns a mutation that sets the field at path (dot-separated) to value.
func set(value any, path string) func(map[string]any) {
	return func(obj map[string]any) {
		if err := unstructured.SetNestedField(obj, value, strings.Split(path, ".")...); err != nil {
			panic(err)
		}
	}
}

// remove returns a mutation that removes the field at path (dot-separated).
func remove(path string) func(map[string]any) {
	return func(obj map[string]any) { unstructured.RemoveNestedField(obj, strings.Split(path, ".")...) }
}

// setInList returns a mutation that sets field of the first item of the list at path.
func setInList(path, field string, value any) func(map[string]any) {
	return func(obj map[string]any) {
		list, _, _ := unstructured.NestedSlice(obj, strings.Split(path, ".")...)
		list[0].(map[string]any)[field] = value
		set(list, path)(obj)
	}
}

// repeat returns n copies of item made distinct by fn.
func repeat(n int, fn func(i int) any) []any {
	items := make([]any, n)
	for i := range items {
		items[i] = fn(i)
	}
	return items
}

func TestBadManifestsAreRefusedNamingTheField(t *testing.T) {
	ns := env.Namespace(t)
	cases := []struct {
		name   string
		sample string
		mutate func(map[string]any)
		field  string // the field the refusal must name
		rule   string // words of the rule the refusal must give
	}{
		{"likelihood 0", riskSample, set(int64(0), "spec.likelihood"),
			"spec.likelihood", "greater than or equal to 1"},
		{"likelihood 6", riskSample, set(int64(6), "spec.likelihood"),
			"spec.likelihood", "less than or equal to 5"},
		{"consequence 0", riskSample, set(int64(0), "spec.consequence"),
			"spec.consequence", "greater than or equal to 1"},
		{"unknown classification", assetSample, set("RESTRICTED", "spec.classification"),
			"spec.classification", `supported values: "OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET"`},
		{"unknown data category", assetSample, set([]any{"Medical"}, "spec.dataCategories"),
			"spec.dataCategories[0]", "Unsupported value"},
		{"duplicate data category", assetSample, set([]any{"Personal", "Personal"}, "spec.dataCategories"),
			"spec.dataCategories[1]", "Duplicate value"},
		{"missing owner", assetSample, remove("spec.owner"),
			"spec.owner", "Required value"},
		{"owner without a name", planSample, remove("spec.owner.name"),
			"spec.owner.name", "Required value"},
		{"owner email malformed", assetSample, set("jane.smith-at-nhs.net", "spec.owner.email"),
			"spec.owner.email", "must be of type email"},
		{"empty selector", assetSample, set(map[string]any{}, "spec.selector"),
			"spec.selector", "selector must not be empty"},
		{"High criticality without continuityPlanRef", assetSample,
			func(o map[string]any) { set("High", "spec.criticality")(o); remove("spec.continuityPlanRef")(o) },
			"spec.continuityPlanRef", "required when criticality is High or Critical"},
		{"negative review interval", assetSample, set("-24h", "spec.review.interval"),
			"spec.review.interval", "must be a positive duration"},
		{"zero backup max age", assetSample, set("0s", "spec.controls.backup.maxAge"),
			"spec.controls.backup.maxAge", "must be a positive duration"},
		{"unknown control level", assetSample, set("Mandatory", "spec.controls.encryption.atRest"),
			"spec.controls.encryption.atRest", `supported values: "Required", "Recommended", "NotRequired"`},
		{"unknown pod security standard", assetSample, set("privileged", "spec.controls.access.podSecurityStandard"),
			"spec.controls.access.podSecurityStandard", "Unsupported value"},
		{"namespace on a Group subject", assetSample, setInList("spec.controls.access.allowedSubjects", "namespace", "epr"),
			"spec.controls.access.allowedSubjects[0].namespace", "only used with kind ServiceAccount"},
		{"too many allowed subjects", assetSample,
			set(repeat(33, func(i int) any { return map[string]any{"kind": "User", "name": fmt.Sprintf("user-%d", i)} }), "spec.controls.access.allowedSubjects"),
			"spec.controls.access.allowedSubjects", "must have at most 32 items"},
		{"justification of an unknown control", assetSample,
			set([]any{map[string]any{"control": "ENC-99", "reason": "n/a"}}, "spec.controls.justifications"),
			"spec.controls.justifications[0].control", "Unsupported value"},
		{"two justifications of one control", assetSample,
			set([]any{map[string]any{"control": "ENC-03", "reason": "a"}, map[string]any{"control": "ENC-03", "reason": "b"}}, "spec.controls.justifications"),
			"spec.controls.justifications[1]", "Duplicate value"},
		{"justification without a reason", assetSample,
			set([]any{map[string]any{"control": "ENC-03", "reason": ""}}, "spec.controls.justifications"),
			"spec.controls.justifications[0].reason", "at least 1 chars long"},
		{"Tolerate without acceptance", riskSample, set("Tolerate", "spec.treatment.decision"),
			"spec.treatment.acceptance", "required when decision is Tolerate"},
		{"acceptance without expiry", riskSample, func(o map[string]any) {
			set("Tolerate", "spec.treatment.decision")(o)
			set(map[string]any{"justification": "Compensating controls in place"}, "spec.treatment.acceptance")(o)
		}, "spec.treatment.acceptance.expires", "Required value"},
		{"acceptance with Treat", riskSample,
			set(map[string]any{"justification": "x", "expires": "2027-03-01T00:00:00Z"}, "spec.treatment.acceptance"),
			"spec.treatment.acceptance", "only valid with decision Tolerate"},
		{"unknown treatment decision", riskSample, set("Ignore", "spec.treatment.decision"),
			"spec.treatment.decision", "Unsupported value"},
		{"Detected risk without assetRef", riskSample, func(o map[string]any) {
			set("Detected", "spec.source")(o)
			set("ENC-01", "spec.control")(o)
			remove("spec.assetRef")(o)
		}, "spec.assetRef", "required when source is Detected"},
		{"Detected risk without control", riskSample, set("Detected", "spec.source"),
			"spec.control", "required when source is Detected"},
		{"unknown control ID", riskSample, set("ENC-99", "spec.control"),
			"spec.control", "Unsupported value"},
		{"action due date unparsable", riskSample, setInList("spec.treatment.actions", "due", "next Tuesday"),
			"spec.treatment.actions[0].due", "date-time"},
		{"negative RTO", planSample, set("-4h", "spec.objectives.rto"),
			"spec.objectives.rto", "must be a positive duration"},
		{"unparsable RPO", planSample, set("one hour", "spec.objectives.rpo"),
			"spec.objectives.rpo", "must be a positive duration"},
		{"RTO beyond MTPD", planSample, set("48h", "spec.objectives.rto"),
			"spec.objectives.rto", "rto must not exceed mtpd"},
		{"exercise result outside its enum", planSample, setInList("spec.exercises.records", "result", "Success"),
			"spec.exercises.records[0].result", `supported values: "Passed", "PartiallyPassed", "Failed"`},
		{"exercise type outside its enum", planSample, setInList("spec.exercises.records", "type", "Drill"),
			"spec.exercises.records[0].type", "Unsupported value"},
		{"dependency with neither ref nor external", planSample, setInList("spec.dependencies", "ref", nil),
			"spec.dependencies[0]", "exactly one of ref"},
		{"plan without assets", planSample, set([]any{}, "spec.assets"),
			"spec.assets", "should have at least 1 items"},
		{"plan covering too many assets", planSample,
			set(repeat(33, func(i int) any { return map[string]any{"name": fmt.Sprintf("asset-%d", i)} }), "spec.assets"),
			"spec.assets", "must have at most 32 items"},
		{"incident aware before it was detected", incidentSample, set("2026-11-22T09:00:00Z", "spec.awareAt"),
			"spec.awareAt", "awareAt must not be before detectedAt"},
		{"incident without an asset", incidentSample, set([]any{}, "spec.assetRefs"),
			"spec.assetRefs", "should have at least 1 items"},
		{"incident asset named twice", incidentSample, set([]any{map[string]any{"name": "staff-records"}, map[string]any{"name": "staff-records"}}, "spec.assetRefs"),
			"spec.assetRefs[1]", "Duplicate value"},
		{"incident without detectedAt", incidentSample, remove("spec.detectedAt"),
			"spec.detectedAt", "Required value"},
		{"grading likelihood 0", incidentSample, set(int64(0), "spec.grading.likelihood"),
			"spec.grading.likelihood", "greater than or equal to 1"},
		{"grading severity 6", incidentSample, set(int64(6), "spec.grading.severity"),
			"spec.grading.severity", "less than or equal to 5"},
		{"unknown affected property", incidentSample, set([]any{"Privacy"}, "spec.affected"),
			"spec.affected[0]", `supported values: "Confidentiality", "Integrity", "Availability"`},
		{"nothing affected", incidentSample, set([]any{}, "spec.affected"),
			"spec.affected", "should have at least 1 items"},
		{"negative data subjects", incidentSample, set(int64(-1), "spec.dataSubjects"),
			"spec.dataSubjects", "greater than or equal to 0"},
		{"action of an unknown kind", incidentSample, setInList("spec.actions", "kind", "Apology"),
			"spec.actions[0].kind", "Unsupported value"},
		{"closed without lessons learned", incidentSample,
			set(map[string]any{"closedAt": "2026-12-15T10:00:00Z", "closedBy": map[string]any{"name": "Jo Bloggs"}}, "spec.closure"),
			"spec.lessonsLearned", "lessonsLearned is required to close an incident"},
		{"decision not to notify without a justification", incidentSample,
			set(map[string]any{"decidedAt": "2026-11-24T10:00:00Z", "decidedBy": map[string]any{"name": "Data Protection Officer"}}, "spec.decisionNotToNotify"),
			"spec.decisionNotToNotify.justification", "Required value"},
		{"decision not to notify with a token justification", incidentSample,
			set(map[string]any{"justification": "low risk", "decidedAt": "2026-11-24T10:00:00Z", "decidedBy": map[string]any{"name": "DPO"}}, "spec.decisionNotToNotify"),
			"spec.decisionNotToNotify.justification", "at least 20 chars long"},
		{"reported to the ICO and decided not reportable", incidentSample, func(o map[string]any) {
			set(map[string]any{"justification": "The data was recovered unread within the hour.", "decidedAt": "2026-11-24T10:00:00Z",
				"decidedBy": map[string]any{"name": "DPO"}}, "spec.decisionNotToNotify")(o)
			set(map[string]any{"ico": map[string]any{"reference": "DSPT-1234", "notifiedAt": "2026-11-24T11:00:00Z",
				"notifiedBy": map[string]any{"name": "DPO"}}}, "spec.notifications")(o)
		}, "spec.decisionNotToNotify", "contradicts notifications.ico"},
		{"reported to the ICO before awareness", incidentSample,
			set(map[string]any{"ico": map[string]any{"reference": "DSPT-1234", "notifiedAt": "2026-11-23T14:29:59Z", "notifiedBy": map[string]any{"name": "DPO"}}}, "spec.notifications"),
			"spec.notifications.ico.notifiedAt", "notifiedAt must not be before awareAt"},
		{"ICO notification without a reference", incidentSample,
			set(map[string]any{"ico": map[string]any{"notifiedAt": "2026-11-24T11:00:00Z", "notifiedBy": map[string]any{"name": "DPO"}}}, "spec.notifications"),
			"spec.notifications.ico.reference", "Required value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := loadSample(t, tc.sample, ns)
			tc.mutate(obj.Object)
			err := env.Client.Create(context.Background(), obj)
			if !apierrors.IsInvalid(err) {
				t.Fatalf("create: got %v, want the API server to refuse it as Invalid", err)
			}
			if !namesField(err, tc.field, tc.rule) {
				t.Errorf("refusal does not name field %q with %q:\n%v", tc.field, tc.rule, err)
			}
			if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(obj), obj.DeepCopy()); !apierrors.IsNotFound(err) {
				t.Errorf("a refused object was stored (get: %v)", err)
			}
		})
	}
}

// namesField reports whether an Invalid error has a cause for field whose message holds rule.
func namesField(err error, field, rule string) bool {
	status, ok := err.(apierrors.APIStatus)
	if !ok || status.Status().Details == nil {
		return false
	}
	for _, cause := range status.Status().Details.Causes {
		if cause.Field == field && strings.Contains(cause.Message, rule) {
			return true
		}
	}
	return false
}

func TestRiskSourceIsImmutable(t *testing.T) {
	ns := env.Namespace(t)
	risk := loadSample(t, riskSample, ns)
	if err := env.Client.Create(context.Background(), risk); err != nil {
		t.Fatal(err)
	}
	set("Detected", "spec.source")(risk.Object)
	set("ENC-01", "spec.control")(risk.Object)
	err := env.Client.Update(context.Background(), risk)
	if !apierrors.IsInvalid(err) || !namesField(err, "spec.source", "source is immutable") {
		t.Fatalf("update of spec.source: got %v, want it refused naming spec.source", err)
	}
}

func TestUnknownFieldIsRefusedByKubectl(t *testing.T) {
	ns := env.Namespace(t)
	data, err := os.ReadFile(samplePath(assetSample))
	if err != nil {
		t.Fatal(err)
	}
	typo := strings.Replace(string(data), "    encryption:\n", "    encyption:\n", 1)
	if typo == string(data) {
		t.Fatal("the sample no longer has spec.controls.encryption to misspell")
	}
	out, err := env.Kubectl(strings.NewReader(typo), "apply", "-n", ns, "-f", "-")
	if err == nil || !strings.Contains(err.Error(), `unknown field "spec.controls.encyption"`) {
		t.Fatalf("kubectl apply with a misspelt field: got %v (%s), want it refused naming the field", err, out)
	}
}

// TestIncidentAwarenessMovesOnlyEarlier: correcting awareAt to an earlier time is taken, a
// later one, which would move the 72-hour deadline, is refused naming the field.
func TestIncidentAwarenessMovesOnlyEarlier(t *testing.T) {
	ns := env.Namespace(t)
	incident := loadSample(t, incidentSample, ns)
	if err := env.Client.Create(context.Background(), incident); err != nil {
		t.Fatal(err)
	}
	set("2026-11-23T14:00:00Z", "spec.awareAt")(incident.Object)
	if err := env.Client.Update(context.Background(), incident); err != nil {
		t.Fatalf("correcting awareAt to an earlier time: %v", err)
	}
	set("2026-11-24T14:00:00Z", "spec.awareAt")(incident.Object)
	err := env.Client.Update(context.Background(), incident)
	if !apierrors.IsInvalid(err) || !namesField(err, "spec.awareAt", "awareAt may only be corrected to an earlier time") {
		t.Fatalf("moving awareAt later: got %v, want it refused naming spec.awareAt", err)
	}
}
