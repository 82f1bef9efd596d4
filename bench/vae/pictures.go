package vae

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fogleman/gg"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/models"
	"github.com/hiddendim/hiddendim/models/latent"
)

// AnalyzeFiles are the pictures and summary Analyze writes whatever the
// data (`hiddendim analyze`); data with parts adds arithmetic.png and
// hierarchy.png.
var AnalyzeFiles = []string{"reconstructions.png", "latent_pca.png", "som_umatrix.png", "interpolation.png", "navigation.png", "training.png", "summary.json"}

// WritePictures writes the analysis as pictures into dir: input and
// reconstruction rows, a 2-D PCA scatter of μ coloured by class, the SOM's
// U-matrix with each unit's majority class, linear and spherical
// interpolation strips, straight and valley paths over the codes' density
// (navigation.png), arithmetic examples and the part–whole dendrogram
// (when the data has parts), the training curve, and summary.json. It
// returns the files written.
func WritePictures(dir string, v *models.VAE, a *LatentSpace, test *Split, losses []float64, summary any) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("vae: %w", err)
	}
	var files []string
	add := func(name string, err error) error {
		if err != nil {
			return fmt.Errorf("vae: %s: %w", name, err)
		}
		files = append(files, filepath.Join(dir, name))
		return nil
	}
	shape := test.Images.Shape
	n := min(16, len(a.Recon))
	var orig, rec []image.Image
	for i := range n {
		orig = append(orig, bench.CHWImage(test.Images.Image(i), shape))
		rec = append(rec, bench.CHWImage(a.Recon[i], shape))
	}
	if err := add("reconstructions.png", saveStrips(filepath.Join(dir, "reconstructions.png"), []string{"input", "from μ"}, [][]image.Image{orig, rec}, stripScale(shape))); err != nil {
		return files, err
	}
	if err := add("latent_pca.png", pcaScatter(filepath.Join(dir, "latent_pca.png"), a, test)); err != nil {
		return files, err
	}
	if err := add("som_umatrix.png", uMatrixPlot(filepath.Join(dir, "som_umatrix.png"), a, test)); err != nil {
		return files, err
	}
	labels, strips, err := interpolationStrips(v, a, test)
	if err != nil {
		return files, err
	}
	if err := add("interpolation.png", saveStrips(filepath.Join(dir, "interpolation.png"), labels, strips, stripScale(shape))); err != nil {
		return files, err
	}
	if err := add("navigation.png", navigationPicture(filepath.Join(dir, "navigation.png"), a, test)); err != nil {
		return files, err
	}
	if a.Hierarchy != nil {
		if err := add("hierarchy.png", hierarchyPicture(filepath.Join(dir, "hierarchy.png"), a.Hierarchy, a.Metrics["cophenetic_part_whole"], a.Metrics["dendrogram_purity_part_whole"])); err != nil {
			return files, err
		}
	}
	if len(a.Arithmetic) > 0 {
		var rows [][]image.Image
		var names []string
		for i, ex := range a.Arithmetic {
			names = append(names, fmt.Sprintf("case %d", i+1))
			var row []image.Image
			for _, x := range append(append([][]float32{}, ex.Parts...), ex.Added, ex.Operator, ex.Whole) {
				if x == nil {
					row = append(row, nil) // an empty slot keeps the columns aligned
					continue
				}
				row = append(row, bench.CHWImage(x, shape))
			}
			rows = append(rows, row)
		}
		names = append([]string{strings.Join(append(slices.Clone(test.Parts.SlotNames), "sum - (k-1) bg", "operator", "true"), " | ")}, names...)
		rows = append([][]image.Image{nil}, rows...)
		if err := add("arithmetic.png", saveStrips(filepath.Join(dir, "arithmetic.png"), names, rows, stripScale(shape))); err != nil {
			return files, err
		}
	}
	if err := add("training.png", trainingCurve(filepath.Join(dir, "training.png"), losses)); err != nil {
		return files, err
	}
	b, err := json.MarshalIndent(summary, "", "  ")
	if err != nil {
		return files, err
	}
	return files, add("summary.json", os.WriteFile(filepath.Join(dir, "summary.json"), append(b, '\n'), 0o644))
}

// stripFace is the embedded Go font, which has μ and the other Greek
// letters that the basic bitmap font dropped.
func stripFace() (font.Face, error) {
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("vae: the label font: %w", err)
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: 12, DPI: 72, Hinting: font.HintingFull})
}

// saveStrips draws rows of images, each row after its label, scaled up
// by scale (nearest neighbour), on a dark gray background.
func saveStrips(path string, labels []string, rows [][]image.Image, scale int) error {
	img, err := drawStrips(labels, rows, scale)
	if err != nil {
		return err
	}
	return gg.NewContextForImage(img).SavePNG(path)
}

// stripScale is how much strips enlarge images of a shape: three times
// up to 64 pixels (shapes, relations), not at all above (128-pixel
// pages are legible as they are).
func stripScale(shape [3]int) int {
	if max(shape[1], shape[2]) > 64 {
		return 1
	}
	return 3
}

