package controller

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
)

// StripManagedFields is an informer transform that drops
// metadata.managedFields: the operator never reads them, and they are often
// the largest part of a small object.
func StripManagedFields(obj any) (any, error) {
	if acc, err := meta.Accessor(obj); err == nil && acc.GetManagedFields() != nil {
		acc.SetManagedFields(nil)
	}
	return obj, nil
}

// NodeMetadataOnly is an informer transform for Nodes: the controller only
// asks whether a Node exists, so it keeps the metadata (without
// managedFields) and drops spec and status, which on a busy cluster hold
// image lists and conditions that change every few seconds.
func NodeMetadataOnly(obj any) (any, error) {
	node, ok := obj.(*corev1.Node)
	if !ok {
		// Tombstones and other wrappers pass through unchanged.
		return StripManagedFields(obj)
	}
	slim := &corev1.Node{TypeMeta: node.TypeMeta, ObjectMeta: node.ObjectMeta}
	slim.ManagedFields = nil
	return slim, nil
}
