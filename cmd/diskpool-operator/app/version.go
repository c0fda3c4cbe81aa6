package app

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set at build time with -ldflags "-X .../app.version=v0.1.0 -X .../app.gitCommit=...".
var (
	version   = "dev"
	gitCommit = ""
)

// VersionString describes the binary: version, commit (from the linker
// flag, else from the Go build info) and Go version.
func VersionString() string {
	commit := gitCommit
	if commit == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					commit = s.Value
				}
			}
		}
	}
	if commit == "" {
		commit = "unknown"
	}
	return fmt.Sprintf("diskpool-operator %s (commit %s, %s, %s/%s)", version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
