package report

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/hiddendim/hiddendim/bench"
)

// plotW and plotH size the plots: 6.5×3.4 in at vgimg's 96 dpi is 624×326
// pixels, two side by side on a laptop screen.
const plotW, plotH = 6.5 * vg.Inch, 3.4 * vg.Inch

// savePlot writes p as dir/plots/name.png and returns its path relative
// to dir.
func savePlot(dir, name string, p *plot.Plot) (string, error) {
	rel := filepath.Join("plots", name+".png")
	if err := os.MkdirAll(filepath.Join(dir, "plots"), 0o755); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	wt, err := p.WriterTo(plotW, plotH, "png")
	if err != nil {
		return "", fmt.Errorf("report: plot %s: %w", name, err)
	}
	f, err := os.Create(filepath.Join(dir, rel))
	if err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	if _, err := wt.WriteTo(f); err != nil {
		f.Close()
		return "", fmt.Errorf("report: plot %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	return filepath.ToSlash(rel), nil
}

// primaryPlot draws the board's primary metric by model, in rank order:
// the aggregate as a point with its 95% interval as an error bar, and each
// seed's value as a small grey dot beside it when there are several.
func primaryPlot(dir, name string, b bench.Board, recs []bench.Record, info bench.MetricInfo) (string, error) {
	p := plot.New()
	p.Title.Text = b.Task
	p.Y.Label.Text = arrow(b, b.Primary)
	var names []string
	var pts plotter.XYs
	var errs plotter.YErrors
	var seeds plotter.XYs
	for i, e := range b.Entries {
		names = append(names, e.Model)
		m, ok := e.Metrics[b.Primary]
		if !ok || !finite(m.Value) {
			continue
		}
		lo, hi := m.Value, m.Value
		if m.CI95 != nil && finite(m.CI95[0]) && finite(m.CI95[1]) {
			lo, hi = m.CI95[0], m.CI95[1]
		}
		pts = append(pts, plotter.XY{X: float64(i), Y: m.Value})
		errs = append(errs, struct{ Low, High float64 }{m.Value - lo, hi - m.Value})
		if len(e.Seeds) < 2 {
			continue
		}
		for _, r := range recs {
			if v, ok := r.Metrics[b.Primary]; ok && r.Model == e.Model && finite(v.Value) {
				seeds = append(seeds, plotter.XY{X: float64(i) + 0.15, Y: v.Value})
			}
		}
	}
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = 0
	if len(names) > 4 {
		p.X.Tick.Label.Rotation = 0.35
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	}
	p.Add(plotter.NewGrid())
	if len(pts) > 0 {
		ebars := &plotter.YErrorBars{XYs: pts, YErrors: errs, LineStyle: plotter.DefaultLineStyle, CapWidth: vg.Points(8)}
		ebars.LineStyle.Width = vg.Points(1.5)
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return "", fmt.Errorf("report: %s: %w", b.Task, err)
		}
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(4)
		sc.GlyphStyle.Color = color.RGBA{R: 31, G: 90, B: 168, A: 255}
		p.Add(ebars, sc)
	}
	if len(seeds) > 0 {
		sc, err := plotter.NewScatter(seeds)
		if err != nil {
			return "", fmt.Errorf("report: %s: %w", b.Task, err)
		}
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(2)
		sc.GlyphStyle.Color = color.Gray{Y: 120}
		p.Add(sc)
	}
	// A proportion is drawn on its whole range when the values are spread
	// over much of it, so that bars of different tasks compare by eye.
	p.X.Min, p.X.Max = -0.5, float64(len(names))-0.5
	if info.Max == 1 && info.Min == 0 && p.Y.Max-p.Y.Min > 0.3 {
		p.Y.Min, p.Y.Max = 0, 1
	}
	if p.Y.Min == p.Y.Max {
		p.Y.Min, p.Y.Max = p.Y.Min-0.5, p.Y.Max+0.5
	}
	return savePlot(dir, name+"-by-model", p)
}

// curvePlot draws each model's training loss by epoch: the mean over its
// seeds. It returns a note instead when no record of the task holds a
// curve.
func curvePlot(dir, name string, b bench.Board, recs []bench.Record) (string, string, error) {
	p := plot.New()
	p.Title.Text = b.Task + ": training loss"
	p.X.Label.Text, p.Y.Label.Text = "epoch", "mean batch loss"
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	drawn, missing := 0, 0
	for i, e := range b.Entries {
		var sum []float64
		var n []int
		for _, r := range recs {
			if r.Model != e.Model {
				continue
			}
			if len(r.Timings.EpochLoss) == 0 {
				missing++
			}
			for k, l := range r.Timings.EpochLoss {
				if len(sum) <= k {
					sum, n = append(sum, 0), append(n, 0)
				}
				if finite(l) {
					sum[k] += l
					n[k]++
				}
			}
		}
		var pts plotter.XYs
		for k := range sum {
			if n[k] > 0 {
				pts = append(pts, plotter.XY{X: float64(k + 1), Y: sum[k] / float64(n[k])})
			}
		}
		if len(pts) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return "", "", fmt.Errorf("report: %s: %w", b.Task, err)
		}
		line.Color, points.Color = plotutil.Color(i), plotutil.Color(i)
		line.Dashes = plotutil.Dashes(i / len(plotutil.DefaultColors))
		points.Shape = plotutil.Shape(i)
		p.Add(line, points)
		p.Legend.Add(e.Model, line, points)
		drawn++
	}
	if drawn == 0 {
		return "", "These records hold no training curve: they were written before bench recorded each epoch's loss (timings.epoch_loss). Training time per model is in the table.", nil
	}
	note := ""
	if missing > 0 {
		note = fmt.Sprintf("%s of this task hold no curve (written before bench recorded one).", plural(missing, "record"))
	}
	rel, err := savePlot(dir, name+"-training-loss", p)
	return rel, note, err
}
