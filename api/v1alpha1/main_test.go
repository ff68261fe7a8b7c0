package v1alpha1_test

import (
	"os"
	"testing"

	"github.com/isms-operator/isms-operator/internal/testenv"
)

// env is the real kube-apiserver and etcd, with the CRDs installed, that these tests use.
var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, testenv.Options{}, &env))
}
