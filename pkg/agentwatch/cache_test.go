package agentwatch

import (
	"reflect"
	"sort"
	"testing"

	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

func TestPoolCache(t *testing.T) {
	p := func(name, uuid string, used int64) reconcile.Pool {
		return reconcile.Pool{Name: name, UUID: uuid, Disks: []string{"/dev/" + name}, Health: reconcile.PoolHealthOnline, Used: used}
	}
	type step struct {
		op          string // snapshot, upsert, delete, created, destroyed
		pools       []reconcile.Pool
		name, uuid  string
		wantChanged bool
	}
	tests := []struct {
		name      string
		steps     []step
		want      []reconcile.Pool
		wantTombs map[string]string
	}{
		{
			name:  "snapshot replaces everything",
			steps: []step{{op: "upsert", pools: []reconcile.Pool{p("old", "u0", 0)}, wantChanged: true}, {op: "snapshot", pools: []reconcile.Pool{p("a", "u1", 0), p("b", "u2", 0)}}},
			want:  []reconcile.Pool{p("a", "u1", 0), p("b", "u2", 0)},
		},
		{
			name:  "unchanged upsert reports no change",
			steps: []step{{op: "snapshot", pools: []reconcile.Pool{p("a", "u1", 5)}}, {op: "upsert", pools: []reconcile.Pool{p("a", "u1", 5)}, wantChanged: false}},
			want:  []reconcile.Pool{p("a", "u1", 5)},
		},
		{
			name:  "changed upsert reports a change",
			steps: []step{{op: "snapshot", pools: []reconcile.Pool{p("a", "u1", 5)}}, {op: "upsert", pools: []reconcile.Pool{p("a", "u1", 6)}, wantChanged: true}},
			want:  []reconcile.Pool{p("a", "u1", 6)},
		},
		{
			name:  "delete of a known pool",
			steps: []step{{op: "snapshot", pools: []reconcile.Pool{p("a", "u1", 0)}}, {op: "delete", name: "a", uuid: "u1", wantChanged: true}},
			want:  []reconcile.Pool{},
		},
		{
			name:  "delete without uuid",
			steps: []step{{op: "snapshot", pools: []reconcile.Pool{p("a", "u1", 0)}}, {op: "delete", name: "a", wantChanged: true}},
			want:  []reconcile.Pool{},
		},
		{
			name:  "delete of an unknown pool",
			steps: []step{{op: "snapshot"}, {op: "delete", name: "a", uuid: "u1", wantChanged: false}},
			want:  []reconcile.Pool{},
		},
		{
			name: "stale delete of an older incarnation after our create",
			steps: []step{
				{op: "snapshot", pools: []reconcile.Pool{p("a", "u1", 0)}},
				{op: "created", pools: []reconcile.Pool{p("a", "u2", 0)}},
				{op: "delete", name: "a", uuid: "u1", wantChanged: false},
			},
			want: []reconcile.Pool{p("a", "u2", 0)},
		},
		{
			name: "stale upsert after our destroy does not resurrect",
			steps: []step{
				{op: "snapshot", pools: []reconcile.Pool{p("a", "u1", 0)}},
				{op: "destroyed", name: "a"},
				{op: "upsert", pools: []reconcile.Pool{p("a", "u1", 9)}, wantChanged: false},
			},
			want:      []reconcile.Pool{},
			wantTombs: map[string]string{"a": "u1"},
		},
		{
			name: "the stream's delete confirms our destroy",
			steps: []step{
				{op: "snapshot", pools: []reconcile.Pool{p("a", "u1", 0)}},
				{op: "destroyed", name: "a"},
				{op: "delete", name: "a", uuid: "u1", wantChanged: false},
			},
			want: []reconcile.Pool{},
		},
		{
			name: "a stale snapshot after our destroy keeps it out",
			steps: []step{
				{op: "snapshot", pools: []reconcile.Pool{p("a", "u1", 0)}},
				{op: "destroyed", name: "a"},
				{op: "snapshot", pools: []reconcile.Pool{p("a", "u1", 0), p("b", "u2", 0)}},
			},
			want:      []reconcile.Pool{p("b", "u2", 0)},
			wantTombs: map[string]string{"a": "u1"},
		},
		{
			name: "a snapshot without the destroyed pool confirms it",
			steps: []step{
				{op: "snapshot", pools: []reconcile.Pool{p("a", "u1", 0)}},
				{op: "destroyed", name: "a"},
				{op: "snapshot", pools: []reconcile.Pool{p("b", "u2", 0)}},
			},
			want: []reconcile.Pool{p("b", "u2", 0)},
		},
		{
			name: "a new incarnation after our destroy is accepted",
			steps: []step{
				{op: "snapshot", pools: []reconcile.Pool{p("a", "u1", 0)}},
				{op: "destroyed", name: "a"},
				{op: "upsert", pools: []reconcile.Pool{p("a", "u3", 0)}, wantChanged: true},
			},
			want: []reconcile.Pool{p("a", "u3", 0)},
		},
		{
			name: "our create clears a tombstone",
			steps: []step{
				{op: "snapshot", pools: []reconcile.Pool{p("a", "u1", 0)}},
				{op: "destroyed", name: "a"},
				{op: "created", pools: []reconcile.Pool{p("a", "u3", 0)}},
			},
			want: []reconcile.Pool{p("a", "u3", 0)},
		},
		{
			name: "destroy of a pool never seen leaves no tombstone",
			steps: []step{
				{op: "snapshot"},
				{op: "destroyed", name: "a"},
				{op: "upsert", pools: []reconcile.Pool{p("a", "u1", 0)}, wantChanged: true},
			},
			want: []reconcile.Pool{p("a", "u1", 0)},
		},
		{
			name:  "upsert into an empty cache",
			steps: []step{{op: "upsert", pools: []reconcile.Pool{p("a", "u1", 0)}, wantChanged: true}},
			want:  []reconcile.Pool{p("a", "u1", 0)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c poolCache
			for i, s := range tc.steps {
				var changed bool
				switch s.op {
				case "snapshot":
					c.replace(s.pools)
				case "upsert":
					changed = c.upsert(s.pools[0])
				case "delete":
					changed = c.remove(s.name, s.uuid)
				case "created":
					c.created(s.pools[0])
				case "destroyed":
					c.destroyedPool(s.name)
				default:
					t.Fatalf("unknown op %q", s.op)
				}
				if changed != s.wantChanged {
					t.Errorf("step %d (%s): changed = %v, want %v", i, s.op, changed, s.wantChanged)
				}
			}
			if got := c.list(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("pools = %+v, want %+v", got, tc.want)
			}
			if len(c.destroyed) != len(tc.wantTombs) || (len(tc.wantTombs) > 0 && !reflect.DeepEqual(c.destroyed, tc.wantTombs)) {
				t.Errorf("tombstones = %v, want %v", c.destroyed, tc.wantTombs)
			}
		})
	}
}

func TestPoolCacheReturnsCopies(t *testing.T) {
	var c poolCache
	c.replace([]reconcile.Pool{{Name: "a", Disks: []string{"/dev/sdb"}}})
	got, _ := c.get("a")
	got.Disks[0] = "/dev/evil"
	c.list()[0].Disks[0] = "/dev/evil"
	if again, _ := c.get("a"); again.Disks[0] != "/dev/sdb" {
		t.Errorf("callers changed the cache through Disks: %v", again.Disks)
	}
}

// TestPoolEqualCoversEveryField fails when reconcile.Pool grows a field
// poolEqual does not compare (an unchanged-looking upsert would then be
// dropped).
func TestPoolEqualCoversEveryField(t *testing.T) {
	typ := reflect.TypeOf(reconcile.Pool{})
	for i := range typ.NumField() {
		var b reconcile.Pool
		f := reflect.ValueOf(&b).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("x")
		case reflect.Int, reflect.Int64:
			f.SetInt(1)
		case reflect.Slice:
			f.Set(reflect.ValueOf([]string{"x"}))
		default:
			t.Fatalf("field %s has kind %s; teach this test and poolEqual about it", typ.Field(i).Name, f.Kind())
		}
		if poolEqual(reconcile.Pool{}, b) {
			t.Errorf("poolEqual ignores field %s", typ.Field(i).Name)
		}
	}
}

// list returns copies of the pools, sorted by name.
func (c *poolCache) list() []reconcile.Pool {
	out := make([]reconcile.Pool, 0, len(c.pools))
	for _, p := range c.pools {
		out = append(out, clonePool(p))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
