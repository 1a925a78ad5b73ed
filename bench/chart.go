package main

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// gatewayColors are the bars' colours, by gateway.
var gatewayColors = map[string]color.Color{
	custgraph:        color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	custgraphNoCache: color.RGBA{R: 0x7f, G: 0xb8, B: 0xe0, A: 0xff},
	custgraphRedis:   color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	mesh:             color.RGBA{R: 0xe3, G: 0x4a, B: 0x33, A: 0xff},
	tailcall:         color.RGBA{R: 0x9c, G: 0x5f, B: 0xc9, A: 0xff},
	tailcallDedupe:   color.RGBA{R: 0xcf, G: 0xb0, B: 0xe6, A: 0xff},
	bare:             color.RGBA{R: 0x80, G: 0x80, B: 0x80, A: 0xff},
}

// writeChart draws grouped bars: RPS per scenario, a bar per gateway with
// its value on top, on a log scale when the values span more than a
// factor of 30.
func writeChart(path string, plan []scenario, res results) error {
	var gws []string
	lo, hi := math.Inf(1), 0.0
	for _, gw := range gatewayOrder {
		found := false
		for _, sc := range plan {
			if c := res.get(sc.id, gw); c != nil && len(c.runs) > 0 && c.sum.RPS > 0 {
				found = true
				lo, hi = math.Min(lo, c.sum.RPS), math.Max(hi, c.sum.RPS)
			}
		}
		if found {
			gws = append(gws, gw)
		}
	}
	if len(gws) == 0 {
		lo, hi = 1, 1
	}
	sc := newScale(lo, hi)

	p := plot.New()
	p.Title.Text = "Requests per second, median of rounds (higher is better)"
	p.Y.Label.Text = "requests/s"
	if sc.log {
		p.Y.Label.Text = "requests/s (log scale)"
	}
	width := vg.Points(float64(min(22, 90/max(len(gws), 1))))
	for i, gw := range gws {
		vals := make(plotter.Values, len(plan))
		var at plotter.XYs
		var text []string
		for j, s := range plan {
			if c := res.get(s.id, gw); c != nil && len(c.runs) > 0 && c.sum.RPS > 0 {
				vals[j] = sc.y(c.sum.RPS)
				at = append(at, plotter.XY{X: float64(j), Y: vals[j]})
				text = append(text, compact(c.sum.RPS))
			}
		}
		bars, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return err
		}
		offset := vg.Length(float64(i)-float64(len(gws)-1)/2) * width
		bars.Color = gatewayColors[gw]
		bars.LineStyle.Width = 0
		bars.Offset = offset
		p.Add(bars)
		p.Legend.Add(gw, bars)
		if len(at) > 0 {
			labels, err := plotter.NewLabels(plotter.XYLabels{XYs: at, Labels: text})
			if err != nil {
				return err
			}
			for k := range labels.TextStyle {
				labels.TextStyle[k].Font.Size = vg.Points(8)
				labels.TextStyle[k].XAlign = draw.XCenter
			}
			labels.Offset = vg.Point{X: offset, Y: vg.Points(2)}
			p.Add(labels)
		}
	}
	var names []string
	for _, s := range plan {
		names = append(names, shortLabel(s))
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(plan))-0.4
	p.Legend.Top = true
	p.Y.Min, p.Y.Max = 0, sc.max()
	p.Y.Tick.Marker = sc
	p.Add(plotter.NewGrid())
	return p.Save(11*vg.Inch, 5*vg.Inch, path)
}

// scale maps RPS to the y axis: linear, or log10 from the power of ten
// below the smallest value (so that bars start there).
type scale struct {
	log      bool
	base, hi float64 // base: the exponent at y = 0
}

func newScale(lo, hi float64) scale {
	if hi/lo <= 30 {
		return scale{hi: hi}
	}
	// Half a decade below the smallest value at least, so that its bar shows.
	return scale{log: true, base: math.Floor(math.Log10(math.Max(lo, 1)) - 0.5), hi: hi}
}

func (s scale) y(v float64) float64 {
	if !s.log {
		return v
	}
	return math.Log10(math.Max(v, 1)) - s.base
}

// max leaves room above the highest bar for its label and the legend.
func (s scale) max() float64 {
	if !s.log {
		return s.hi * 1.25
	}
	return s.y(s.hi) + 0.45
}

// Ticks implements plot.Ticker: powers of ten on a log scale.
func (s scale) Ticks(lo, hi float64) []plot.Tick {
	if !s.log {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	var ticks []plot.Tick
	for e := math.Ceil(lo); e <= hi; e++ {
		ticks = append(ticks, plot.Tick{Value: e, Label: compact(math.Pow(10, e+s.base))})
		for m := 2.0; m < 10 && e+math.Log10(m) < hi; m++ { // minor ticks
			ticks = append(ticks, plot.Tick{Value: e + math.Log10(m)})
		}
	}
	return ticks
}

// shortLabel is "(a)" or "(a) 50ms": the x axis has no room for more.
func shortLabel(sc scenario) string {
	l := "(" + sc.meshKey + ")"
	if sc.id == "d" {
		l += " by id"
	}
	if sc.latency > 0 {
		l += " at " + sc.latency.String()
	}
	return l
}

// compact writes 1234 as 1.2k.
func compact(v float64) string {
	switch {
	case v >= 1e6:
		return trim(v/1e6) + "M"
	case v >= 1e3:
		return trim(v/1e3) + "k"
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

func trim(v float64) string {
	if v >= 100 || v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
