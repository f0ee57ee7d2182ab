package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"sync"

	"github.com/platbot/platbot/commands/scorecard/grade"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// gradeColors are the bar colours of A..F.
var gradeColors = [5]color.RGBA{
	{R: 0x2e, G: 0x9e, B: 0x44, A: 0xff}, // A green
	{R: 0x8c, G: 0xc6, B: 0x3f, A: 0xff}, // B light green
	{R: 0xf2, G: 0xc2, B: 0x1b, A: 0xff}, // C yellow
	{R: 0xf0, G: 0x7c, B: 0x1e, A: 0xff}, // D orange
	{R: 0xd6, G: 0x2d, B: 0x20, A: 0xff}, // E/F red
}

// unknownColor is the bar colour of "?" (no counted check known).
var unknownColor = color.RGBA{R: 0x9a, G: 0x9a, B: 0x9a, A: 0xff}

// incompleteColor is a grade's colour faded toward white: the bar part of
// the services whose grade is incomplete.
func incompleteColor(c color.RGBA) color.RGBA {
	fade := func(v uint8) uint8 { return uint8((int(v) + 2*0xff) / 3) }
	return color.RGBA{R: fade(c.R), G: fade(c.G), B: fade(c.B), A: 0xff}
}

// Color is the bar colour of grade g, faded when the grade is incomplete;
// GradeUnknown is grey.
func Color(g grade.Grade, incomplete bool) color.RGBA {
	k := 4 - g.Rank()
	if k < 0 || k >= 5 {
		return unknownColor
	}
	if incomplete {
		return incompleteColor(gradeColors[k])
	}
	return gradeColors[k]
}

// Chart size: 576×288 pixels at vgimg's 96 dpi.
const (
	chartWidth  = 6 * vg.Inch
	chartHeight = 3 * vg.Inch
)

// intTicks marks whole numbers of services only.
type intTicks struct{}

func (intTicks) Ticks(lo, hi float64) []plot.Tick {
	step := math.Max(1, math.Ceil((hi-lo)/5))
	var ts []plot.Tick
	for v := math.Ceil(lo); v <= hi; v += step {
		ts = append(ts, plot.Tick{Value: v, Label: strconv.Itoa(int(v))})
	}
	return ts
}

// pngBuffers reuses the encoder's buffers across charts.
var pngBuffers = &pngPool{}

type pngPool struct{ p sync.Pool }

func (p *pngPool) Get() *png.EncoderBuffer {
	if b, ok := p.p.Get().(*png.EncoderBuffer); ok {
		return b
	}
	return nil
}

func (p *pngPool) Put(b *png.EncoderBuffer) { p.p.Put(b) }

// Week is how many services had each grade in one week.
type Week struct {
	Label string
	// Counts are the complete letter grades A..F, Incomplete the letter
	// grades with an unknown counted check, Unknown the "?" grades.
	Counts     [5]int
	Incomplete [5]int
	Unknown    int
}

// Add counts one service with grade g.
func (w *Week) Add(g grade.Grade, incomplete bool) {
	switch k := 4 - g.Rank(); {
	case k >= 0 && k < 5 && incomplete:
		w.Incomplete[k]++
	case k >= 0 && k < 5:
		w.Counts[k]++
	case g == grade.GradeUnknown:
		w.Unknown++
	}
}

// Total is how many services the week counts.
func (w *Week) Total() int {
	t := w.Unknown
	for k := range w.Counts {
		t += w.Counts[k] + w.Incomplete[k]
	}
	return t
}

// chartSeries is one stacked bar series of the grade chart.
type chartSeries struct {
	label string
	color color.RGBA
	count func(w *Week) int
	// always is set for the letter grades, which stay in the legend even
	// when no service has them.
	always bool
}

// gradeSeries lists the bar series bottom-up: each letter grade, then its
// incomplete part (a faded bar, "A (incomplete)"), and "?" on top.
func gradeSeries() []chartSeries {
	var out []chartSeries
	for k := 0; k < 5; k++ {
		out = append(out,
			chartSeries{label: string(grade.Grades[k]), color: gradeColors[k], always: true, count: func(w *Week) int { return w.Counts[k] }},
			chartSeries{label: grade.Grades[k].Label(true), color: incompleteColor(gradeColors[k]), count: func(w *Week) int { return w.Incomplete[k] }})
	}
	return append(out, chartSeries{label: "? (no check known)", color: unknownColor, count: func(w *Week) int { return w.Unknown }})
}

// Render draws the grade distribution over weeks as stacked bars (A at
// the bottom) and returns it as a PNG. Incomplete grades are drawn faded
// and "?" grey, each with its legend entry when some week has one.
func Render(title string, weeks []Week) ([]byte, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "services"
	p.Y.Min = 0
	p.Legend.Top = true
	p.Legend.Left = false
	p.Legend.XOffs = -vg.Points(4)
	labels := make([]string, len(weeks))
	for i, w := range weeks {
		labels[i] = w.Label
	}
	var prev *plotter.BarChart
	maxTotal := 0
	for i := range weeks {
		maxTotal = max(maxTotal, weeks[i].Total())
	}
	entries := 0
	for _, sr := range gradeSeries() {
		vals := make(plotter.Values, len(weeks))
		shown := sr.always
		for i := range weeks {
			n := sr.count(&weeks[i])
			vals[i] = float64(n)
			shown = shown || n > 0
		}
		if !shown {
			continue
		}
		bc, err := plotter.NewBarChart(vals, vg.Points(22))
		if err != nil {
			return nil, fmt.Errorf("grade chart: %w", err)
		}
		bc.Color = sr.color
		bc.LineStyle.Width = 0
		if prev != nil {
			bc.StackOn(prev)
		}
		p.Add(bc)
		p.Legend.Add(sr.label, bc)
		entries++
		prev = bc
	}
	// Head room above the bars for the legend (top right), more for each
	// entry past the five grades.
	p.Y.Max = math.Max(float64(maxTotal)*(1+0.14*float64(entries)), float64(maxTotal)+0.6*float64(entries))
	p.Y.Tick.Marker = intTicks{}
	p.NominalX(labels...)
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	p.Add(grid)
	c := vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseBackgroundColor(color.White))
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	// BestSpeed: a flat-coloured chart compresses well anyway, and the
	// digest renders one per team.
	enc := png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: pngBuffers}
	if err := enc.Encode(&buf, c.Image()); err != nil {
		return nil, fmt.Errorf("grade chart: encode png: %w", err)
	}
	return buf.Bytes(), nil
}
