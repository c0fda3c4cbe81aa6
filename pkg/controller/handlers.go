package controller

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// enqueueObject queues a pool object of kind from an informer event
// (tombstones included).
func (c *Controller) enqueueObject(kind string, obj any) {
	name, err := cache.DeletionHandlingObjectToName(obj)
	if err != nil {
		utilruntime.HandleErrorWithLogger(c.logger, err, "Cannot queue pool object", "kind", kind)
		return
	}
	c.queue.Add(key{Kind: kind, Namespace: name.Namespace, Name: name.Name})
}

// enqueueUpdate queues a pool object of kind on an update, unless the
// update is the echo of the controller's own write.
func (c *Controller) enqueueUpdate(kind string, obj any) {
	if m, err := meta.Accessor(obj); err == nil {
		k := key{Kind: kind, Namespace: m.GetNamespace(), Name: m.GetName()}
		if c.echoes.isEcho(k, m.GetResourceVersion()) {
			c.logger.V(5).Info("Ignoring the echo of an own write", "kind", kind, "object", klog.KObj(m), "resourceVersion", m.GetResourceVersion())
			return
		}
	}
	c.enqueueObject(kind, obj)
}

// enqueueNode queues every pool object on a Node that appeared or went.
func (c *Controller) enqueueNode(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	node, ok := obj.(*corev1.Node)
	if !ok {
		utilruntime.HandleErrorWithLogger(c.logger, fmt.Errorf("unexpected object type %T, want *v1.Node", obj), "Cannot queue pools on node")
		return
	}
	c.enqueueOnNode(node.Name, "")
}

// OnChange is the change handler NewController registers with Agents: what
// they report about node changed, its agent's state (Lease live or
// expired, stream up or down) when pool is "", or one pool otherwise (from
// a stream or from a CreatePool or DestroyPool). It queues the pool objects
// on that node (named pool, when given) and never blocks.
func (c *Controller) OnChange(node, pool string) {
	c.enqueueOnNode(node, pool)
}

func (c *Controller) enqueueOnNode(node, pool string) {
	for kind, adapter := range c.kinds {
		names, err := adapter.KeysOnNode(node)
		if err != nil {
			utilruntime.HandleErrorWithLogger(c.logger, err, "Cannot list pool objects on node", "node", klog.KRef("", node))
			continue
		}
		for _, n := range names {
			if pool == "" || n.Name == pool {
				c.queue.Add(key{Kind: kind, Namespace: n.Namespace, Name: n.Name})
			}
		}
	}
}
