package metrics

import (
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1alpha1"
)

func TestMayastorPoolsCollector(t *testing.T) {
	msp := func(name string, s v1alpha1.MayastorPoolState) *v1alpha1.MayastorPool {
		return &v1alpha1.MayastorPool{ObjectMeta: metav1.ObjectMeta{Namespace: "mayastor", Name: name}, Status: v1alpha1.MayastorPoolStatus{State: s}}
	}
	objs := []*v1alpha1.MayastorPool{msp("a", v1alpha1.StateOnline), msp("b", v1alpha1.StateOnline), msp("c", ""), msp("d", v1alpha1.StateOffline)}
	reg := prometheus.NewPedanticRegistry()
	if _, err := NewMayastorPools(reg, func() ([]*v1alpha1.MayastorPool, error) { return objs, nil }); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP diskpool_mayastorpools Legacy MayastorPool objects by status.state (none yet counts as pending).
# TYPE diskpool_mayastorpools gauge
diskpool_mayastorpools{state="degraded"} 0
diskpool_mayastorpools{state="faulted"} 0
diskpool_mayastorpools{state="offline"} 1
diskpool_mayastorpools{state="online"} 2
diskpool_mayastorpools{state="pending"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "diskpool_mayastorpools"); err != nil {
		t.Error(err)
	}

	failing := prometheus.NewPedanticRegistry()
	if _, err := NewMayastorPools(failing, func() ([]*v1alpha1.MayastorPool, error) { return nil, errors.New("no cache") }); err != nil {
		t.Fatal(err)
	}
	if _, err := failing.Gather(); err == nil {
		t.Error("a failing list gathered without error")
	}
}
