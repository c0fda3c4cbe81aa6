package poolclient

import (
	"errors"
	"reflect"
	"testing"
	"time"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/reconcile"
)

func TestEventFromProto(t *testing.T) {
	const (
		snapshot = agentv1.WatchPoolsResponse_SNAPSHOT
		upsert   = agentv1.WatchPoolsResponse_UPSERT
		del      = agentv1.WatchPoolsResponse_DELETE
	)
	online := &agentv1.Pool{Name: "p1", Uuid: "u1", Node: "n1", State: agentv1.PoolState_POOL_STATE_ONLINE}
	msg := func(typ agentv1.WatchPoolsResponse_Type, seq uint64, pools ...*agentv1.Pool) *agentv1.WatchPoolsResponse {
		return &agentv1.WatchPoolsResponse{Type: typ, Sequence: seq, Pools: pools}
	}
	tests := []struct {
		name    string
		msg     *agentv1.WatchPoolsResponse
		first   bool
		prev    uint64
		node    string
		want    WatchEvent
		wantOK  bool
		wantErr error
	}{
		{
			name: "first snapshot", msg: msg(snapshot, 1, online), first: true, node: "n1",
			want:   WatchEvent{Type: WatchSnapshot, Sequence: 1, Pools: []reconcile.Pool{{Name: "p1", UUID: "u1", Health: reconcile.PoolHealthOnline}}},
			wantOK: true,
		},
		{
			name: "empty snapshot is not nil", msg: msg(snapshot, 0), first: true,
			want: WatchEvent{Type: WatchSnapshot, Pools: []reconcile.Pool{}}, wantOK: true,
		},
		{name: "first must be a snapshot", msg: msg(upsert, 1, online), first: true, wantErr: ErrProtocol},
		{
			name: "upsert", msg: msg(upsert, 5, online), prev: 4, node: "n1",
			want: WatchEvent{Type: WatchUpsert, Sequence: 5, Pool: reconcile.Pool{Name: "p1", UUID: "u1", Health: reconcile.PoolHealthOnline}}, wantOK: true,
		},
		{
			name: "delete carries name and uuid", msg: msg(del, 5, &agentv1.Pool{Name: "p1", Uuid: "u1"}), prev: 4,
			want: WatchEvent{Type: WatchDelete, Sequence: 5, Pool: reconcile.Pool{Name: "p1", UUID: "u1"}}, wantOK: true,
		},
		{
			name: "a later snapshot is accepted", msg: msg(snapshot, 3), prev: 2,
			want: WatchEvent{Type: WatchSnapshot, Sequence: 3, Pools: []reconcile.Pool{}}, wantOK: true,
		},
		{
			name: "a snapshot announces its heartbeats", prev: 0, first: true,
			msg:  &agentv1.WatchPoolsResponse{Type: snapshot, Sequence: 1, HeartbeatIntervalMs: 1500},
			want: WatchEvent{Type: WatchSnapshot, Sequence: 1, Pools: []reconcile.Pool{}, HeartbeatInterval: 1500 * time.Millisecond}, wantOK: true,
		},
		{
			name: "heartbeat", msg: msg(agentv1.WatchPoolsResponse_HEARTBEAT, 4), prev: 3,
			want: WatchEvent{Type: WatchHeartbeat, Sequence: 4}, wantOK: true,
		},
		{name: "heartbeat first is an error", msg: msg(agentv1.WatchPoolsResponse_HEARTBEAT, 1), first: true, wantErr: ErrProtocol},
		{name: "sequence gap", msg: msg(upsert, 7, online), prev: 5, wantErr: ErrProtocol},
		{name: "sequence repeat", msg: msg(upsert, 5, online), prev: 5, wantErr: ErrProtocol},
		{name: "upsert without pool", msg: msg(upsert, 2), prev: 1, wantErr: ErrProtocol},
		{name: "upsert of two pools", msg: msg(upsert, 2, online, online), prev: 1, wantErr: ErrProtocol},
		{name: "delete without name", msg: msg(del, 2, &agentv1.Pool{Uuid: "u"}), prev: 1, wantErr: ErrProtocol},
		{name: "snapshot of another node", msg: msg(snapshot, 1, online), first: true, node: "n2", wantErr: ErrWrongNode},
		{name: "upsert of another node", msg: msg(upsert, 2, online), prev: 1, node: "n2", wantErr: ErrWrongNode},
		{
			name: "a pool without a node is not checked", msg: msg(upsert, 2, &agentv1.Pool{Name: "p"}), prev: 1, node: "n2",
			want: WatchEvent{Type: WatchUpsert, Sequence: 2, Pool: reconcile.Pool{Name: "p"}}, wantOK: true,
		},
		{name: "unknown type is skipped", msg: msg(agentv1.WatchPoolsResponse_Type(9), 2), prev: 1, wantOK: false},
		{name: "unknown type first is an error", msg: msg(agentv1.WatchPoolsResponse_Type(9), 1), first: true, wantErr: ErrProtocol},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := eventFromProto(tc.msg, tc.first, tc.prev, tc.node)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if ok && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("event = %+v, want %+v", got, tc.want)
			}
		})
	}
}
