package disk

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// Schemes accepted in disk URIs besides a plain path. They name the I/O
// engine of the Mayastor data plane; this agent treats them alike.
var Schemes = []string{"aio", "uring"}

// ParseURI returns the absolute device path of disk: "/dev/sdb",
// "aio:///dev/sdb" and "uring:///dev/sdb" all give "/dev/sdb". Anything else
// (a relative path, another scheme, a host, a query) is an ErrInvalid error.
// The path is returned as written (not cleaned); Resolver decides what it
// may name.
func ParseURI(disk string) (string, error) {
	invalid := func(why string) error {
		return &Error{Disk: disk, Err: ErrInvalid, Msg: fmt.Sprintf("disk %q is not a valid disk: %s; use an absolute path such as /dev/sdb or aio:///dev/sdb", disk, why)}
	}
	switch {
	case disk == "":
		return "", invalid("it is empty")
	case strings.ContainsRune(disk, 0):
		return "", invalid("it contains a NUL byte")
	case strings.HasPrefix(disk, "/"):
		return disk, nil
	}
	u, err := url.Parse(disk)
	if err != nil {
		return "", invalid(err.Error())
	}
	if u.Scheme == "" {
		return "", invalid("it is not an absolute path")
	}
	known := false
	for _, s := range Schemes {
		if u.Scheme == s {
			known = true
		}
	}
	switch {
	case !known:
		return "", invalid(fmt.Sprintf("scheme %q is not one of %s", u.Scheme, strings.Join(Schemes, ", ")))
	case u.Opaque != "":
		return "", invalid("the path after the scheme must be absolute (three slashes: aio:///dev/sdb)")
	case u.Host != "" || u.User != nil:
		return "", invalid("a host is not allowed (use three slashes: aio:///dev/sdb)")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", invalid("a query or fragment is not allowed")
	case !filepath.IsAbs(u.Path):
		return "", invalid("the path is not absolute")
	}
	return u.Path, nil
}
