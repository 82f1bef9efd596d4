package vae

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/fogleman/gg"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/models/latent"
)

// densityGrid is the side of the grid navigation.png's density contours
// are computed on, and densityK the k of its k-NN density.
const (
	densityGrid = 40
	densityK    = 10
)

// navigationPicture draws navigation.png: μ on its first two principal
// components with contours of its k-NN density there, the straight and
// valley paths of the kept examples projected on the same plane, and
// beneath, each path decoded, with how many of its images the realism
// judge accepted.
func navigationPicture(path string, a *LatentSpace, test *Split) error {
	p := plot.New()
	p.Title.Text = "μ on PC 1–2, k-NN density contours; lerp (dashed) and valley (solid) paths; ok = judged real"
	p.X.Label.Text, p.Y.Label.Text = "PC 1", "PC 2"
	proj := a.PCA.Project(a.Mu, 2)
	var pts plotter.XYs
	lo, hi := [2]float64{math.Inf(1), math.Inf(1)}, [2]float64{math.Inf(-1), math.Inf(-1)}
	for _, row := range proj {
		if len(row) < 2 {
			row = append(row, 0)
		}
		pts = append(pts, plotter.XY{X: row[0], Y: row[1]})
		for d := range 2 {
			lo[d], hi[d] = min(lo[d], row[d]), max(hi[d], row[d])
		}
	}
	if len(proj) > densityK {
		flat := make([][]float64, len(pts))
		for i, q := range pts {
			flat[i] = []float64{q.X, q.Y}
		}
		g := densityField{lo: lo, hi: hi, z: mat.NewDense(densityGrid, densityGrid, nil)}
		var levels []float64
		zmin, zmax := math.Inf(1), math.Inf(-1)
		for r := range densityGrid {
			for c := range densityGrid {
				v := math.Log(latent.DensityAt(flat, []float64{g.X(c), g.Y(r)}, densityK))
				g.z.Set(r, c, v)
				zmin, zmax = min(zmin, v), max(zmax, v)
			}
		}
		for l := 1; l < 8; l++ {
			levels = append(levels, zmin+(zmax-zmin)*float64(l)/8)
		}
		if zmax > zmin {
			p.Add(plotter.NewContour(g, levels, moreland.SmoothBlueRed().Palette(len(levels))))
		}
	}
	s, err := plotter.NewScatter(pts)
	if err != nil {
		return err
	}
	s.GlyphStyle.Color = color.Gray{Y: 150}
	s.GlyphStyle.Radius = vg.Points(1)
	p.Add(s)
	var labels []string
	var rows [][]image.Image
	for e, ex := range a.Navigation {
		for _, kind := range []struct {
			name   string
			codes  [][]float64
			images [][]float32
			valid  []bool
			dashed bool
		}{{"lerp", ex.Straight, ex.StraightImages, ex.StraightValid, true}, {"valley", ex.Valley, ex.ValleyImages, ex.ValleyValid, false}} {
			if len(kind.codes) == 0 {
				continue
			}
			var line plotter.XYs
			for _, row := range a.PCA.Project(kind.codes, 2) {
				if len(row) < 2 {
					row = append(row, 0)
				}
				line = append(line, plotter.XY{X: row[0], Y: row[1]})
			}
			l, err := plotter.NewLine(line)
			if err != nil {
				return err
			}
			l.Color, l.Width = plotutil.Color(e), vg.Points(2)
			if kind.dashed {
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			}
			p.Add(l)
			p.Legend.Add(fmt.Sprintf("%s %d->%d", kind.name, ex.From, ex.To), l)
			n := 0
			var row []image.Image
			for i, x := range kind.images {
				row = append(row, bench.CHWImage(x, test.Images.Shape))
				if kind.valid[i] {
					n++
				}
			}
			labels = append(labels, fmt.Sprintf("%s %d-%d: %d/%d ok", kind.name, ex.From, ex.To, n, len(kind.images)))
			rows = append(rows, row)
		}
	}
	p.Legend.Top = true
	const w, h = 8 * vg.Inch, 6 * vg.Inch
	c := vgimg.New(w, h)
	p.Draw(draw.New(c))
	top := c.Image()
	out := top.(image.Image)
	if len(rows) > 0 {
		strips, err := drawStrips(labels, rows, stripScale(test.Images.Shape))
		if err != nil {
			return err
		}
		tb, sb := top.Bounds(), strips.Bounds()
		dc := gg.NewContext(max(tb.Dx(), sb.Dx()), tb.Dy()+sb.Dy())
		dc.SetColor(color.White)
		dc.Clear()
		dc.DrawImage(top, 0, 0)
		dc.DrawImage(strips, 0, tb.Dy())
		out = dc.Image()
	}
	return gg.NewContextForImage(out).SavePNG(path)
}

