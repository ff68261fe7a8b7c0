package controls

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// StorageClasses of the ENC-01 cases, one per kind of evidence controls.md names.
var (
	ebsEncrypted = storageClass("gp3-encrypted", "ebs.csi.aws.com", map[string]string{"type": "gp3", "encrypted": "true"})
	ebsKMS       = storageClass("gp3-cmk", "ebs.csi.aws.com", map[string]string{"type": "gp3", "encrypted": "true",
		"kmsKeyId": "arn:aws:kms:eu-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"})
	ebsPlain      = storageClass("gp3", "ebs.csi.aws.com", map[string]string{"type": "gp3"})
	ebsFalse      = storageClass("gp3-unencrypted", "ebs.csi.aws.com", map[string]string{"type": "gp3", "encrypted": "false"})
	gkeBalanced   = storageClass("standard-rwo", "pd.csi.storage.gke.io", map[string]string{"type": "pd-balanced"})
	gkeCMEK       = storageClass("pd-cmek", "pd.csi.storage.gke.io", map[string]string{"type": "pd-ssd", "disk-encryption-kms-key": "projects/trust/locations/europe-west2/keyRings/epr/cryptoKeys/disks"})
	azureDisk     = storageClass("managed-csi", "disk.csi.azure.com", map[string]string{"skuName": "Premium_LRS"})
	azureFile     = storageClass("azurefile-csi", "file.csi.azure.com", map[string]string{"skuName": "Standard_LRS"})
	azureDES      = storageClass("managed-csi-des", "disk.csi.azure.com", map[string]string{"skuName": "Premium_LRS", "diskEncryptionSetID": "/subscriptions/0000/resourceGroups/epr/providers/Microsoft.Compute/diskEncryptionSets/epr-des"})
	cephEncrypted = storageClass("ceph-rbd-encrypted", "rbd.csi.ceph.com", map[string]string{"pool": "epr", "encrypted": "true"})
	cephPlain     = storageClass("ceph-rbd", "rbd.csi.ceph.com", map[string]string{"pool": "epr"})
	longhornCrypt = storageClass("longhorn-crypto", "driver.longhorn.io", map[string]string{"numberOfReplicas": "3", "encrypted": "true"})
	longhornPlain = storageClass("longhorn", "driver.longhorn.io", map[string]string{"numberOfReplicas": "3"})
	localPath     = storageClass("local-path", "rancher.io/local-path", nil)
	nfsClient     = storageClass("nfs-client", "nfs.csi.k8s.io", map[string]string{"server": "nfs.trust.local", "share": "/exports/epr"})
	nameHeuristic = storageClass("encrypted-ssd", "example.com/fast-ssd", map[string]string{"tier": "gold"})
	attestedLocal = storageClass("local-path-luks", "rancher.io/local-path", nil,
		annotate(map[string]string{"isms.nhs.uk/encrypted-at-rest": "true"}))
	attestedYes = storageClass("local-path-yes", "rancher.io/local-path", nil,
		annotate(map[string]string{"isms.nhs.uk/encrypted-at-rest": "yes"}))
)

