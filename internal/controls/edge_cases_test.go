package controls

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// TestSpecEdgeCases holds cases a review of the code against controls.md found the code
// getting wrong, each with the rule it follows.
func TestSpecEdgeCases(t *testing.T) {
	cases := []struct {
		name string
		// spec is what controls.md says.
		spec     string
		evidence *Evidence
		check    func(*Evidence) outcome
		want     expect
		// runs is how many times to evaluate, for a result that depends on map order.
		runs int
	}{
		{
			name: "ENC-01: a bound local-path volume of an attested StorageClass passes",
			spec: "Encrypted when the StorageClass carries isms.nhs.uk/encrypted-at-rest: \"true\" (attested); " +
				"local-path is not encrypted unless attested; a bound PVC is judged by its PersistentVolume " +
				"(spec.csi.driver, spec.storageClassName). The same claim passes while unbound.",
			evidence: newEvidence(func(e *Evidence) {
				e.Workloads = []Workload{deployment("epr-api")}
				e.StorageClasses = classMap(attestedLocal)
				e.Claims = []Claim{bound(pvc("data", ptr("local-path-luks")), hostPathVolume("pvc-0b1", "local-path-luks", daysAgo(300)))}
			}),
			check: checkEncryptedVolumes,
			want:  pass("PersistentVolumeClaim/data", "attested"),
		},
		{
			name: "ENC-01: with two default StorageClasses the newest is used, every time",
			spec: "\"else the default StorageClass\": Kubernetes (1.26+) gives a claim the newest default " +
				"class; the result must not depend on map order (style.md 10: stable findings).",
			evidence: newEvidence(func(e *Evidence) {
				e.Workloads = []Workload{deployment("epr-api")}
				e.StorageClasses = classMap(
					storageClass("local-path", "rancher.io/local-path", nil, asDefault, createdAt(daysAgo(700))),
					storageClass("gp3-encrypted", "ebs.csi.aws.com", map[string]string{"encrypted": "true"}, asDefault, createdAt(daysAgo(100))),
				)
				e.Claims = []Claim{pvc("data", nil)}
			}),
			check: checkEncryptedVolumes,
			want:  pass("gp3-encrypted"),
			runs:  50,
		},
		{
			name: "ACC-03: the namespace's default ServiceAccount is not the asset's own",
			spec: "flagged unless one of: the asset's own ServiceAccounts, allowedSubjects, the exempt list; " +
				"ACC-04 says running as default is not having one's own ServiceAccount, and every pod of the " +
				"namespace that names none runs as default",
			evidence: newEvidence(func(e *Evidence) {
				e.Workloads = []Workload{deployment("epr-api", apiWithSecret, podSpec(func(s *corev1.PodSpec) { s.ServiceAccountName = "" }))}
				e.RBAC = RBAC{Roles: roleMap(role("secret-reader", readSecrets)), ClusterRoles: clusterRoleMap(),
					RoleBindings: []rbacv1.RoleBinding{roleBinding("default-secrets", "Role", "secret-reader", serviceAccount(testNamespace, "default"))}}
			}),
			check: checkSecretAccess,
			want:  fail(wantFinding{Resource: "RoleBinding/default-secrets", Words: []string{"default", "epr-db-credentials"}}),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Logf("controls.md: %s", tc.spec)
			for range max(tc.runs, 1) {
				assertOutcome(t, tc.check(tc.evidence), tc.want)
				if t.Failed() {
					return
				}
			}
		})
	}
}
