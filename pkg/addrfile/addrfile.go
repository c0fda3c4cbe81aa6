// Package addrfile is the file in which diskpool-operator and diskpool-agent
// name the addresses their servers bound (--address-file). A test or the
// local environment starts them on port 0 and reads the file, so no port is
// ever chosen by one process for another to bind, which races with
// everything else on the machine.
//
// The file holds one "name host:port" line per server, e.g.
//
//	grpc 127.0.0.1:40321
//	metrics 127.0.0.1:36011
package addrfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Write writes addrs (server name to host:port) to path. It writes a
// temporary file and renames it over path, so a reader sees the whole file
// or none.
func Write(path string, addrs map[string]string) error {
	var b bytes.Buffer
	names := make([]string, 0, len(addrs))
	for n := range addrs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if n == "" || strings.ContainsAny(n, " \n") || strings.ContainsAny(addrs[n], " \n") {
			return fmt.Errorf("address file: server %q at %q: no spaces or newlines allowed", n, addrs[n])
		}
		fmt.Fprintf(&b, "%s %s\n", n, addrs[n])
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("address file: %w", err)
	}
	_, werr := tmp.Write(b.Bytes())
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("address file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("address file: %w", err)
	}
	return nil
}

// Read returns the addresses in path by server name. A missing file is an
// error satisfying errors.Is(err, fs.ErrNotExist): the server has not bound
// yet.
func Read(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		name, addr, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			return nil, fmt.Errorf("address file %s: line %q is not \"name host:port\"", path, sc.Text())
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("address file %s: server %s: %w", path, name, err)
		}
		out[name] = addr
	}
	return out, sc.Err()
}