// drawStrips is saveStrips' picture; a nil image leaves its cell empty.
func drawStrips(labels []string, rows [][]image.Image, scale int) (image.Image, error) {
	const pad, labelW, lineH = 4, 150, 14
	cell := 0
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
		for _, im := range r {
			if im != nil {
				cell = max(cell, im.Bounds().Dx()*scale)
			}
		}
	}
	height := 0
	for _, r := range rows {
		if len(r) == 0 {
			height += lineH + pad
		} else {
			height += cell + pad
		}
	}
	dc := gg.NewContext(labelW+cols*(cell+pad)+pad, height+pad)
	dc.SetRGB(0.15, 0.15, 0.15)
	dc.Clear()
	face, err := stripFace()
	if err != nil {
		return nil, err
	}
	defer face.Close()
	dc.SetFontFace(face)
	y := pad
	for i, r := range rows {
		dc.SetColor(color.White)
		if len(r) == 0 {
			dc.DrawString(labels[i], float64(pad), float64(y+lineH-3))
			y += lineH + pad
			continue
		}
		dc.DrawString(labels[i], float64(pad), float64(y+cell/2+5))
		for j, im := range r {
			if im != nil {
				dc.DrawImage(bench.Upscale(im, scale), labelW+j*(cell+pad), y)
			}
		}
		y += cell + pad
	}
	return dc.Image(), nil
}

// interpolationStrips decodes, for up to four pairs of test images of
// different classes, a linear and a spherical path of 8 steps.
func interpolationStrips(v *models.VAE, a *LatentSpace, test *Split) ([]string, [][]image.Image, error) {
	first := map[int]int{}
	for i, c := range test.Class {
		if _, ok := first[c]; !ok {
			first[c] = i
		}
	}
	var labels []string
	var rows [][]image.Image
	for c := 0; c+1 < len(test.ClassNames) && len(rows) < 8; c += 2 {
		i, ok1 := first[c]
		j, ok2 := first[c+1]
		if !ok1 || !ok2 {
			continue
		}
		for _, spherical := range []bool{false, true} {
			path := latent.Path(a.Mu[i], a.Mu[j], 8, spherical)
			imgs, err := v.Decode(to32(path), 8)
			if err != nil {
				return nil, nil, err
			}
			var row []image.Image
			for _, x := range imgs {
				row = append(row, bench.CHWImage(x, test.Images.Shape))
			}
			kind := "lerp"
			if spherical {
				kind = "slerp"
			}
			labels = append(labels, fmt.Sprintf("%s %d->%d", kind, i, j))
			rows = append(rows, row)
		}
	}
	return labels, rows, nil
}

func to32(zs [][]float64) [][]float32 {
	out := make([][]float32, len(zs))
	for i, z := range zs {
		for _, x := range z {
			out[i] = append(out[i], float32(x))
		}
	}
	return out
}

func pcaScatter(path string, a *LatentSpace, test *Split) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("μ on its first two principal components (%.0f%% of the variance)", 100*(a.PCA.Explained[0]+a.PCA.Explained[min(1, len(a.PCA.Explained)-1)]))
	p.X.Label.Text, p.Y.Label.Text = "PC 1", "PC 2"
	proj := a.PCA.Project(a.Mu, 2)
	for c, name := range test.ClassNames {
		var pts plotter.XYs
		for i, row := range proj {
			if test.Class[i] == c && len(row) > 1 {
				pts = append(pts, plotter.XY{X: row[0], Y: row[1]})
			}
		}
		if len(pts) == 0 {
			continue
		}
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		s.GlyphStyle.Color = plotutil.Color(c)
		s.GlyphStyle.Shape = plotutil.Shape(c / 7)
		s.GlyphStyle.Radius = vg.Points(1.5)
		p.Add(s)
		p.Legend.Add(name, s)
	}
	p.Legend.Top = true
	return p.Save(8*vg.Inch, 6*vg.Inch, path)
}

// umGrid adapts a U-matrix to plotter.GridXYZ: column c, row r at (c, r).
type umGrid struct{ m *mat.Dense }

func (g umGrid) Dims() (c, r int)   { r, c = g.m.Dims(); return c, r }
func (g umGrid) Z(c, r int) float64 { return g.m.At(r, c) }
func (g umGrid) X(c int) float64    { return float64(c) }
func (g umGrid) Y(r int) float64    { return float64(r) }

func uMatrixPlot(path string, a *LatentSpace, test *Split) error {
	u := a.SOM.UMatrix()
	m := mat.NewDense(a.SOM.Rows, a.SOM.Cols, nil)
	for r := range u {
		m.SetRow(r, u[r])
	}
	pal := moreland.SmoothBlueRed().Palette(64)
	p := plot.New()
	p.Title.Text = fmt.Sprintf("SOM U-matrix (%d×%d): bright = cluster borders; label = majority class", a.SOM.Rows, a.SOM.Cols)
	p.Add(plotter.NewHeatMap(umGrid{m}, pal))
	labels := a.SOM.UnitLabels(a.Mu, test.Class)
	var xyl plotter.XYLabels
	for unit, l := range labels {
		if l < 0 {
			continue
		}
		xyl.XYs = append(xyl.XYs, plotter.XY{X: float64(unit%a.SOM.Cols) - 0.4, Y: float64(unit / a.SOM.Cols)})
		xyl.Labels = append(xyl.Labels, test.ClassNames[l])
	}
	if len(xyl.XYs) > 0 {
		lab, err := plotter.NewLabels(xyl)
		if err != nil {
			return err
		}
		for i := range lab.TextStyle {
			lab.TextStyle[i].Font.Size = vg.Points(6)
		}
		p.Add(lab)
	}
	return p.Save(8*vg.Inch, 8*vg.Inch, path)
}

func trainingCurve(path string, losses []float64) error {
	p := plot.New()
	p.Title.Text = "training loss (−ELBO, nats per image; β-weighted KL)"
	p.X.Label.Text, p.Y.Label.Text = "epoch", "mean batch loss"
	var pts plotter.XYs
	for i, l := range losses {
		pts = append(pts, plotter.XY{X: float64(i + 1), Y: l})
	}
	if len(pts) > 0 {
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		p.Add(line, points)
	}
	return p.Save(6*vg.Inch, 4*vg.Inch, path)
}
