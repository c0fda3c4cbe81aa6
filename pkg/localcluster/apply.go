package localcluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/klog/v2"
)

// FieldManager is the server-side apply field manager of Apply.
const FieldManager = "localcluster"

// establishTimeout bounds the wait for applied CRDs to be established and
// served.
const establishTimeout = 30 * time.Second

var (
	crdGVR      = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	crdGK       = schema.GroupKind{Group: crdGVR.Group, Kind: "CustomResourceDefinition"}
	namespaceGK = schema.GroupKind{Kind: "Namespace"}
)

// Apply applies the objects in the given YAML or JSON files and directories
// (see ReadManifests) with server-side apply, as the admin user.
func (c *Cluster) Apply(ctx context.Context, paths ...string) error {
	return ApplyFiles(ctx, c.RESTConfig(), paths...)
}

// ApplyFiles applies the objects in the given files and directories (see
// ReadManifests) to the cluster cfg points at, with ApplyObjects.
func ApplyFiles(ctx context.Context, cfg *rest.Config, paths ...string) error {
	objs, err := ReadManifests(paths...)
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	return ApplyObjects(ctx, cfg, objs...)
}

// ApplyObjects applies objects of any kind with server-side apply and field
// manager FieldManager, forcing conflicts. CustomResourceDefinitions go first,
// and the others wait until they are established and served, so a file may
// hold a CRD and objects of its kind; Namespaces go next. Namespaced objects
// without a namespace go to "default".
func ApplyObjects(ctx context.Context, cfg *rest.Config, objs ...*unstructured.Unstructured) error {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	a := &applier{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))}

	var crds, namespaces, others []*unstructured.Unstructured
	for _, o := range objs {
		switch o.GroupVersionKind().GroupKind() {
		case crdGK:
			crds = append(crds, o)
		case namespaceGK:
			namespaces = append(namespaces, o)
		default:
			others = append(others, o)
		}
	}
	for _, o := range crds {
		if err := a.apply(ctx, o); err != nil {
			return err
		}
	}
	for _, o := range crds {
		if err := waitEstablished(ctx, dyn, o.GetName()); err != nil {
			return err
		}
	}
	if len(crds) > 0 {
		a.mapper.Reset()
	}
	for _, group := range [][]*unstructured.Unstructured{namespaces, others} {
		for _, o := range group {
			if err := a.apply(ctx, o); err != nil {
				return err
			}
		}
	}
	return nil
}

type applier struct {
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func (a *applier) apply(ctx context.Context, obj *unstructured.Unstructured) error {
	gvk := obj.GroupVersionKind()
	ref := fmt.Sprintf("%s %q", gvk.Kind, obj.GetName())
	if obj.GetName() == "" {
		return fmt.Errorf("apply %s: server-side apply needs metadata.name", gvk.Kind)
	}
	mapping, err := a.mapping(ctx, gvk)
	if err != nil {
		return fmt.Errorf("apply %s: %w", ref, err)
	}
	var res dynamic.ResourceInterface = a.dyn.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := obj.GetNamespace()
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		res = a.dyn.Resource(mapping.Resource).Namespace(ns)
		ref = fmt.Sprintf("%s %s/%s", gvk.Kind, ns, obj.GetName())
	}
	if _, err := res.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
		return fmt.Errorf("apply %s: %w", ref, err)
	}
	klog.FromContext(ctx).V(4).Info("Applied object", "object", ref)
	return nil
}

// mapping resolves gvk, refreshing discovery while the kind is unknown: a
// just-established CRD can take a moment to appear in discovery.
func (a *applier) mapping(ctx context.Context, gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	var mapping *meta.RESTMapping
	var lastErr error
	err := wait.PollUntilContextTimeout(ctx, pollInterval, establishTimeout, true, func(context.Context) (bool, error) {
		mapping, lastErr = a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if lastErr == nil {
			return true, nil
		}
		if meta.IsNoMatchError(lastErr) {
			a.mapper.Reset()
			return false, nil
		}
		return false, lastErr
	})
	if err != nil && lastErr != nil {
		return nil, fmt.Errorf("map %s: %w", gvk, lastErr)
	}
	return mapping, err
}

// waitEstablished waits until the named CRD has condition Established=True.
func waitEstablished(ctx context.Context, dyn dynamic.Interface, name string) error {
	var lastErr error
	err := wait.PollUntilContextTimeout(ctx, pollInterval, establishTimeout, true, func(ctx context.Context) (bool, error) {
		crd, err := dyn.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			lastErr = err
			return false, nil
		}
		conditions, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
		for _, c := range conditions {
			cond, _ := c.(map[string]any)
			if cond["type"] == "Established" && cond["status"] == "True" {
				return true, nil
			}
		}
		lastErr = fmt.Errorf("condition Established is not True yet: %v", conditions)
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("wait for CRD %s to be established: %w", name, errors.Join(err, lastErr))
	}
	return nil
}
