package controls

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

const (
	// AnnotationEncryptedAtRest on a StorageClass or PersistentVolume attests that its
	// volumes are encrypted at rest, for storage whose encryption the API cannot show.
	AnnotationEncryptedAtRest = "isms.nhs.uk/encrypted-at-rest"
	// AnnotationDefaultClass marks the default StorageClass.
	AnnotationDefaultClass = "storageclass.kubernetes.io/is-default-class"
)

// Key grades: whose keys encrypt a volume, for trusts that require their own keys.
const (
	gradePlatformKey        = "platform-key"
	gradeCustomerManagedKey = "customer-managed-key"
)

// encryptingDriver says whether volumes of a CSI driver, made with given parameters, are
// encrypted at rest, with which key grade, and what shows it.
type encryptingDriver struct {
	// always: the provider encrypts every volume.
	always bool
	// flag is the parameter that must be "true" when not always.
	flag string
	// customerKey are the parameters that, when set, mean customer-managed keys.
	customerKey []string
	// defaultGrade is the grade without a customer key parameter.
	defaultGrade string
}

// drivers are the CSI drivers whose encryption the API can show (controls.md ENC-01).
var drivers = map[string]encryptingDriver{
	"ebs.csi.aws.com":       {flag: "encrypted", customerKey: []string{"kmsKeyId"}, defaultGrade: gradePlatformKey},
	"rbd.csi.ceph.com":      {flag: "encrypted", customerKey: []string{"encryptionKMSID"}, defaultGrade: gradePlatformKey},
	"driver.longhorn.io":    {flag: "encrypted", defaultGrade: gradeCustomerManagedKey},
	"pd.csi.storage.gke.io": {always: true, customerKey: []string{"disk-encryption-kms-key"}, defaultGrade: gradePlatformKey},
	"disk.csi.azure.com":    {always: true, customerKey: []string{"diskEncryptionSetID"}, defaultGrade: gradePlatformKey},
	"file.csi.azure.com":    {always: true, customerKey: []string{"diskEncryptionSetID"}, defaultGrade: gradePlatformKey},
}

// encrypts reports whether a volume of driver made with params is encrypted, and the grade.
func encrypts(driver string, params map[string]string) (bool, string) {
	d, known := drivers[driver]
	if !known || (!d.always && params[d.flag] != "true") {
		return false, ""
	}
	for _, key := range d.customerKey {
		if params[key] != "" {
			return true, gradeCustomerManagedKey
		}
	}
	return true, d.defaultGrade
}

// checkEncryptedVolumes is ENC-01: every claim the asset's workloads use is encrypted at
// rest. A bound claim is judged by its PersistentVolume, because a class's parameters
// apply only when a volume is made; an unbound claim or a template by its StorageClass.
func checkEncryptedVolumes(e *Evidence) outcome {
	var out outcome
	for _, claim := range e.Claims {
		passed, message := volumeEncryption(e, claim)
		if passed {
			out.passed = append(out.passed, claim.Name+": "+message)
		} else {
			out.findings = append(out.findings, isms.Finding{Resource: claim.Name, Message: message})
		}
	}
	if len(e.Claims) == 0 {
		out.passed = append(out.passed, "the asset's pods use no persistent volume, so nothing of it is stored on disk to encrypt")
	}
	return out
}

// volumeEncryption judges one claim and says why.
func volumeEncryption(e *Evidence, claim Claim) (bool, string) {
	if claim.Spec == nil {
		return false, "the claim does not exist, so the encryption of its volume cannot be established"
	}
	if pv := claim.Volume; pv != nil {
		return persistentVolumeEncryption(e, pv)
	}
	class, message := effectiveClass(e, claim.Spec.StorageClassName)
	if class == nil {
		return false, message
	}
	return classEncryption(class, "volumes it provisions")
}

