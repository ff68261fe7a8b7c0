// Package scheme builds the runtime.Scheme the operator and its tests use.
package scheme

import (
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	snapshotv1 "github.com/kubernetes-csi/external-snapshotter/client/v8/apis/volumesnapshot/v1"
	orv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// New returns a scheme holding the built-in Kubernetes kinds, the isms.nhs.uk kinds, the
// CSI snapshotter's VolumeSnapshots, the Gateway API's standard kinds and OpenReports'.
func New() *runtime.Scheme {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(isms.AddToScheme(scheme))
	utilruntime.Must(snapshotv1.AddToScheme(scheme)) // read only when the CSI snapshotter's CRDs are installed
	utilruntime.Must(gatewayv1.Install(scheme))      // read only when the Gateway API's CRDs are installed
	utilruntime.Must(orv1alpha1.AddToScheme(scheme)) // written only when reports are on and OpenReports' CRDs are installed
	return scheme
}
