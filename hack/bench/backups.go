package main

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// veleroNamespace is where the estate's Velero objects live, as Velero's own do.
const veleroNamespace = "velero"

// veleroObjects returns the estate's Velero objects when it has backups: the default
// storage location, a Schedule per namespace, the Backups spread over the namespaces as a
// Schedule keeping a history makes them (the newest of each namespace an hour old, the
// rest an hour apart before it), and a tested Restore per namespace. Velero's CRDs have no
// status subresource, so each object is created with the status Velero would write.
func (e estate) veleroObjects(now time.Time) []client.Object {
	if e.backups == 0 {
		return nil
	}
	stamp := func(d time.Duration) string { return now.Add(-d).UTC().Format(time.RFC3339) }
	velero := func(kind, name string, spec, status map[string]any) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{"spec": spec, "status": status}}
		u.SetAPIVersion("velero.io/v1")
		u.SetKind(kind)
		u.SetNamespace(veleroNamespace)
		u.SetName(name)
		return u
	}
	objs := []client.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: veleroNamespace}},
		velero("BackupStorageLocation", "default",
			map[string]any{"default": true, "provider": "aws", "objectStorage": map[string]any{"bucket": "bench"}},
			map[string]any{"phase": "Available"})}
	for n := 0; n < e.namespaces; n++ {
		ns := e.namespace(n)
		objs = append(objs, velero("Schedule", ns+"-hourly",
			map[string]any{"schedule": "0 * * * *", "template": map[string]any{"includedNamespaces": []any{ns}}}, map[string]any{}))
	}
	for i := 0; i < e.backups; i++ {
		ns := e.namespace(i)
		age := time.Duration(1+i/e.namespaces) * time.Hour
		b := velero("Backup", fmt.Sprintf("%s-hourly-%05d", ns, i/e.namespaces),
			map[string]any{"includedNamespaces": []any{ns}, "storageLocation": "default"},
			map[string]any{"phase": "Completed", "startTimestamp": stamp(age + 5*time.Minute), "completionTimestamp": stamp(age)})
		b.SetLabels(map[string]string{"velero.io/schedule-name": ns + "-hourly"})
		objs = append(objs, b)
	}
	for n := 0; n < e.namespaces; n++ {
		ns := e.namespace(n)
		objs = append(objs, velero("Restore", ns+"-restore-test",
			map[string]any{"backupName": fmt.Sprintf("%s-hourly-%05d", ns, 0)},
			map[string]any{"phase": "Completed", "errors": int64(0), "startTimestamp": stamp(50 * time.Minute), "completionTimestamp": stamp(30 * time.Minute)}))
	}
	return objs
}
