// Package v1alpha1 contains the isms.nhs.uk/v1alpha1 API: the information asset register
// (InformationAsset), the risk register (Risk) and business continuity plans
// (ContinuityPlan) of the NHS Information Security Management Code of Practice.
//
// The doc comments of the API types are the CRDs' field descriptions, which `kubectl explain`
// shows. controller-gen keeps every line break of a comment, so these comments break lines
// only between sentences (one sentence to a line, however long) and refer to nothing outside
// the repository; crd_descriptions_test.go checks the generated CRDs for both.
//
// +kubebuilder:object:generate=true
// +groupName=isms.nhs.uk
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of every kind in this package.
	GroupVersion = schema.GroupVersion{Group: "isms.nhs.uk", Version: "v1alpha1"}

	// SchemeBuilder registers the kinds of this package with a scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the kinds of this package to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
