package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// Grafana's dark theme, roughly.
var (
	colBackground = rgb(0x111217)
	colPanel      = rgb(0x181b1f)
	colBorder     = rgb(0x2c3235)
	colGrid       = rgb(0x24282d)
	colText       = rgb(0xd8d9da)
	colMuted      = rgb(0x8e8e8e)
	colMarker     = rgb(0x5f6266)
)

// Grafana's named colours used by the dashboard's overrides and thresholds,
// and its classic palette for series without an override.
var namedColors = map[string]color.RGBA{
	"green":      rgb(0x73bf69),
	"dark-green": rgb(0x37872d),
	"orange":     rgb(0xff9830),
	"red":        rgb(0xf2495c),
	"dark-red":   rgb(0xc4162a),
	"purple":     rgb(0xb877d9),
	"blue":       rgb(0x5794f2),
	"yellow":     rgb(0xfade2a),
	"text":       colText,
}

var palette = []color.RGBA{
	rgb(0x7eb26d), rgb(0xeab839), rgb(0x6ed0e0), rgb(0xef843c), rgb(0xe24d42), rgb(0x1f78c1),
	rgb(0xba43a9), rgb(0x705da0), rgb(0x508642), rgb(0xcca300), rgb(0x447ebc), rgb(0xc15c17),
}

func rgb(v uint32) color.RGBA {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

// withAlpha is c at opacity a, premultiplied as image.RGBA wants it.
func withAlpha(c color.RGBA, a float64) color.RGBA {
	return color.RGBA{R: uint8(float64(c.R) * a), G: uint8(float64(c.G) * a), B: uint8(float64(c.B) * a), A: uint8(255 * a)}
}

type fonts struct {
	title, text, small, big, header font.Face
}

func loadFonts() (*fonts, error) {
	reg, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, err
	}
	bold, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, err
	}
	face := func(f *opentype.Font, size float64) (font.Face, error) {
		return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	}
	var fs fonts
	for _, x := range []struct {
		dst  *font.Face
		f    *opentype.Font
		size float64
	}{{&fs.title, bold, 15}, {&fs.text, reg, 13}, {&fs.small, reg, 11.5}, {&fs.big, bold, 30}, {&fs.header, bold, 22}} {
		if *x.dst, err = face(x.f, x.size); err != nil {
			return nil, err
		}
	}
	return &fs, nil
}

type canvas struct {
	img *image.RGBA
}

func (c *canvas) fill(r image.Rectangle, col color.Color) {
	draw.Draw(c.img, r, image.NewUniform(col), image.Point{}, draw.Over)
}

// border draws a one-pixel outline inside r.
func (c *canvas) border(r image.Rectangle, col color.Color) {
	c.fill(image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+1), col)
	c.fill(image.Rect(r.Min.X, r.Max.Y-1, r.Max.X, r.Max.Y), col)
	c.fill(image.Rect(r.Min.X, r.Min.Y, r.Min.X+1, r.Max.Y), col)
	c.fill(image.Rect(r.Max.X-1, r.Min.Y, r.Max.X, r.Max.Y), col)
}

// text draws s with its baseline at (x, y); align 0 left, 1 right, 0.5
// centred. It returns the width drawn.
func (c *canvas) text(face font.Face, s string, x, y int, col color.Color, align float64) int {
	d := font.Drawer{Dst: c.img, Src: image.NewUniform(col), Face: face}
	w := d.MeasureString(s).Ceil()
	d.Dot = fixed.P(x-int(math.Round(float64(w)*align)), y)
	d.DrawString(s)
	return w
}

func textWidth(face font.Face, s string) int {
	return font.MeasureString(face, s).Ceil()
}