// densityField adapts a grid of log densities over [lo, hi] to
// plotter.GridXYZ: column c, row r.
type densityField struct {
	lo, hi [2]float64
	z      *mat.Dense
}

func (g densityField) Dims() (c, r int)   { r, c = g.z.Dims(); return c, r }
func (g densityField) Z(c, r int) float64 { return g.z.At(r, c) }
func (g densityField) X(c int) float64 {
	return g.lo[0] + (g.hi[0]-g.lo[0])*float64(c)/float64(densityGrid-1)
}
func (g densityField) Y(r int) float64 {
	return g.lo[1] + (g.hi[1]-g.lo[1])*float64(r)/float64(densityGrid-1)
}

// hierarchyPicture draws hierarchy.png: the part–whole dendrogram, its
// leaves coloured by what they are (a whole, or the slot of a part) above
// a band coloured by the composite they belong to, so that a whole with
// its parts under one branch shows as a run of one band colour.
func hierarchyPicture(path string, h *HierarchyExample, coph, purity float64) error {
	dg := h.Dendrogram
	if dg.Leaves < 2 {
		return fmt.Errorf("a dendrogram of %d leaves", dg.Leaves)
	}
	const margin, top, plotH, legendH = 40.0, 40.0, 360.0, 60.0
	step := max(6.0, 1000.0/float64(dg.Leaves))
	width := 2*margin + step*float64(dg.Leaves)
	dc := gg.NewContext(int(width), int(top+plotH+legendH+40))
	dc.SetColor(color.White)
	dc.Clear()
	face, err := stripFace()
	if err != nil {
		return err
	}
	defer face.Close()
	dc.SetFontFace(face)
	dc.SetColor(color.Black)
	dc.DrawString(fmt.Sprintf("average-linkage dendrogram of wholes and parts: cophenetic correlation with the part-whole tree %.3f, purity %.3f", coph, purity), margin, 20)

	hmax := dg.Merges[len(dg.Merges)-1].Height
	yOf := func(height float64) float64 { return top + plotH - plotH*height/max(hmax, 1e-12) }
	x := make([]float64, dg.Leaves+len(dg.Merges))
	y := make([]float64, len(x))
	for pos, leaf := range dg.Order() {
		x[leaf], y[leaf] = margin+step*(float64(pos)+0.5), yOf(0)
	}
	dc.SetLineWidth(1)
	dc.SetRGB(0.3, 0.3, 0.3)
	for i, m := range dg.Merges {
		node := dg.Leaves + i
		x[node], y[node] = (x[m.A]+x[m.B])/2, yOf(m.Height)
		dc.DrawLine(x[m.A], y[m.A], x[m.A], y[node])
		dc.DrawLine(x[m.B], y[m.B], x[m.B], y[node])
		dc.DrawLine(x[m.A], y[node], x[m.B], y[node])
		dc.Stroke()
	}
	slotColor := func(s int) color.Color {
		if s < 0 {
			return color.Black
		}
		return plotutil.Color(s)
	}
	for leaf := range dg.Leaves {
		dc.SetColor(slotColor(h.Slot[leaf]))
		dc.DrawCircle(x[leaf], y[leaf]+4, max(2, step/3))
		dc.Fill()
		dc.SetColor(plotutil.Color(h.Group[leaf] % 7))
		dc.DrawRectangle(x[leaf]-step/2, y[leaf]+10, step, 8)
		dc.Fill()
	}
	lx, ly := margin, top+plotH+45
	for s := -1; s < len(h.SlotNames); s++ {
		name := "whole"
		if s >= 0 {
			name = h.SlotNames[s]
		}
		dc.SetColor(slotColor(s))
		dc.DrawCircle(lx+5, ly-4, 4)
		dc.Fill()
		dc.SetColor(color.Black)
		dc.DrawString(name, lx+14, ly)
		w, _ := dc.MeasureString(name)
		lx += w + 34
	}
	dc.DrawString("band beneath: which whole a leaf belongs to (colours repeat every 7)", lx+10, ly)
	return dc.SavePNG(path)
}
