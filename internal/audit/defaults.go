package audit

import (
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/isms-operator/isms-operator/internal/evidence"
)

// applyDefaults sets, on an object read from a manifest, the defaults the API server
// would give it that change what a control judges, so that the audit judges what a
// cluster would store. They are the API server's own (k8s.io/kubernetes
// pkg/apis/core/v1/defaults.go), as far as the controls read them:
//   - SetDefaults_Volume: a volume with no source is an emptyDir;
//   - SetDefaults_Service: a Service with no type is a ClusterIP Service.
func applyDefaults(obj any) {
	if o, ok := obj.(client.Object); ok {
		if _, template, isWorkload := evidence.PodTemplate(o); isWorkload {
			defaultVolumes(template.Spec.Volumes)
		}
	}
	if svc, ok := obj.(*corev1.Service); ok && svc.Spec.Type == "" {
		svc.Spec.Type = corev1.ServiceTypeClusterIP
	}
}

func defaultVolumes(volumes []corev1.Volume) {
	for i := range volumes {
		if volumes[i].VolumeSource == (corev1.VolumeSource{}) {
			volumes[i].EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
	}
}