// fit shortens s with an ellipsis to at most w pixels.
func fit(face font.Face, s string, w int) string {
	if textWidth(face, s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 1 && textWidth(face, string(r)+"…") > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

type pt struct{ x, y float64 }

// paths draws antialiased shapes clipped to r, in r's pixel coordinates
// offset by r.Min.
type paths struct {
	c *canvas
	r image.Rectangle
	z *vector.Rasterizer
}

func (c *canvas) paths(r image.Rectangle) *paths {
	return &paths{c: c, r: r, z: vector.NewRasterizer(r.Dx(), r.Dy())}
}

func (p *paths) local(q pt) (float32, float32) {
	return float32(q.x - float64(p.r.Min.X)), float32(q.y - float64(p.r.Min.Y))
}

// polygon adds a closed polygon, always wound the same way: the
// rasterizer adds signed areas, so overlapping shapes of opposite winding
// would cancel.
func (p *paths) polygon(pts []pt) {
	if len(pts) < 3 {
		return
	}
	var area float64
	for i := range pts {
		j := (i + 1) % len(pts)
		area += pts[i].x*pts[j].y - pts[j].x*pts[i].y
	}
	if area < 0 {
		rev := make([]pt, len(pts))
		for i := range pts {
			rev[i] = pts[len(pts)-1-i]
		}
		pts = rev
	}
	p.z.MoveTo(p.local(pts[0]))
	for _, q := range pts[1:] {
		p.z.LineTo(p.local(q))
	}
	p.z.ClosePath()
}

// line adds a polyline of width w as one quad per segment.
func (p *paths) line(pts []pt, w float64) {
	h := w / 2
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		dx, dy := b.x-a.x, b.y-a.y
		l := math.Hypot(dx, dy)
		if l == 0 {
			continue
		}
		nx, ny := -dy/l*h, dx/l*h
		// Extend each segment by half the width so joints have no notch.
		ex, ey := dx/l*h*0.5, dy/l*h*0.5
		p.polygon([]pt{{a.x + nx - ex, a.y + ny - ey}, {b.x + nx + ex, b.y + ny + ey}, {b.x - nx + ex, b.y - ny + ey}, {a.x - nx - ex, a.y - ny - ey}})
	}
}

// draw paints what was added in col and starts over.
func (p *paths) draw(col color.RGBA) {
	p.z.Draw(p.c.img, p.r, image.NewUniform(col), image.Point{})
	p.z.Reset(p.r.Dx(), p.r.Dy())
}

// dashedV draws a dashed vertical line.
func (c *canvas) dashedV(x, y0, y1 int, col color.Color) {
	for y := y0; y < y1; y += 6 {
		c.fill(image.Rect(x, y, x+1, min(y+3, y1)), col)
	}
}

// Units as Grafana formats them (the dashboard's fieldConfig unit).
func format(unit string, v float64) string {
	switch unit {
	case "bytes":
		return formatBytes(v)
	case "s":
		return formatSeconds(v)
	case "ops":
		return formatShort(v) + " ops/s"
	case "percentunit":
		return trimFloat(v*100, 1) + "%"
	default:
		return formatShort(v)
	}
}

func formatBytes(v float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for math.Abs(v) >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return trimFloat(v, 2) + " " + units[i]
}

func formatSeconds(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0 s"
	case a < 1e-3:
		return trimFloat(v*1e6, 1) + " µs"
	case a < 1:
		return trimFloat(v*1e3, 1) + " ms"
	default:
		return trimFloat(v, 2) + " s"
	}
}

func formatShort(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return trimFloat(v/1e6, 2) + " M"
	case a >= 1e4:
		return trimFloat(v/1e3, 1) + " K"
	case a >= 100 || a == 0:
		return trimFloat(v, 0)
	case a >= 1:
		return trimFloat(v, 2)
	default:
		return trimFloat(v, 3)
	}
}

// trimFloat formats v with at most prec decimals, without trailing zeros.
func trimFloat(v float64, prec int) string {
	s := fmt.Sprintf("%.*f", prec, v)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// niceStep is a 1-2-5 step giving about n intervals over span.
func niceStep(span float64, n int) float64 {
	if span <= 0 || n < 1 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

// niceBytesStep is a power-of-two multiple of a binary unit, so byte axes
// read 256 MiB, 512 MiB, 1 GiB.
func niceBytesStep(span float64, n int) float64 {
	raw := span / float64(n)
	step := 1.0
	for step < raw {
		step *= 2
	}
	return step
}