func TestCheckEncryptedVolumes(t *testing.T) {
	allClasses := classMap(ebsEncrypted, ebsKMS, ebsPlain, ebsFalse, gkeBalanced, gkeCMEK, azureDisk, azureFile,
		azureDES, cephEncrypted, cephPlain, longhornCrypt, longhornPlain, localPath, nfsClient, nameHeuristic,
		attestedLocal, attestedYes)
	withDefault := func(c *storagev1.StorageClass) map[string]*storagev1.StorageClass {
		d := c.DeepCopy()
		asDefault(d)
		m := classMap(localPath, ebsEncrypted, nfsClient)
		m[d.Name] = d
		return m
	}
	claimFailing := func(name string, words ...string) wantFinding {
		return wantFinding{Resource: "PersistentVolumeClaim/" + name, Words: words}
	}
	stsTemplate := func(class *string) Claim {
		return Claim{Name: "StatefulSet/epr-db volumeClaimTemplate data",
			Spec: &corev1.PersistentVolumeClaimSpec{StorageClassName: class}}
	}

	cases := []struct {
		name    string
		reason  string
		classes map[string]*storagev1.StorageClass
		claims  []Claim
		want    expect
	}{
		{
			name:   "no claims",
			reason: "an asset without volumes has nothing to encrypt",
			want:   pass(),
		},
		{
			name:   "EBS with encrypted true is platform-key",
			claims: []Claim{pvc("data", ptr("gp3-encrypted"))},
			want: expect{passed: []string{"PersistentVolumeClaim/data", "gp3-encrypted", "platform-key", "observed"},
				notPassed: []string{"customer-managed-key", "attested"}},
		},
		{
			name:   "EBS with kmsKeyId is customer-managed-key",
			claims: []Claim{pvc("data", ptr("gp3-cmk"))},
			want:   expect{passed: []string{"gp3-cmk", "customer-managed-key"}, notPassed: []string{"platform-key"}},
		},
		{
			name:   "EBS without encrypted fails",
			claims: []Claim{pvc("data", ptr("gp3"))},
			want:   fail(claimFailing("data", `"gp3"`, "encrypted")),
		},
		{
			name:   "EBS with encrypted false fails",
			claims: []Claim{pvc("data", ptr("gp3-unencrypted"))},
			want:   fail(claimFailing("data", "gp3-unencrypted")),
		},
		{
			name:   "GKE persistent disk always encrypts with platform keys",
			claims: []Claim{pvc("data", ptr("standard-rwo"))},
			want:   expect{passed: []string{"standard-rwo", "platform-key"}, notPassed: []string{"customer-managed-key"}},
		},
		{
			name:   "GKE with disk-encryption-kms-key is customer-managed-key",
			claims: []Claim{pvc("data", ptr("pd-cmek"))},
			want:   expect{passed: []string{"pd-cmek", "customer-managed-key"}, notPassed: []string{"platform-key"}},
		},
		{
			name:   "Azure disk always encrypts with platform keys",
			claims: []Claim{pvc("data", ptr("managed-csi"))},
			want:   expect{passed: []string{"managed-csi", "platform-key"}, notPassed: []string{"customer-managed-key"}},
		},
		{
			name:   "Azure file always encrypts",
			claims: []Claim{pvc("data", ptr("azurefile-csi"))},
			want:   pass("azurefile-csi", "platform-key"),
		},
		{
			name:   "Azure disk with diskEncryptionSetID is customer-managed-key",
			claims: []Claim{pvc("data", ptr("managed-csi-des"))},
			want:   expect{passed: []string{"managed-csi-des", "customer-managed-key"}, notPassed: []string{"platform-key"}},
		},
		{
			name:   "Ceph RBD with encrypted true passes",
			claims: []Claim{pvc("data", ptr("ceph-rbd-encrypted"))},
			want:   pass("ceph-rbd-encrypted"),
		},
		{
			name:   "Ceph RBD without encrypted fails",
			claims: []Claim{pvc("data", ptr("ceph-rbd"))},
			want:   fail(claimFailing("data", "ceph-rbd")),
		},
		{
			name:   "Longhorn with encrypted true passes",
			claims: []Claim{pvc("data", ptr("longhorn-crypto"))},
			want:   pass("longhorn-crypto"),
		},
		{
			name:   "Longhorn without encrypted fails",
			claims: []Claim{pvc("data", ptr("longhorn"))},
			want:   fail(claimFailing("data", "longhorn")),
		},
		{
			name:   "local-path is not encrypted",
			claims: []Claim{pvc("data", ptr("local-path"))},
			want:   fail(claimFailing("data", "local-path")),
		},
		{
			name:   "NFS is not encrypted",
			claims: []Claim{pvc("data", ptr("nfs-client"))},
			want:   fail(claimFailing("data", "nfs-client")),
		},
		{
			name:   "a class name that sounds encrypted is not evidence",
			reason: "controls.md: never pass on a StorageClass name heuristic",
			claims: []Claim{pvc("data", ptr("encrypted-ssd"))},
			want:   fail(claimFailing("data", "encrypted-ssd")),
		},
		{
			name:   "attested class passes and says attested",
			claims: []Claim{pvc("data", ptr("local-path-luks"))},
			want:   expect{passed: []string{"local-path-luks", "attested"}, notPassed: []string{"observed"}},
		},
		{
			name:   "attestation other than \"true\" is not an attestation",
			claims: []Claim{pvc("data", ptr("local-path-yes"))},
			want:   fail(claimFailing("data", "local-path-yes")),
		},
		{
			name:    "no storageClassName: the encrypting default class is used",
			classes: withDefault(gkeBalanced),
			claims:  []Claim{pvc("data", nil)},
			want:    pass("standard-rwo"),
		},
		{
			name:    "no storageClassName: the unencrypted default class is used",
			reason:  "the other classes of the cluster (gp3-encrypted among them) do not matter",
			classes: withDefault(ebsPlain),
			claims:  []Claim{pvc("data", nil)},
			want:    fail(claimFailing("data", `"gp3"`)),
		},
		{
			name:    "no storageClassName and no default class",
			classes: classMap(ebsEncrypted, gkeBalanced),
			claims:  []Claim{pvc("data", nil)},
			want:    fail(claimFailing("data", "default")),
		},
		{
			name:    "a default annotation other than \"true\" does not make a default class",
			classes: classMap(storageClass("gp3-maybe", "ebs.csi.aws.com", map[string]string{"encrypted": "true"}, annotate(map[string]string{"storageclass.kubernetes.io/is-default-class": "false"}))),
			claims:  []Claim{pvc("data", nil)},
			want:    fail(claimFailing("data", "default")),
		},
		{
			name:   "the class the claim names does not exist",
			claims: []Claim{pvc("data", ptr("gp2-retired"))},
			want:   fail(claimFailing("data", "gp2-retired", "not exist")),
		},
		{
			name:   "storageClassName \"\" and unbound cannot be established",
			claims: []Claim{pvc("data", ptr(""))},
			want:   fail(claimFailing("data")),
		},
		{
			name:   "a claim that does not exist",
			claims: []Claim{{Name: "PersistentVolumeClaim/epr-archive"}},
			want:   fail(claimFailing("epr-archive", "not exist")),
		},
		{
			name:   "StatefulSet volumeClaimTemplate on local-path fails",
			claims: []Claim{stsTemplate(ptr("local-path"))},
			want:   fail(wantFinding{Resource: "StatefulSet/epr-db volumeClaimTemplate data", Words: []string{"local-path"}}),
		},
		{
			name:   "StatefulSet volumeClaimTemplate on an encrypting class passes",
			claims: []Claim{stsTemplate(ptr("gp3-encrypted"))},
			want:   pass("StatefulSet/epr-db volumeClaimTemplate data", "gp3-encrypted"),
		},
		{
			name:    "StatefulSet volumeClaimTemplate without a class uses the default",
			classes: withDefault(localPath),
			claims:  []Claim{stsTemplate(nil)},
			want:    fail(wantFinding{Resource: "StatefulSet/epr-db volumeClaimTemplate data", Words: []string{"local-path"}}),
		},
		{
			name:   "each claim is judged: only the failing one is a finding",
			claims: []Claim{pvc("data", ptr("gp3-encrypted")), pvc("scratch", ptr("local-path")), pvc("wal", ptr("nfs-client"))},
			want: expect{
				findings: []wantFinding{claimFailing("scratch", "local-path"), claimFailing("wal", "nfs-client")},
				passed:   []string{"PersistentVolumeClaim/data"},
			},
		},

		// Bound claims are judged by their PersistentVolume.
		{
			name:   "bound: the volume's driver always encrypts, though its class is gone",
			claims: []Claim{bound(pvc("data", ptr("standard-rwo-old")), csiVolume("pvc-0a1", "pd.csi.storage.gke.io", "standard-rwo-old", nil, daysAgo(300)))},
			want:   pass("pvc-0a1", "platform-key"),
		},
		{
			name:   "bound: the volume's attributes show EBS encryption",
			claims: []Claim{bound(pvc("data", ptr("gp3")), csiVolume("pvc-0a2", "ebs.csi.aws.com", "gp3", map[string]string{"encrypted": "true"}, daysAgo(300)))},
			want:   pass("pvc-0a2"),
		},
		{
			name:   "bound: the class the volume was made from, older than the volume, encrypts",
			claims: []Claim{bound(pvc("data", ptr("gp3-encrypted")), csiVolume("pvc-0a3", "ebs.csi.aws.com", "gp3-encrypted", nil, daysAgo(300)))},
			want:   pass("pvc-0a3"),
		},
		{
			name:   "bound: an encrypting class recreated after the volume does not turn it green",
			reason: "a class's parameters apply only when a volume is made",
			classes: classMap(storageClass("gp3-encrypted", "ebs.csi.aws.com",
				map[string]string{"type": "gp3", "encrypted": "true"}, createdAt(daysAgo(10)))),
			claims: []Claim{bound(pvc("data", ptr("gp3-encrypted")), csiVolume("pvc-0a4", "ebs.csi.aws.com", "gp3-encrypted", nil, daysAgo(300)))},
			want:   fail(claimFailing("data", "pvc-0a4", "gp3-encrypted")),
		},
		{
			name:   "bound: judged by the volume's class, not the claim's",
			claims: []Claim{bound(pvc("data", ptr("gp3-encrypted")), csiVolume("pvc-0a5", "ebs.csi.aws.com", "gp3", nil, daysAgo(300)))},
			want:   fail(claimFailing("data", `"gp3"`)),
		},
		{
			name:   "bound: the volume's class no longer exists",
			claims: []Claim{bound(pvc("data", ptr("gp2")), csiVolume("pvc-0a6", "ebs.csi.aws.com", "gp2", nil, daysAgo(300)))},
			want:   fail(claimFailing("data", "pvc-0a6", "gp2")),
		},
		{
			name:   "bound: a hostPath volume is not encrypted",
			claims: []Claim{bound(pvc("data", ptr("local-path")), hostPathVolume("pvc-0a7", "local-path", daysAgo(300)))},
			want:   fail(claimFailing("data", "pvc-0a7")),
		},
		{
			name: "bound: an NFS volume is not encrypted",
			claims: []Claim{bound(pvc("data", ptr("")), &corev1.PersistentVolume{
				ObjectMeta: metav1.ObjectMeta{Name: "nfs-epr", CreationTimestamp: metav1.NewTime(daysAgo(300))},
				Spec: corev1.PersistentVolumeSpec{PersistentVolumeSource: corev1.PersistentVolumeSource{
					NFS: &corev1.NFSVolumeSource{Server: "nfs.trust.local", Path: "/exports/epr"}}},
			})},
			want: fail(claimFailing("data", "nfs-epr")),
		},
		{
			name:   "bound: an unencrypted volume is not saved by the claim naming an encrypting class",
			claims: []Claim{bound(pvc("data", ptr("gp3-encrypted")), hostPathVolume("pvc-0a8", "", daysAgo(300)))},
			want:   fail(claimFailing("data", "pvc-0a8")),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			classes := tc.classes
			if classes == nil {
				classes = allClasses
			}
			e := newEvidence(func(e *Evidence) {
				e.Workloads = []Workload{deployment("epr-api")}
				e.StorageClasses = classes
				e.Claims = tc.claims
			})
			assertOutcome(t, checkEncryptedVolumes(e), tc.want)
		})
	}
}
