package evidence

import (
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// WorkloadKinds are the kinds whose pod templates can hold an asset, each with an empty
// list to read them into. Pods count only when no controller owns them.
func WorkloadKinds() []client.ObjectList {
	return []client.ObjectList{
		&appsv1.DeploymentList{}, &appsv1.StatefulSetList{}, &appsv1.DaemonSetList{}, &appsv1.ReplicaSetList{},
		&batchv1.JobList{}, &batchv1.CronJobList{}, &corev1.PodList{},
	}
}

// WorkloadObjects are the single-object types of WorkloadKinds, for watches.
func WorkloadObjects() []client.Object {
	return []client.Object{
		&appsv1.Deployment{}, &appsv1.StatefulSet{}, &appsv1.DaemonSet{}, &appsv1.ReplicaSet{},
		&batchv1.Job{}, &batchv1.CronJob{}, &corev1.Pod{},
	}
}

// PodTemplate returns the pod template of a workload object and its kind; false for an
// object that is not a workload, or a ReplicaSet, Job or Pod that a workload controller
// owns (its owner's template is evaluated instead, so 50 replicas are one finding, not
// 50). A ReplicaSet no Deployment owns is a workload like the rest, and a Pod that another
// controller owns (a database operator's, say) is evaluated as it is.
func PodTemplate(obj client.Object) (string, *corev1.PodTemplateSpec, bool) {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return "Deployment", &o.Spec.Template, true
	case *appsv1.StatefulSet:
		return "StatefulSet", &o.Spec.Template, true
	case *appsv1.DaemonSet:
		return "DaemonSet", &o.Spec.Template, true
	case *appsv1.ReplicaSet:
		if controlledBy(o, "Deployment") {
			return "", nil, false
		}
		return "ReplicaSet", &o.Spec.Template, true
	case *batchv1.CronJob:
		return "CronJob", &o.Spec.JobTemplate.Spec.Template, true
	case *batchv1.Job:
		if controlledBy(o, "CronJob") {
			return "", nil, false
		}
		return "Job", &o.Spec.Template, true
	case *corev1.Pod:
		if controlledBy(o, "ReplicaSet", "StatefulSet", "DaemonSet", "Job") {
			return "", nil, false
		}
		return "Pod", &corev1.PodTemplateSpec{ObjectMeta: o.ObjectMeta, Spec: o.Spec}, true
	}
	return "", nil, false
}

// controlledBy reports whether obj's controller is one of the built-in kinds named.
func controlledBy(obj metav1.Object, kinds ...string) bool {
	owner := metav1.GetControllerOf(obj)
	if owner == nil {
		return false
	}
	group, _, _ := strings.Cut(owner.APIVersion, "/")
	return (group == "apps" || group == "batch") && slices.Contains(kinds, owner.Kind)
}