// effectiveClass returns the StorageClass a claim uses: the one it names, else the default.
func effectiveClass(e *Evidence, name *string) (*storagev1.StorageClass, string) {
	if name == nil {
		// With several default classes, Kubernetes gives a new claim the newest.
		var newest *storagev1.StorageClass
		for _, class := range e.StorageClasses {
			if class.Annotations[AnnotationDefaultClass] != "true" {
				continue
			}
			if newest == nil || class.CreationTimestamp.After(newest.CreationTimestamp.Time) ||
				(class.CreationTimestamp.Equal(&newest.CreationTimestamp) && class.Name < newest.Name) {
				newest = class
			}
		}
		if newest == nil {
			return nil, "the claim names no StorageClass and the cluster has no default StorageClass"
		}
		return newest, ""
	}
	if *name == "" {
		return nil, "the claim opts out of StorageClasses (storageClassName \"\") and is not bound to a volume, so its encryption cannot be established"
	}
	class, found := e.StorageClasses[*name]
	if !found {
		return nil, fmt.Sprintf("StorageClass %q does not exist", *name)
	}
	return class, ""
}

// classEncryption judges a StorageClass: attested by annotation, or shown by its
// provisioner and parameters.
func classEncryption(class *storagev1.StorageClass, what string) (bool, string) {
	if class.Annotations[AnnotationEncryptedAtRest] == "true" {
		return true, fmt.Sprintf("StorageClass %q is attested as encrypting at rest (attested)", class.Name)
	}
	if ok, grade := encrypts(class.Provisioner, class.Parameters); ok {
		return true, fmt.Sprintf("StorageClass %q (%s) encrypts %s, %s (observed)", class.Name, class.Provisioner, what, grade)
	}
	if d, known := drivers[class.Provisioner]; known && !d.always {
		return false, fmt.Sprintf("StorageClass %q (%s) does not set %s: \"true\", so its volumes are not encrypted at rest; use an encrypting StorageClass", class.Name, class.Provisioner, d.flag)
	}
	return false, fmt.Sprintf("StorageClass %q (%s) does not declare encryption at rest; use an encrypting StorageClass, or attest it with the annotation %s: \"true\"", class.Name, class.Provisioner, AnnotationEncryptedAtRest)
}

// persistentVolumeEncryption judges a provisioned volume: attested on the volume, shown by
// its driver and volume attributes, or by the StorageClass it was made from, provided that
// class is not newer than the volume (a recreated class says nothing of old volumes).
func persistentVolumeEncryption(e *Evidence, pv *corev1.PersistentVolume) (bool, string) {
	if pv.Annotations[AnnotationEncryptedAtRest] == "true" {
		return true, fmt.Sprintf("PersistentVolume %q is attested as encrypted at rest (attested)", pv.Name)
	}
	csi := pv.Spec.CSI
	if csi == nil {
		if class, found := e.StorageClasses[pv.Spec.StorageClassName]; found && class.Annotations[AnnotationEncryptedAtRest] == "true" {
			return classEncryption(class, fmt.Sprintf("PersistentVolume %q", pv.Name))
		}
		return false, fmt.Sprintf("PersistentVolume %q is not a CSI volume (e.g. hostPath, local or NFS) and neither it nor its StorageClass is attested as encrypted at rest", pv.Name)
	}
	if ok, grade := encrypts(csi.Driver, csi.VolumeAttributes); ok {
		return true, fmt.Sprintf("PersistentVolume %q (%s) is encrypted, %s (observed)", pv.Name, csi.Driver, grade)
	}
	if pv.Spec.StorageClassName == "" {
		return false, fmt.Sprintf("PersistentVolume %q (%s) has no StorageClass and does not show encryption at rest", pv.Name, csi.Driver)
	}
	class, found := e.StorageClasses[pv.Spec.StorageClassName]
	if !found {
		return false, fmt.Sprintf("PersistentVolume %q was made from StorageClass %q, which no longer exists, so its encryption cannot be established", pv.Name, pv.Spec.StorageClassName)
	}
	if class.CreationTimestamp.After(pv.CreationTimestamp.Time) && class.Annotations[AnnotationEncryptedAtRest] != "true" {
		return false, fmt.Sprintf("StorageClass %q was recreated after PersistentVolume %q was provisioned, so its parameters say nothing of the volume's encryption", class.Name, pv.Name)
	}
	if class.Provisioner != csi.Driver && class.Annotations[AnnotationEncryptedAtRest] != "true" {
		return false, fmt.Sprintf("PersistentVolume %q was provisioned by %s, not by StorageClass %q's provisioner %s", pv.Name, csi.Driver, class.Name, class.Provisioner)
	}
	return classEncryption(class, fmt.Sprintf("PersistentVolume %q", pv.Name))
}
