// Package manifests embeds the CRDs so tests, the local control plane and
// the operator's tools install exactly what `kubectl apply -k` installs.
package manifests

import "embed"

// CRDs holds crds/*.yaml: one CustomResourceDefinition per file.
//
//go:embed crds/*.yaml
var CRDs embed.FS
