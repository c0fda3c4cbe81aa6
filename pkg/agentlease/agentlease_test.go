package agentlease

import (
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func lease(mut func(l *coordinationv1.Lease)) *coordinationv1.Lease {
	l := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{
			Name:        Name("node-a"),
			Namespace:   DefaultNamespace,
			Labels:      Labels("node-a"),
			Annotations: map[string]string{EndpointAnnotation: "10.0.0.1:10124"},
		},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity:       ptr.To("node-a"),
			LeaseDurationSeconds: ptr.To[int32](15),
			AcquireTime:          &metav1.MicroTime{Time: t0.Add(-time.Minute)},
			RenewTime:            &metav1.MicroTime{Time: t0},
		},
	}
	if mut != nil {
		mut(l)
	}
	return l
}

func TestLive(t *testing.T) {
	tests := []struct {
		name  string
		lease *coordinationv1.Lease
		now   time.Time
		want  bool
	}{
		{"nil", nil, t0, false},
		{"just renewed", lease(nil), t0, true},
		{"one second before expiry", lease(nil), t0.Add(14 * time.Second), true},
		{"at expiry", lease(nil), t0.Add(15 * time.Second), false},
		{"after expiry", lease(nil), t0.Add(time.Hour), false},
		{"released: empty holder", lease(func(l *coordinationv1.Lease) { l.Spec.HolderIdentity = ptr.To("") }), t0, false},
		{"released: nil holder", lease(func(l *coordinationv1.Lease) { l.Spec.HolderIdentity = nil }), t0, false},
		{"no duration", lease(func(l *coordinationv1.Lease) { l.Spec.LeaseDurationSeconds = nil }), t0, false},
		{"never renewed, acquired now", lease(func(l *coordinationv1.Lease) {
			l.Spec.RenewTime = nil
			l.Spec.AcquireTime = &metav1.MicroTime{Time: t0}
		}), t0.Add(time.Second), true},
		{"no times", lease(func(l *coordinationv1.Lease) { l.Spec.RenewTime, l.Spec.AcquireTime = nil, nil }), t0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Live(tt.lease, tt.now); got != tt.want {
				t.Errorf("Live() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExpiresAt(t *testing.T) {
	tests := []struct {
		name  string
		lease *coordinationv1.Lease
		want  time.Time
	}{
		{"nil", nil, time.Time{}},
		{"renewed", lease(nil), t0.Add(15 * time.Second)},
		{"acquired only", lease(func(l *coordinationv1.Lease) { l.Spec.RenewTime = nil }), t0.Add(-time.Minute + 15*time.Second)},
		{"no duration", lease(func(l *coordinationv1.Lease) { l.Spec.LeaseDurationSeconds = nil }), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExpiresAt(tt.lease); !got.Equal(tt.want) {
				t.Errorf("ExpiresAt() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNodeOfEndpointHolder(t *testing.T) {
	tests := []struct {
		name                   string
		lease                  *coordinationv1.Lease
		node, endpoint, holder string
	}{
		{"nil", nil, "", "", ""},
		{"full", lease(nil), "node-a", "10.0.0.1:10124", "node-a"},
		{"no node label falls back to holder", lease(func(l *coordinationv1.Lease) { l.Labels = nil }), "node-a", "10.0.0.1:10124", "node-a"},
		{"released keeps node", lease(func(l *coordinationv1.Lease) { l.Spec.HolderIdentity = ptr.To("") }), "node-a", "10.0.0.1:10124", ""},
		{"no annotation", lease(func(l *coordinationv1.Lease) { l.Annotations = nil }), "node-a", "", "node-a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NodeOf(tt.lease); got != tt.node {
				t.Errorf("NodeOf() = %q, want %q", got, tt.node)
			}
			if got := Endpoint(tt.lease); got != tt.endpoint {
				t.Errorf("Endpoint() = %q, want %q", got, tt.endpoint)
			}
			if got := Holder(tt.lease); got != tt.holder {
				t.Errorf("Holder() = %q, want %q", got, tt.holder)
			}
		})
	}
}

func TestNameAndSelector(t *testing.T) {
	if got := Name("worker-1"); got != "diskpool-agent-worker-1" {
		t.Errorf("Name() = %q", got)
	}
	sel, err := labels.Parse(Selector())
	if err != nil {
		t.Fatalf("Selector() %q does not parse: %v", Selector(), err)
	}
	if !sel.Matches(labels.Set(Labels("worker-1"))) {
		t.Errorf("Selector() %q does not match Labels()", Selector())
	}
	if sel.Matches(labels.Set{AppLabel: "something-else"}) {
		t.Errorf("Selector() %q matches another app", Selector())
	}
}
