package evidence

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/isms-operator/isms-operator/internal/controls"
)

// template returns a pod template labelled app=NAME whose one container is named NAME, so
// each case's template is told apart from the others.
func template(name string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: name + ":1"}}},
	}
}

func objectMeta(name string, owners ...metav1.OwnerReference) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "epr", OwnerReferences: owners}
}

func owner(kind, name string, controller bool) metav1.OwnerReference {
	apiVersion := "apps/v1"
	if kind == "CronJob" {
		apiVersion = "batch/v1"
	}
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: types.UID("uid-" + name),
		Controller: &controller}
}

func TestPodTemplate(t *testing.T) {
	barePod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "debug", Namespace: "epr",
			Labels:      map[string]string{"app": "pod", "tier": "db"},
			Annotations: map[string]string{"note": "kept"}},
		Spec: corev1.PodSpec{ServiceAccountName: "epr", Containers: []corev1.Container{{Name: "pod", Image: "pod:1"}}},
	}
	cases := []struct {
		name         string
		obj          client.Object
		wantKind     string
		wantTemplate *corev1.PodTemplateSpec // nil: not a workload of its own
	}{
		{
			name:         "Deployment",
			obj:          &appsv1.Deployment{ObjectMeta: objectMeta("web"), Spec: appsv1.DeploymentSpec{Template: template("deployment")}},
			wantKind:     "Deployment",
			wantTemplate: new(template("deployment")),
		},
		{
			name:         "StatefulSet",
			obj:          &appsv1.StatefulSet{ObjectMeta: objectMeta("db"), Spec: appsv1.StatefulSetSpec{Template: template("statefulset")}},
			wantKind:     "StatefulSet",
			wantTemplate: new(template("statefulset")),
		},
		{
			name:         "DaemonSet",
			obj:          &appsv1.DaemonSet{ObjectMeta: objectMeta("agent"), Spec: appsv1.DaemonSetSpec{Template: template("daemonset")}},
			wantKind:     "DaemonSet",
			wantTemplate: new(template("daemonset")),
		},
		{
			name: "CronJob: its jobTemplate's pod template",
			obj: &batchv1.CronJob{ObjectMeta: objectMeta("backup"), Spec: batchv1.CronJobSpec{
				Schedule: "0 1 * * *",
				JobTemplate: batchv1.JobTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "job-metadata"}},
					Spec:       batchv1.JobSpec{Template: template("cronjob")},
				},
			}},
			wantKind:     "CronJob",
			wantTemplate: new(template("cronjob")),
		},
		{
			name:         "Job that nothing owns",
			obj:          &batchv1.Job{ObjectMeta: objectMeta("migrate"), Spec: batchv1.JobSpec{Template: template("job")}},
			wantKind:     "Job",
			wantTemplate: new(template("job")),
		},
		{
			name: "Job whose owner is not its controller",
			obj: &batchv1.Job{ObjectMeta: objectMeta("migrate", owner("CronJob", "backup", false)),
				Spec: batchv1.JobSpec{Template: template("job")}},
			wantKind:     "Job",
			wantTemplate: new(template("job")),
		},
		{
			name: "Job a CronJob controls",
			obj: &batchv1.Job{ObjectMeta: objectMeta("backup-29000000", owner("CronJob", "backup", true)),
				Spec: batchv1.JobSpec{Template: template("job")}},
		},
		{
			name:     "bare Pod: its metadata and spec",
			obj:      barePod,
			wantKind: "Pod",
			wantTemplate: &corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Name: "debug", Namespace: "epr",
					Labels:      map[string]string{"app": "pod", "tier": "db"},
					Annotations: map[string]string{"note": "kept"}},
				Spec: corev1.PodSpec{ServiceAccountName: "epr", Containers: []corev1.Container{{Name: "pod", Image: "pod:1"}}},
			},
		},
		{
			name: "Pod whose owner is not its controller",
			obj: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "debug", Labels: map[string]string{"app": "pod"},
				OwnerReferences: []metav1.OwnerReference{owner("ReplicaSet", "web-5d8f", false)}}},
			wantKind: "Pod",
			wantTemplate: &corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Name: "debug", Labels: map[string]string{"app": "pod"},
				OwnerReferences: []metav1.OwnerReference{owner("ReplicaSet", "web-5d8f", false)}}},
		},
		{
			name: "Pod a ReplicaSet controls",
			obj: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-5d8f-x2x", Labels: map[string]string{"app": "pod"},
				OwnerReferences: []metav1.OwnerReference{owner("ReplicaSet", "web-5d8f", true)}}},
		},
		{
			name: "Pod a StatefulSet controls",
			obj: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "db-0", Labels: map[string]string{"app": "pod"},
				OwnerReferences: []metav1.OwnerReference{owner("StatefulSet", "db", true)}}},
		},
		{
			name: "Service is not a workload",
			obj: &corev1.Service{ObjectMeta: objectMeta("web"),
				Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "deployment"}}},
		},
		{
			name:         "ReplicaSet no Deployment owns: a workload of its own",
			obj:          &appsv1.ReplicaSet{ObjectMeta: objectMeta("web-5d8f"), Spec: appsv1.ReplicaSetSpec{Template: template("replicaset")}},
			wantKind:     "ReplicaSet",
			wantTemplate: ptrTo(template("replicaset")),
		},
		{
			name: "ReplicaSet a Deployment controls: judged through the Deployment",
			obj: &appsv1.ReplicaSet{ObjectMeta: objectMeta("web-5d8f", owner("Deployment", "web", true)),
				Spec: appsv1.ReplicaSetSpec{Template: template("replicaset")}},
		},
		{
			name:         "ReplicaSet another controller owns: a workload of its own",
			obj:          &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-5d8f", Namespace: "epr", OwnerReferences: []metav1.OwnerReference{{APIVersion: "argoproj.io/v1alpha1", Kind: "Rollout", Name: "web", Controller: ptrTo(true)}}}, Spec: appsv1.ReplicaSetSpec{Template: template("replicaset")}},
			wantKind:     "ReplicaSet",
			wantTemplate: ptrTo(template("replicaset")),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kind, got, ok := PodTemplate(tc.obj)
			if want := tc.wantTemplate != nil; ok != want {
				t.Fatalf("PodTemplate ok = %v, want %v", ok, want)
			}
			if kind != tc.wantKind {
				t.Errorf("PodTemplate kind = %q, want %q", kind, tc.wantKind)
			}
			if diff := cmp.Diff(tc.wantTemplate, got); diff != "" {
				t.Errorf("PodTemplate template (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWorkloadKindsAndObjectsAgree checks that every kind Gather lists has its object type
// for the watches, in the same order, and that PodTemplate knows each of them.
func TestWorkloadKindsAndObjectsAgree(t *testing.T) {
	lists, objects := WorkloadKinds(), WorkloadObjects()
	var listTypes, objectTypes []string
	for _, l := range lists {
		listTypes = append(listTypes, typeName(l))
	}
	for _, o := range objects {
		objectTypes = append(objectTypes, typeName(o)+"List")
		if _, _, ok := PodTemplate(o); !ok {
			t.Errorf("PodTemplate(%T) is not a workload", o)
		}
	}
	want := []string{"DeploymentList", "StatefulSetList", "DaemonSetList", "ReplicaSetList", "JobList", "CronJobList", "PodList"}
	if diff := cmp.Diff(want, listTypes); diff != "" {
		t.Errorf("WorkloadKinds (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, objectTypes); diff != "" {
		t.Errorf("WorkloadObjects (-want +got):\n%s", diff)
	}
	if WorkloadKinds()[0] == lists[0] {
		t.Error("WorkloadKinds returns the same lists twice; each call must return empty lists of its own")
	}
}

func typeName(v any) string { return reflect.TypeOf(v).Elem().Name() }

func TestMadeFrom(t *testing.T) {
	cases := []struct {
		claim, template, statefulSet string
		want                         bool
	}{
		{"data-epr-db-0", "data", "epr-db", true},
		{"data-epr-db-1", "data", "epr-db", true},
		{"data-epr-db-12", "data", "epr-db", true},
		{"wal-epr-db-0", "wal", "epr-db", true},
		{"data-epr-db-x", "data", "epr-db", false},        // non-numeric ordinal
		{"data-epr-db-1a", "data", "epr-db", false},       // ordinal with a suffix
		{"data-epr-db-", "data", "epr-db", false},         // no ordinal
		{"data-epr-db", "data", "epr-db", false},          // no ordinal, no dash
		{"data-epr-db--1", "data", "epr-db", false},       // negative ordinal
		{"data-epr-db-+1", "data", "epr-db", false},       // signed ordinal
		{"data-epr-db-0-1", "data", "epr-db", false},      // another StatefulSet, epr-db-0
		{"data-epr-db-0", "data", "epr", false},           // StatefulSet epr-db's claim is not epr's
		{"data-epr-db-0", "data", "db", false},            // nor db's
		{"data-epr-0", "data", "epr-db", false},           // StatefulSet epr's claim is not epr-db's
		{"data-other-0", "data", "epr-db", false},         // another StatefulSet
		{"wal-epr-db-0", "data", "epr-db", false},         // another template
		{"mydata-epr-db-0", "data", "epr-db", false},      // the template name is a suffix
		{"data-epr-db-backup-0", "data", "epr-db", false}, // another StatefulSet, epr-db-backup
	}
	for _, tc := range cases {
		if got := madeFrom(tc.claim, tc.template, tc.statefulSet); got != tc.want {
			t.Errorf("madeFrom(%q, template %q, StatefulSet %q) = %v, want %v",
				tc.claim, tc.template, tc.statefulSet, got, tc.want)
		}
	}
}

func TestPeerAuthentication(t *testing.T) {
	created := time.Date(2026, time.January, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name string
		json string
		want controls.PeerAuthentication
	}{
		{
			name: "workload policy with port-level modes",
			json: `{"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
				"metadata": {"name": "epr-db", "namespace": "epr", "creationTimestamp": "2026-01-02T03:04:05Z"},
				"spec": {
					"selector": {"matchLabels": {"app": "epr-db", "tier": "db"}},
					"mtls": {"mode": "STRICT"},
					"portLevelMtls": {"8080": {"mode": "PERMISSIVE"}, "5432": {"mode": "DISABLE"}, "http": {"mode": "DISABLE"}}
				}}`,
			want: controls.PeerAuthentication{Namespace: "epr", Name: "epr-db", Created: created,
				Selector:  map[string]string{"app": "epr-db", "tier": "db"},
				Mode:      "STRICT",
				PortModes: map[uint32]string{8080: "PERMISSIVE", 5432: "DISABLE"}},
		},
		{
			name: "namespace-wide policy",
			json: `{"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
				"metadata": {"name": "default", "namespace": "epr", "creationTimestamp": "2026-01-02T03:04:05Z"},
				"spec": {"mtls": {"mode": "PERMISSIVE"}}}`,
			want: controls.PeerAuthentication{Namespace: "epr", Name: "default", Created: created, Mode: "PERMISSIVE"},
		},
		{
			name: "empty spec",
			json: `{"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
				"metadata": {"name": "default", "namespace": "istio-system", "creationTimestamp": "2026-01-02T03:04:05Z"},
				"spec": {}}`,
			want: controls.PeerAuthentication{Namespace: "istio-system", Name: "default", Created: created},
		},
		{
			name: "only non-numeric port keys",
			json: `{"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
				"metadata": {"name": "web", "namespace": "epr", "creationTimestamp": "2026-01-02T03:04:05Z"},
				"spec": {"mtls": {"mode": "STRICT"}, "portLevelMtls": {"http": {"mode": "DISABLE"}, "-1": {"mode": "DISABLE"}}}}`,
			want: controls.PeerAuthentication{Namespace: "epr", Name: "web", Created: created, Mode: "STRICT"},
		},
		{
			name: "port without a mode",
			json: `{"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
				"metadata": {"name": "web", "namespace": "epr", "creationTimestamp": "2026-01-02T03:04:05Z"},
				"spec": {"portLevelMtls": {"9090": {}}}}`,
			want: controls.PeerAuthentication{Namespace: "epr", Name: "web", Created: created,
				PortModes: map[uint32]string{9090: ""}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := &unstructured.Unstructured{}
			if err := u.UnmarshalJSON([]byte(tc.json)); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, peerAuthentication(u)); diff != "" {
				t.Errorf("peerAuthentication (-want +got):\n%s", diff)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }
