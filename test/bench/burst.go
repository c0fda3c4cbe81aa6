package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/diskpool/diskpool-operator/generated/clientset/versioned"
	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

// poolSpec says where pool i goes: node i%K, one of the node's disks.
type poolSpec struct {
	name  string
	node  string
	disks []string
}

// createBurst creates every pool from `workers` goroutines at once and
// records, per object, when its Create returned.
func createBurst(ctx context.Context, client versioned.Interface, namespace string, pools []poolSpec, workers int, track *tracker) error {
	return parallel(ctx, len(pools), workers, func(ctx context.Context, i int) error {
		p := pools[i]
		obj := &v1beta3.DiskPool{
			ObjectMeta: metav1.ObjectMeta{Name: p.name, Namespace: namespace},
			Spec:       v1beta3.DiskPoolSpec{Node: p.node, Disks: p.disks},
		}
		start := time.Now()
		if _, err := client.OpenebsV1beta3().DiskPools(namespace).Create(ctx, obj, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create DiskPool %s/%s: %w", namespace, p.name, err)
		}
		track.created(p.name, start)
		return nil
	})
}

// deleteBurst deletes every pool from `workers` goroutines at once.
func deleteBurst(ctx context.Context, client versioned.Interface, namespace string, pools []poolSpec, workers int, track *tracker) error {
	return parallel(ctx, len(pools), workers, func(ctx context.Context, i int) error {
		start := time.Now()
		if err := client.OpenebsV1beta3().DiskPools(namespace).Delete(ctx, pools[i].name, metav1.DeleteOptions{}); err != nil {
			return fmt.Errorf("delete DiskPool %s/%s: %w", namespace, pools[i].name, err)
		}
		track.deleteRequested(pools[i].name, start)
		return nil
	})
}

// parallel runs fn(0..n-1) on `workers` goroutines and returns the first
// error.
func parallel(ctx context.Context, n, workers int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
	func() {
		defer close(next)
		for i := range n {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	wg.Wait()
	return first
}
