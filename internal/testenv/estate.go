package testenv

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// DriftingAsset creates, in ns, an asset whose only workload runs privileged (ACC-01
// fails), and returns both. The asset is OFFICIAL and of Low criticality, so ACC-01 is its
// only Required control that fails, and its Risk is staff-records-acc-01.
func (e *Env) DriftingAsset(t testing.TB, ns string) (*isms.InformationAsset, *appsv1.Deployment) {
	t.Helper()
	labels := map[string]string{"app": "staff-db"}
	workload := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "staff-db"},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "db", Image: "postgres:17",
					SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}}}}}
	asset := &isms.InformationAsset{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "staff-records"},
		Spec: isms.InformationAssetSpec{Owner: isms.Person{Name: "Sam Patel"}, Classification: isms.ClassificationOfficial,
			Criticality: isms.CriticalityLow, Selector: metav1.LabelSelector{MatchLabels: labels}}}
	for _, obj := range []client.Object{workload, asset} {
		if err := e.Client.Create(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
	}
	return asset, workload
}

// SetPrivileged makes the workload DriftingAsset created run privileged (the drift) or
// not (its fix).
func (e *Env) SetPrivileged(t testing.TB, workload *appsv1.Deployment, on bool) {
	t.Helper()
	if err := e.Client.Get(context.Background(), client.ObjectKeyFromObject(workload), workload); err != nil {
		t.Fatal(err)
	}
	workload.Spec.Template.Spec.Containers[0].SecurityContext.Privileged = ptr.To(on)
	if err := e.Client.Update(context.Background(), workload); err != nil {
		t.Fatal(err)
	}
}
