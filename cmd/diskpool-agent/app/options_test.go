package app

import (
	"flag"
	"net"
	"strings"
	"testing"
	"time"
)

func TestOptionsValidate(t *testing.T) {
	tls := []string{"--tls-cert-file=c", "--tls-key-file=k", "--tls-client-ca-file=ca"}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "insecure local", args: []string{"--node=n", "--insecure", "--no-lease"}},
		{name: "mtls with lease", args: append([]string{"--node=n", "--advertise-address=10.0.0.1"}, tls...)},
		{name: "no node", args: []string{"--insecure", "--no-lease"}, wantErr: "--node is required"},
		{name: "neither tls nor insecure", args: []string{"--node=n", "--no-lease"}, wantErr: "--insecure for plaintext"},
		{name: "partial tls", args: []string{"--node=n", "--no-lease", "--tls-cert-file=c"}, wantErr: "--insecure for plaintext"},
		{name: "tls and insecure", args: append([]string{"--node=n", "--no-lease", "--insecure"}, tls...), wantErr: "exclusive"},
		{name: "lease on all interfaces without advertise", args: []string{"--node=n", "--insecure"}, wantErr: "--advertise-address is required"},
		{name: "lease on loopback", args: []string{"--node=n", "--insecure", "--listen-address=127.0.0.1:10124"}},
		{name: "renew not shorter than duration", args: []string{"--node=n", "--insecure", "--advertise-address=a", "--lease-duration=20s", "--lease-renew-interval=20s"}, wantErr: "--lease-renew-interval"},
		{name: "bad listen address", args: []string{"--node=n", "--insecure", "--no-lease", "--listen-address=nope"}, wantErr: "--listen-address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewOptions()
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			o.AddFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			o.Complete()
			err := o.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestOptionsDefaultsAndRepeatable(t *testing.T) {
	o := NewOptions()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse([]string{"--disk=/dev/sdb", "--disk=/dev/disk/by-id/*", "--allowed-device-dir=/dev", "--allowed-device-dir=/srv/disks"}); err != nil {
		t.Fatal(err)
	}
	o.Complete()
	if len(o.Disks) != 2 || len(o.AllowedDeviceDirs) != 2 || o.ListenAddress != ":10124" || o.Namespace != "diskpool-system" ||
		o.LeaseDuration != 40*time.Second || o.LeaseRenewInterval != 10*time.Second {
		t.Fatalf("options = %+v", o)
	}
	o = NewOptions()
	o.Complete()
	if len(o.AllowedDeviceDirs) != 1 || o.AllowedDeviceDirs[0] != "/dev" {
		t.Fatalf("default allow-list = %v", o.AllowedDeviceDirs)
	}
}

func TestEndpoint(t *testing.T) {
	bound := &net.TCPAddr{IP: net.IPv4zero, Port: 10124}
	tests := []struct {
		advertise, want string
	}{
		{"", "0.0.0.0:10124"},
		{"10.1.2.3", "10.1.2.3:10124"},
		{"10.1.2.3:9000", "10.1.2.3:9000"},
		{"fd00::1", "[fd00::1]:10124"},
		{"[fd00::1]", "[fd00::1]:10124"},
		{"agent.example", "agent.example:10124"},
	}
	for _, tt := range tests {
		o := &Options{AdvertiseAddress: tt.advertise}
		if got := o.endpoint(bound); got != tt.want {
			t.Errorf("endpoint(%q) = %q, want %q", tt.advertise, got, tt.want)
		}
	}
}
