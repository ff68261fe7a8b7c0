package controllers

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/bounds"
)

// statusWriter is the one way the three controllers write status (style.md 16). The
// status is fitted to its CRD's bounds, compared with the object as read (no write when
// nothing changed), and sent as a merge patch carrying the resourceVersion read: an
// optimistic lock, so that a status computed from a stale cache fails with a conflict
// rather than overwrite a newer one.
//
// It also remembers, for each object, the resourceVersion its last write replaced and the
// one it made. A reconcile that reads the replaced version from the cache knows the cache
// has not caught up with the operator's own write (Behind): computing from it could skip a
// write that is needed, since a status equal to the stale one looks unchanged. Update
// events that carry the operator's own write are dropped (OwnWrite), any other status
// change is reconciled, so a status written by anyone else is put right.
type statusWriter struct {
	client client.Client
	scheme *runtime.Scheme

	mu      sync.Mutex
	written map[types.UID]versions
}

// versions are the resourceVersion a status write replaced and the one it made.
type versions struct{ replaced, made string }

func newStatusWriter(c client.Client) *statusWriter {
	return &statusWriter{client: c, scheme: c.Scheme(), written: map[types.UID]versions{}}
}

// Behind reports whether obj, as read from the cache, predates the operator's last status
// write to it.
func (w *statusWriter) Behind(obj client.Object) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	v, ok := w.written[obj.GetUID()]
	return ok && obj.GetResourceVersion() == v.replaced
}

// Write fits obj, whose status the caller computed from read, to its CRD's bounds, and
// patches its status when it differs from read. It reports whether it wrote.
func (w *statusWriter) Write(ctx context.Context, read, obj client.Object) (bool, error) {
	cut, err := bounds.Fit(obj, w.scheme)
	if err != nil {
		return false, err
	}
	if len(cut) > 0 {
		log.FromContext(ctx).V(1).Info("Cut the status to its CRD's bounds", "fields", cut)
	}
	if equality.Semantic.DeepEqual(read, obj) {
		return false, nil
	}
	replaced := read.GetResourceVersion()
	if err := w.client.Status().Patch(ctx, obj, client.MergeFromWithOptions(read, client.MergeFromWithOptimisticLock{})); err != nil {
		return false, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.written[obj.GetUID()] = versions{replaced: replaced, made: obj.GetResourceVersion()}
	return true, nil
}

// writeFailed is a reconcile's result when Write failed on obj (a kind's name, such as
// "risk"): nothing for an object deleted meanwhile, a retry for a conflict (the cache has
// a newer version coming), else a Warning Event quoting the API server and the error,
// retried with backoff.
func writeFailed(ctx context.Context, recorder events.EventRecorder, obj client.Object, kind string, err error) (ctrl.Result, error) {
	switch {
	case apierrors.IsNotFound(err):
		return ctrl.Result{}, nil
	case apierrors.IsConflict(err):
		log.FromContext(ctx).V(1).Info("Retrying on a newer version of the "+kind, "reason", err.Error())
		return ctrl.Result{RequeueAfter: cacheBehindRetry}, nil
	}
	recorder.Eventf(obj, nil, corev1.EventTypeWarning, isms.ReasonWriteRefused, "WriteStatus", "%s",
		bounds.Cut("The operator could not write the "+kind+"'s status: "+err.Error(), bounds.EventNote))
	return ctrl.Result{}, fmt.Errorf("writing the status of %s %s/%s: %w", kind, obj.GetNamespace(), obj.GetName(), err)
}

// statusChanges lets through, besides what its other predicates pass, the updates of a
// kind's objects whose status someone other than the operator changed, and forgets the
// versions of deleted objects.
func (w *statusWriter) statusChanges(status func(client.Object) any) predicate.Funcs {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			if equality.Semantic.DeepEqual(status(e.ObjectOld), status(e.ObjectNew)) {
				return false
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			return w.written[e.ObjectNew.GetUID()].made != e.ObjectNew.GetResourceVersion()
		},
		DeleteFunc: func(e event.DeleteEvent) bool {
			w.mu.Lock()
			defer w.mu.Unlock()
			delete(w.written, e.Object.GetUID())
			return false
		},
	}
}
