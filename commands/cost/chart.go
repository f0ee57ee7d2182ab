package cost

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"github.com/platbot/platbot/bot"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Sparkline size: a small chart that sits under a message.
const (
	sparkWidth  = 4 * vg.Inch
	sparkHeight = 1 * vg.Inch
)

// Sparkline renders daily values as a small PNG line chart with the area
// below it filled, no axes, and the last day marked.
func Sparkline(values []float64) ([]byte, error) {
	if len(values) == 0 {
		return nil, fmt.Errorf("sparkline: no values")
	}
	pts := make(plotter.XYs, len(values))
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = 0
		}
		pts[i].X, pts[i].Y = float64(i), v
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if len(pts) == 1 {
		pts = append(pts, plotter.XY{X: 1, Y: pts[0].Y})
	}
	p := plot.New()
	p.HideAxes()
	p.BackgroundColor = color.White
	line, err := plotter.NewLine(pts)
	if err != nil {
		return nil, fmt.Errorf("sparkline: %w", err)
	}
	line.Color = color.NRGBA{R: 0x1d, G: 0x6f, B: 0xd1, A: 0xff}
	line.Width = vg.Points(1.5)
	line.FillColor = color.NRGBA{R: 0x1d, G: 0x6f, B: 0xd1, A: 0x40}
	last, err := plotter.NewScatter(pts[len(pts)-1:])
	if err != nil {
		return nil, fmt.Errorf("sparkline: %w", err)
	}
	last.Color = color.NRGBA{R: 0xd1, G: 0x3b, B: 0x1d, A: 0xff}
	last.Radius = vg.Points(2.5)
	p.Add(line, last)
	// Scale to the data's range, as sparklines do, so day-to-day movement
	// shows; a flat series sits mid-height.
	pad := (hi - lo) * 0.15
	if pad == 0 {
		pad = math.Max(math.Abs(hi)*0.5, 1)
	}
	p.Y.Min, p.Y.Max = math.Max(0, lo-pad), hi+pad
	p.X.Min, p.X.Max = 0, float64(len(pts)-1)
	w, err := p.WriterTo(sparkWidth, sparkHeight, "png")
	if err != nil {
		return nil, fmt.Errorf("sparkline: %w", err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("sparkline: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// formatMoney renders an amount: "$12,345" from 10 up, "$9.87" below
// (bot.Money).
func formatMoney(symbol string, v float64) string { return bot.Money(symbol, v) }

// formatSigned renders a change: "+$1,200" or "-$35.10".
func formatSigned(symbol string, v float64) string {
	if v >= 0 {
		return "+" + formatMoney(symbol, v)
	}
	return formatMoney(symbol, v)
}

// formatPercent renders "12%" from 10 up, "4.5%" below.
func formatPercent(v float64) string {
	if math.Abs(v) >= 10 {
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64) + "%"
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) + "%"
}
