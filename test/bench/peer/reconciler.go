package main

import (
	"context"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// reconciler is the textbook kubebuilder reconcile: finalizer first, then
// status, each written with Update from the cached object; a conflict is
// returned and retried by controller-runtime's rate limiter.
type reconciler struct {
	client.Client
}

func (r *reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var dp v1beta3.DiskPool
	if err := r.Get(ctx, req.NamespacedName, &dp); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !dp.DeletionTimestamp.IsZero() {
		if controllerutil.RemoveFinalizer(&dp, v1beta3.Finalizer) {
			return ctrl.Result{}, r.Update(ctx, &dp)
		}
		return ctrl.Result{}, nil
	}
	if controllerutil.AddFinalizer(&dp, v1beta3.Finalizer) {
		if err := r.Update(ctx, &dp); err != nil {
			return ctrl.Result{}, err
		}
	}
	if dp.Status.CRState == v1beta3.CRStateCreated && dp.Status.ObservedGeneration == dp.Generation {
		return ctrl.Result{}, nil
	}
	dp.Status.CRState, dp.Status.PoolStatus = v1beta3.CRStateCreated, v1beta3.PoolStatusOnline
	dp.Status.Capacity, dp.Status.Available = 1<<30, 1<<30
	dp.Status.Node, dp.Status.Disks = dp.Spec.Node, dp.Spec.Disks
	dp.Status.PoolUUID, dp.Status.ObservedGeneration = string(dp.UID), dp.Generation
	meta.SetStatusCondition(&dp.Status.Conditions, metav1.Condition{Type: v1beta3.ConditionReady, Status: metav1.ConditionTrue,
		Reason: "PoolOnline", Message: "pool is online", ObservedGeneration: dp.Generation})
	return ctrl.Result{}, r.Status().Update(ctx, &dp)
}
