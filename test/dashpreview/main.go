// Command dashpreview draws a PNG preview of the Grafana dashboard
// (manifests/components/monitoring/dashboard.json) from the metrics samples
// a bench run wrote with -samples: every panel of the dashboard at its grid
// position, with its title, unit, colours and legend, over the run's time in
// seconds.
//
//	go run ./test/bench -n 1000 -k 4 -samples /tmp/samples.jsonl
//	go -C test/dashpreview run . -samples /tmp/samples.jsonl
//
// It is a module of its own, so golang.org/x/image (its fonts and paths)
// stays out of the product's go.mod; the default paths are relative to
// test/dashpreview, where `go -C` runs it. See docs/dashboard.md.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
)

func main() {
	samplesPath := flag.String("samples", "", "JSON-lines samples written by test/bench -samples (required)")
	out := flag.String("out", "../../docs/dashboard.png", "PNG to write (default: the docs image, from test/dashpreview)")
	dashPath := flag.String("dashboard", "../../manifests/components/monitoring/dashboard.json", "Grafana dashboard JSON whose panels are drawn (default: the shipped one, from test/dashpreview)")
	at := flag.Float64("at", -1, "time (s into the run) of the stat and bar gauge panels; negative: the last sample with the most Created pools")
	width := flag.Int("width", 1800, "image width in pixels")
	flag.Parse()
	if *samplesPath == "" {
		fmt.Fprintln(os.Stderr, "dashpreview: -samples is required")
		os.Exit(2)
	}
	if err := run(*samplesPath, *dashPath, *out, options{Width: *width, At: *at}); err != nil {
		fmt.Fprintln(os.Stderr, "dashpreview:", err)
		os.Exit(1)
	}
}

func run(samplesPath, dashPath, out string, o options) error {
	d, err := readDashboard(dashPath)
	if err != nil {
		return err
	}
	f, err := os.Open(samplesPath)
	if err != nil {
		return err
	}
	s, err := readSamples(f)
	_ = f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", samplesPath, err)
	}
	if o.Label == "" {
		o.Label = label(s.Meta)
	}
	img, _, err := render(d, s, o)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := encode(&buf, img); err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: %dx%d, %d samples over %.0f s, %s\n", out, img.Bounds().Dx(), img.Bounds().Dy(),
		len(s.Samples), s.Samples[len(s.Samples)-1].T, o.Label)
	return nil
}

func readDashboard(path string) (*dashboard, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(d.Panels) == 0 {
		return nil, fmt.Errorf("%s: no panels", path)
	}
	return &d, nil
}

func encode(w io.Writer, img image.Image) error {
	return (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(w, img)
}
