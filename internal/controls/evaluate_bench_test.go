package controls

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// BenchmarkEvaluate evaluates the whole catalogue for a realistic asset: ten workloads
// with claims and Secrets, the Services, Ingresses and NetworkPolicies of a busy
// namespace, and a cluster's worth of RBAC. It reports evaluations per second, so a
// regression in the catalogue shows in review:
//
//	go test -run '^$' -bench Evaluate ./internal/controls
func BenchmarkEvaluate(b *testing.B) {
	e := compliantEvidence(func(e *Evidence) {
		base := e.Workloads[0]
		e.Workloads = nil
		for i := range 10 {
			w := base
			w.Name = fmt.Sprintf("epr-api-%d", i)
			w.Template = *base.Template.DeepCopy()
			w.Template.Spec.Containers[0].Env = append(w.Template.Spec.Containers[0].Env, corev1.EnvVar{Name: "DB_PASSWORD",
				ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "epr-db"}, Key: "password"}}})
			e.Workloads = append(e.Workloads, w)
		}
		for i := range 30 {
			name := fmt.Sprintf("other-%d", i)
			e.Services = append(e.Services, corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name}}})
			e.Ingresses = append(e.Ingresses, networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: name}})
			e.NetworkPolicies = append(e.NetworkPolicies, networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name},
				Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}}})
		}
		for i := range 80 {
			name := fmt.Sprintf("cluster-role-%d", i)
			e.RBAC.ClusterRoles[name] = &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name},
				Rules: []rbacv1.PolicyRule{{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "watch"}}}}
			e.RBAC.ClusterRoleBindings = append(e.RBAC.ClusterRoleBindings, rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
				RoleRef:  rbacv1.RoleRef{Kind: "ClusterRole", Name: name},
				Subjects: []rbacv1.Subject{{Kind: rbacv1.GroupKind, Name: "group-" + name}}})
		}
	})
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(e)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evaluations/s")
}

// BenchmarkEvaluateWithBackupHistory evaluates an asset whose namespace has n hourly
// Backups (a Schedule's history) and a Restore test of each of the newest few, with the
// backup controls Required: the cost of a reconcile must not grow with the history, so the
// figures for 0, 100 and 10,000 should stay close.
//
//	go test -run '^$' -bench EvaluateWithBackupHistory ./internal/controls
func BenchmarkEvaluateWithBackupHistory(b *testing.B) {
	for _, n := range []int{0, 100, 10000} {
		b.Run(fmt.Sprintf("backups=%d", n), func(b *testing.B) {
			e := backupEvidence(withAsset(withControls(isms.ControlsSpec{Backup: &isms.BackupControls{
				Recency: isms.LevelRequired, RestoreTest: isms.LevelRequired}})))
			e.Backups.VeleroSchedules = []VeleroSchedule{{Namespace: veleroNamespace, Name: "hourly", Template: VeleroBackupSpec{IncludedNamespaces: []string{testNamespace}}}}
			for i := range n {
				backup := completedBackup(fmt.Sprintf("hourly-%05d", i), hoursAgo(float64(n-i)), includesNamespaces(testNamespace))
				backup.Schedule = "hourly"
				e.Backups.VeleroBackups = append(e.Backups.VeleroBackups, backup)
				if i >= n-5 {
					e.Backups.VeleroRestores = append(e.Backups.VeleroRestores, VeleroRestore{Namespace: veleroNamespace, Name: "test-" + backup.Name,
						Backup: backup.Name, Phase: "Completed", Started: hoursAgo(0.5), Completed: hoursAgo(0.4)})
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				Evaluate(e)
			}
		})
	}
}
