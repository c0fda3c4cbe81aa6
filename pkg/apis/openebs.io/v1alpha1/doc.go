// Package v1alpha1 is the legacy openebs.io MayastorPool API, served so that
// existing Mayastor clusters keep working and can migrate to DiskPool.
//
// +k8s:deepcopy-gen=package
// +groupName=openebs.io
// +kubebuilder:object:generate=true
package v1alpha1
