package scorecard

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"sync"

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

// weekDist is how many services had each grade (A..F) in one week.
type weekDist struct {
	Label  string
	Counts [5]int
}

// gradeChart draws the grade distribution over weeks as stacked bars (A at
// the bottom) and returns it as a PNG.
func gradeChart(title string, weeks []weekDist) ([]byte, error) {
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
		t := 0
		for _, n := range weeks[i].Counts {
			t += n
		}
		maxTotal = max(maxTotal, t)
	}
	for k := 0; k < 5; k++ {
		vals := make(plotter.Values, len(weeks))
		for i, w := range weeks {
			vals[i] = float64(w.Counts[k])
		}
		bc, err := plotter.NewBarChart(vals, vg.Points(22))
		if err != nil {
			return nil, fmt.Errorf("grade chart: %w", err)
		}
		bc.Color = gradeColors[k]
		bc.LineStyle.Width = 0
		if prev != nil {
			bc.StackOn(prev)
		}
		p.Add(bc)
		p.Legend.Add(string(Grades[k]), bc)
		prev = bc
	}
	// Head room above the bars for the legend (top right).
	p.Y.Max = math.Max(float64(maxTotal)*1.7, float64(maxTotal)+3)
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
