// Package scheme builds the runtime.Scheme the operator and its tests use.
package scheme

import (
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	snapshotv1 "github.com/kubernetes-csi/external-snapshotter/client/v8/apis/volumesnapshot/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// New returns a scheme holding the built-in Kubernetes kinds, the isms.nhs.uk kinds and the
// CSI snapshotter's VolumeSnapshots.
func New() *runtime.Scheme {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(isms.AddToScheme(scheme))
	utilruntime.Must(snapshotv1.AddToScheme(scheme)) // read only when the CSI snapshotter's CRDs are installed
	return scheme
}
