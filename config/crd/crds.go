// Package crd embeds the operator's generated CRDs, so that the operator fits what it
// writes to the very bounds the API server will enforce (internal/bounds).
package crd

import "embed"

// Bases holds bases/*.yaml, the CRDs controller-gen generates from the API's markers.
//
//go:embed bases/*.yaml
var Bases embed.FS
