// Package scheme builds the runtime.Scheme the operator and its tests use.
package scheme

import (
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// New returns a scheme holding the built-in Kubernetes kinds and the isms.nhs.uk kinds.
func New() *runtime.Scheme {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(isms.AddToScheme(scheme))
	return scheme
}
