package questions

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/hiddendim/hiddendim/models/latent"
)

// PictureFiles are the files WritePictures writes.
var PictureFiles = []string{"questions_pca.png", "questions_umatrix.png", "questions_clusters.txt"}

// clusterExamples is how many questions questions_clusters.txt shows per
// k-means cluster: the distinct texts nearest its centroid.
const clusterExamples = 6

// WritePictures draws the trained encoder's clustering c of the questions
// texts (labelled by l) into dir: the vectors on their first two
// principal components colored by family, the SOM's U-matrix with each
// unit's majority family, and each k-means cluster's nearest questions.
// It returns the files written.
func WritePictures(dir string, c *Clustering, l *Labellings, texts []string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("questions: %w", err)
	}
	var files []string
	for _, f := range []struct {
		name string
		draw func(string) error
	}{
		{"questions_pca.png", func(p string) error { return pcaScatter(p, c.Vectors, l) }},
		{"questions_umatrix.png", func(p string) error { return uMatrix(p, c.SOM, c.Vectors, l) }},
		{"questions_clusters.txt", func(p string) error { return os.WriteFile(p, []byte(clusterText(c, l, texts)), 0o644) }},
	} {
		path := filepath.Join(dir, f.name)
		if err := f.draw(path); err != nil {
			return files, fmt.Errorf("questions: %s: %w", f.name, err)
		}
		files = append(files, path)
	}
	return files, nil
}

func pcaScatter(path string, x [][]float64, l *Labellings) error {
	pca, err := latent.FitPCA(x) // d×d, cheap for question vectors (FitPCATop is for rows wider than many)
	if err != nil {
		return err
	}
	p := plot.New()
	var explained float64
	for _, e := range pca.Explained[:min(2, len(pca.Explained))] {
		explained += e
	}
	p.Title.Text = fmt.Sprintf("test question vectors on two principal components (%.0f%% of the variance)", 100*explained)
	p.X.Label.Text, p.Y.Label.Text = "PC 1", "PC 2"
	proj := pca.Project(x, 2)
	fam := l.Labels[ByFamily]
	for c, name := range l.Names[ByFamily] {
		var pts plotter.XYs
		for i, row := range proj {
			if fam[i] == c && len(row) > 1 {
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
	return p.Save(9*vg.Inch, 7*vg.Inch, path)
}

// umGrid adapts a U-matrix to plotter.GridXYZ: column c, row r at (c, r).
type umGrid struct{ m *mat.Dense }

func (g umGrid) Dims() (c, r int)   { r, c = g.m.Dims(); return c, r }
func (g umGrid) Z(c, r int) float64 { return g.m.At(r, c) }
func (g umGrid) X(c int) float64    { return float64(c) }
func (g umGrid) Y(r int) float64    { return float64(r) }

func uMatrix(path string, som *latent.SOM, x [][]float64, l *Labellings) error {
	u := som.UMatrix()
	m := mat.NewDense(som.Rows, som.Cols, nil)
	for r := range u {
		m.SetRow(r, u[r])
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("SOM U-matrix of the question vectors (%d×%d): bright = borders; label = majority family", som.Rows, som.Cols)
	p.Add(plotter.NewHeatMap(umGrid{m}, moreland.SmoothBlueRed().Palette(64)))
	var xyl plotter.XYLabels
	for unit, f := range som.UnitLabels(x, l.Labels[ByFamily]) {
		if f < 0 {
			continue
		}
		xyl.XYs = append(xyl.XYs, plotter.XY{X: float64(unit%som.Cols) - 0.4, Y: float64(unit / som.Cols)})
		xyl.Labels = append(xyl.Labels, l.Names[ByFamily][f])
	}
	if len(xyl.XYs) > 0 {
		lab, err := plotter.NewLabels(xyl)
		if err != nil {
			return err
		}
		for i := range lab.TextStyle {
			lab.TextStyle[i].Font.Size = vg.Points(7)
		}
		p.Add(lab)
	}
	return p.Save(10*vg.Inch, 8*vg.Inch, path)
}

// clusterText lists each k-means cluster: its size, its families by count
// and the questions nearest its centroid.
func clusterText(c *Clustering, l *Labellings, texts []string) string {
	var b strings.Builder
	km := c.KMeans
	fmt.Fprintf(&b, "k-means clusters (k = %d) of %d test question vectors, each with its families and the %d distinct questions nearest its centroid\n", len(km.Centroids), len(c.Vectors), clusterExamples)
	for k, cent := range km.Centroids {
		var members []int
		counts := map[int]int{}
		for i, lab := range km.Labels {
			if lab == k {
				members = append(members, i)
				counts[l.Labels[ByFamily][i]]++
			}
		}
		fams := make([]int, 0, len(counts))
		for f := range counts {
			fams = append(fams, f)
		}
		slices.SortFunc(fams, func(a, b int) int {
			if counts[a] != counts[b] {
				return counts[b] - counts[a]
			}
			return a - b
		})
		var mix []string
		for _, f := range fams {
			mix = append(mix, fmt.Sprintf("%s %d", l.Names[ByFamily][f], counts[f]))
		}
		fmt.Fprintf(&b, "\ncluster %d: %d questions; %s\n", k, len(members), strings.Join(mix, ", "))
		slices.SortStableFunc(members, func(a, b int) int {
			da, db := sqDist(c.Vectors[a], cent), sqDist(c.Vectors[b], cent)
			switch {
			case da < db:
				return -1
			case da > db:
				return 1
			}
			return 0
		})
		shown := map[string]bool{}
		for _, i := range members {
			if len(shown) == clusterExamples {
				break
			}
			if !shown[texts[i]] {
				shown[texts[i]] = true
				fmt.Fprintf(&b, "  %-22s %s\n", l.Names[ByFamily][l.Labels[ByFamily][i]], texts[i])
			}
		}
	}
	return b.String()
}

func sqDist(a, b []float64) float64 {
	var s float64
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	return s
}
