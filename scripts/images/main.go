// Command images writes a container image as an OCI image-layout tar
// archive from static binaries, with go-containerregistry and no Docker
// engine:
//
//	images -name ghcr.io/diskpool/diskpool-agent:dev -out agent.tar \
//	  -file /diskpool-agent=_output/images/bin/diskpool-agent \
//	  -entrypoint /diskpool-agent -label org.opencontainers.image.version=dev
//
// The image has one layer: the given files (mode 0755, owner root), a
// minimal /etc/passwd and /etc/group naming the nonroot user 65532, and an
// empty /tmp. No shell, no package manager. Every timestamp is
// SOURCE_DATE_EPOCH (0 when unset) and entries are written in a fixed order,
// so the same inputs give the same digest.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// nonRootID is the user and group the images run as (distroless's nonroot).
const nonRootID = 65532

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var (
		spec   imageSpec
		files  listFlag
		labels listFlag
		ports  listFlag
	)
	flag.StringVar(&spec.name, "name", "", "image reference recorded in the archive (e.g. ghcr.io/diskpool/diskpool-agent:dev)")
	flag.StringVar(&spec.out, "out", "", "output OCI archive (.tar)")
	flag.StringVar(&spec.entrypoint, "entrypoint", "", "entrypoint path inside the image")
	flag.StringVar(&spec.arch, "arch", "amd64", "image architecture")
	flag.Var(&files, "file", "dest=src: copy src to dest in the image (repeatable)")
	flag.Var(&labels, "label", "key=value OCI label (repeatable)")
	flag.Var(&ports, "expose", "port/proto exposed (repeatable)")
	flag.Parse()
	if spec.name == "" || spec.out == "" || spec.entrypoint == "" || len(files) == 0 {
		fmt.Fprintln(os.Stderr, "images: -name, -out, -entrypoint and at least one -file are required")
		os.Exit(2)
	}
	var err error
	if spec.files, err = splitPairs(files); err != nil {
		fail(err)
	}
	if spec.labels, err = pairMap(labels); err != nil {
		fail(err)
	}
	spec.ports = ports
	if spec.created, err = sourceDateEpoch(); err != nil {
		fail(err)
	}
	digest, err := build(spec)
	if err != nil {
		fail(err)
	}
	fmt.Printf("%s %s %s\n", spec.out, spec.name, digest)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "images:", err)
	os.Exit(1)
}

type pair struct{ key, value string }

func splitPairs(list []string) ([]pair, error) {
	out := make([]pair, 0, len(list))
	for _, s := range list {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("%q: want key=value", s)
		}
		out = append(out, pair{k, v})
	}
	return out, nil
}

func pairMap(list []string) (map[string]string, error) {
	pairs, err := splitPairs(list)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		m[p.key] = p.value
	}
	return m, nil
}

// sourceDateEpoch reads SOURCE_DATE_EPOCH (reproducible-builds.org).
func sourceDateEpoch() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: %w", s, err)
	}
	return time.Unix(n, 0).UTC(), nil
}
