package disk

import (
	"errors"
	"testing"
)

func TestParseURI(t *testing.T) {
	tests := []struct {
		disk    string
		want    string
		wantErr bool
	}{
		{disk: "/dev/sdb", want: "/dev/sdb"},
		{disk: "/dev/disk/by-id/wwn-0x5000", want: "/dev/disk/by-id/wwn-0x5000"},
		{disk: "aio:///dev/sdb", want: "/dev/sdb"},
		{disk: "uring:///dev/nvme0n1", want: "/dev/nvme0n1"},
		{disk: "/dev/../etc/passwd", want: "/dev/../etc/passwd"}, // Resolver refuses it
		{disk: "", wantErr: true},
		{disk: "sdb", wantErr: true},
		{disk: "dev/sdb", wantErr: true},
		{disk: "aio://dev/sdb", wantErr: true},      // host "dev"
		{disk: "aio:/dev/sdb", want: "/dev/sdb"},    // single slash parses as path
		{disk: "aio:dev/sdb", wantErr: true},        // opaque
		{disk: "file:///dev/sdb", wantErr: true},    // unknown scheme
		{disk: "nvmf://host/nqn", wantErr: true},    // unknown scheme
		{disk: "aio:///dev/sdb?x=1", wantErr: true}, // query
		{disk: "aio:///dev/sdb#f", wantErr: true},   // fragment
		{disk: "aio://user@/dev/sdb", wantErr: true},
		{disk: "/dev/sd\x00b", wantErr: true},
		{disk: "aio://", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.disk, func(t *testing.T) {
			got, err := ParseURI(tt.disk)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("ParseURI(%q) = %q, %v; want ErrInvalid", tt.disk, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseURI(%q) = %q, %v; want %q", tt.disk, got, err, tt.want)
			}
		})
	}
}
