package controls

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// restrictedPod makes a pod template meet the restricted Pod Security Standard.
func restrictedPod(t *corev1.PodTemplateSpec) {
	t.Spec.SecurityContext = &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr(true),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	for i := range t.Spec.Containers {
		t.Spec.Containers[i].SecurityContext = &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		}
	}
}

func privilegedContainer(t *corev1.PodTemplateSpec) {
	t.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr(true)}
}

func TestCheckPodSecurity(t *testing.T) {
	sensitive := newAsset()
	officialAsset := newAsset(official)
	standard := func(s isms.PodSecurityStandard, base *isms.InformationAsset) *isms.InformationAsset {
		a := base.DeepCopy()
		a.Spec.Controls = &isms.ControlsSpec{Access: &isms.AccessControls{PodSecurityStandard: s}}
		return a
	}
	apiFailing := func(words ...string) wantFinding { return wantFinding{Resource: "Deployment/epr-api", Words: words} }
	privilegedReason := `privileged (container "app" must not set securityContext.privileged=true)`

	cases := []struct {
		name      string
		reason    string
		asset     *isms.InformationAsset
		workloads []Workload
		want      expect
	}{
		{
			name:      "restricted-compliant template at restricted",
			asset:     sensitive,
			workloads: []Workload{deployment("epr-api", restrictedPod)},
			want:      pass("Deployment/epr-api", "restricted"),
		},
		{
			name:      "baseline-only template fails restricted, quoting the reasons",
			reason:    "a sensitive asset's pods must meet restricted by default",
			asset:     sensitive,
			workloads: []Workload{deployment("epr-api")},
			want:      fail(apiFailing("restricted", "allowPrivilegeEscalation != false", "runAsNonRoot != true", "seccompProfile")),
		},
		{
			name:      "baseline-only template passes when the asset asks for baseline",
			asset:     standard(isms.PodSecurityBaseline, sensitive),
			workloads: []Workload{deployment("epr-api")},
			want:      pass("Deployment/epr-api", "baseline"),
		},
		{
			name:      "baseline-only template passes baseline, the default of an OFFICIAL asset",
			asset:     officialAsset,
			workloads: []Workload{deployment("epr-api")},
			want:      pass("Deployment/epr-api", "baseline"),
		},
		{
			name:      "an OFFICIAL asset that asks for restricted",
			asset:     standard(isms.PodSecurityRestricted, officialAsset),
			workloads: []Workload{deployment("epr-api")},
			want:      fail(apiFailing("restricted")),
		},
		{
			name:      "privileged container fails baseline, quoting the Pod Security reason",
			asset:     officialAsset,
			workloads: []Workload{deployment("epr-api", privilegedContainer)},
			want:      fail(apiFailing("baseline", privilegedReason)),
		},
		{
			name:      "privileged container fails restricted too",
			asset:     sensitive,
			workloads: []Workload{deployment("epr-api", restrictedPod, privilegedContainer)},
			want:      fail(apiFailing(privilegedReason)),
		},
		{
			name:   "privileged init container fails baseline",
			asset:  officialAsset,
			reason: "every kind of container is checked",
			workloads: []Workload{deployment("epr-api", podSpec(func(s *corev1.PodSpec) {
				s.InitContainers = []corev1.Container{{Name: "migrate", Image: "epr-migrate:1",
					SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)}}}
			}))},
			want: fail(apiFailing("privileged", `"migrate"`)),
		},
		{
			name:      "host network fails baseline",
			asset:     officialAsset,
			workloads: []Workload{deployment("epr-api", podSpec(func(s *corev1.PodSpec) { s.HostNetwork = true }))},
			want:      fail(apiFailing("host namespaces", "hostNetwork=true")),
		},
		{
			name:  "hostPath volume fails baseline",
			asset: officialAsset,
			workloads: []Workload{deployment("epr-api", podSpec(func(s *corev1.PodSpec) {
				s.Volumes = []corev1.Volume{{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/run"}}}}
			}))},
			want: fail(apiFailing("hostPath", `"host"`)),
		},
		{
			name:  "each workload is judged: only the failing one is a finding",
			asset: sensitive,
			workloads: []Workload{
				deployment("epr-api", restrictedPod),
				workload("CronJob", "epr-export"),
				workload("StatefulSet", "epr-db", restrictedPod),
			},
			want: expect{
				findings: []wantFinding{{Resource: "CronJob/epr-export", Words: []string{"restricted"}}},
				passed:   []string{"Deployment/epr-api", "StatefulSet/epr-db"},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEvidence(func(e *Evidence) {
				e.Asset = tc.asset
				e.Workloads = tc.workloads
			})
			assertOutcome(t, checkPodSecurity(e), tc.want)
		})
	}
}
