// Package v1beta3 is the storage version of the openebs.io DiskPool API.
// v1beta1 and v1beta2 are served with the same schema (and deprecated), so
// manifests written for OpenEBS Mayastor apply unchanged.
//
// +k8s:deepcopy-gen=package
// +groupName=openebs.io
// +kubebuilder:object:generate=true
package v1beta3
