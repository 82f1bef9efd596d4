package latent

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// blobs are k Gaussian clusters of n rows each in d dimensions, centers
// 10 apart along the axes, unit spread.
func blobs(k, n, d int, seed uint64) ([][]float64, []int) {
	rng := rand.New(rand.NewPCG(seed, 3))
	var x [][]float64
	var y []int
	for c := range k {
		for range n {
			row := make([]float64, d)
			for j := range row {
				row[j] = rng.NormFloat64()
			}
			row[c%d] += 10 * float64(1+c/d)
			x = append(x, row)
			y = append(y, c)
		}
	}
	return x, y
}

func TestKMeansRecoversBlobs(t *testing.T) {
	x, y := blobs(4, 50, 4, 1)
	km, err := FitKMeans(x, 4, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	if v := HomogeneityCompleteness(y, km.Labels).VMeasure; v < 0.99 {
		t.Errorf("V-measure %.3f on four separated blobs, want ≥ 0.99", v)
	}
	again, _ := FitKMeans(x, 4, 3, 7)
	if !slices.Equal(km.Labels, again.Labels) {
		t.Error("k-means with one seed gave two clusterings")
	}
	if !slices.Equal(km.Predict(x), km.Labels) {
		t.Error("Predict disagrees with the fitted labels")
	}
	if _, err := FitKMeans(x, 0, 1, 1); err == nil {
		t.Error("k = 0 accepted")
	}
}

func TestSOM(t *testing.T) {
	x, y := blobs(3, 60, 3, 2)
	som, err := TrainSOM(x, DefaultSOM(6, 6, len(x), 1))
	if err != nil {
		t.Fatal(err)
	}
	qe, te := som.QuantizationError(x), som.TopographicError(x)
	// Unit-variance blobs in 3-D: a point's distance to its blob's center
	// is about √3 ≈ 1.7; a map of 36 units per 3 blobs gets well under it.
	if qe > 1.5 {
		t.Errorf("quantization error %.2f, want below 1.5", qe)
	}
	if te > 0.2 {
		t.Errorf("topographic error %.2f, want below 0.2", te)
	}
	// The U-matrix is high on the borders between the blobs: its largest
	// value is many times its smallest.
	u := som.UMatrix()
	lo, hi := math.Inf(1), 0.0
	for _, row := range u {
		for _, v := range row {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if hi < 3*lo {
		t.Errorf("U-matrix from %.2f to %.2f: no borders", lo, hi)
	}
	// Every blob owns units, and a unit's label is the label of its rows.
	labels := som.UnitLabels(x, y)
	seen := map[int]bool{}
	for _, l := range labels {
		seen[l] = true
	}
	for c := range 3 {
		if !seen[c] {
			t.Errorf("no unit labelled %d: %v", c, labels)
		}
	}
	for i, v := range x {
		if u, _ := som.BMU(v); labels[u] != y[i] {
			t.Errorf("row %d of blob %d maps to a unit labelled %d", i, y[i], labels[u])
			break
		}
	}
	// A one-unit map has no neighbours: its error is 0 by definition;
	// its quantization error is the mean distance to one vector.
	one, _ := TrainSOM(x, DefaultSOM(1, 1, len(x), 1))
	if one.TopographicError(x) != 0 || one.QuantizationError(x) < qe {
		t.Error("a one-unit map scores better than a 36-unit one")
	}
}

func TestFewShot(t *testing.T) {
	x, y := blobs(5, 40, 5, 3)
	q, qy := blobs(5, 20, 5, 4)
	for _, k := range []int{1, 5, 10} {
		acc, err := FewShot(x, y, q, qy, k, 10, 1)
		if err != nil {
			t.Fatal(err)
		}
		if acc < 0.98 {
			t.Errorf("%d-shot accuracy %.3f on separated blobs, want ≥ 0.98", k, acc)
		}
	}
	// Noise dimensions only: chance level, about 1/5.
	rng := rand.New(rand.NewPCG(9, 9))
	noise := func(rows [][]float64) [][]float64 {
		out := make([][]float64, len(rows))
		for i := range rows {
			out[i] = []float64{rng.NormFloat64(), rng.NormFloat64()}
		}
		return out
	}
	acc, _ := FewShot(noise(x), y, noise(q), qy, 5, 20, 1)
	if acc > 0.35 {
		t.Errorf("accuracy %.3f on pure noise, want near 0.2", acc)
	}
	if _, err := FewShot(x, y, q, qy, 41, 1, 1); err == nil {
		t.Error("k above the class size accepted")
	}
}

func TestInterpolation(t *testing.T) {
	a, b := []float64{1, 0}, []float64{0, 2}
	if got := Lerp(a, b, 0.5); !slices.Equal(got, []float64{0.5, 1}) {
		t.Errorf("lerp midpoint %v", got)
	}
	mid := Slerp(a, b, 0.5)
	// On the arc at 45°, with the norm halfway between 1 and 2.
	want := []float64{1.5 / math.Sqrt2, 1.5 / math.Sqrt2}
	for i := range mid {
		if math.Abs(mid[i]-want[i]) > 1e-12 {
			t.Fatalf("slerp midpoint %v, want %v", mid, want)
		}
	}
	p := Path(a, b, 5, true)
	if len(p) != 5 || !slices.Equal(p[0], a) || math.Abs(p[4][1]-2) > 1e-12 {
		t.Errorf("path ends %v … %v", p[0], p[4])
	}
	if got := Slerp(a, []float64{3, 0}, 0.5); !slices.Equal(got, []float64{2, 0}) {
		t.Errorf("slerp of parallel vectors %v, want the lerp [2 0]", got)
	}
}

func TestArithmetic(t *testing.T) {
	// Wholes made by a known linear rule from two or three parts and the
	// relation: the operator recovers it; plain addition is exact only
	// where the rule is addition.
	rng := rand.New(rand.NewPCG(5, 5))
	bg := []float64{0.5, -0.5, 0}
	shift := [][]float64{{1, 0, 0}, {0, 1, 0}}
	make1 := func() Composite {
		a, b := make([]float64, 3), make([]float64, 3)
		c := Composite{Background: bg, Relation: rng.IntN(2), Parts: [][]float64{a, b, nil}, Whole: make([]float64, 3)}
		third := rng.IntN(2) == 0 // a third part, in some wholes only
		if third {
			c.Parts[2] = make([]float64, 3)
		}
		for j := range 3 {
			a[j], b[j] = rng.NormFloat64(), rng.NormFloat64()
			c.Whole[j] = a[j] + b[j] - bg[j] + shift[c.Relation][j]
			if third {
				c.Parts[2][j] = rng.NormFloat64()
				c.Whole[j] += c.Parts[2][j] - bg[j]
			}
		}
		return c
	}
	var train, test []Composite
	for range 200 {
		train = append(train, make1())
	}
	for range 50 {
		test = append(test, make1())
	}
	op, err := FitOperator(train, 3, 2, 1e-6)
	if err != nil {
		t.Fatal(err)
	}
	var predOp, predAdd, truth [][]float64
	for _, c := range test {
		predOp = append(predOp, op.Predict(c))
		predAdd = append(predAdd, AddParts(c))
		truth = append(truth, c.Whole)
	}
	for i := range predOp {
		for j := range predOp[i] {
			if math.Abs(predOp[i][j]-truth[i][j]) > 1e-4 {
				t.Fatalf("operator predicts %v for %v", predOp[i], truth[i])
			}
		}
	}
	if acc := RetrievalAccuracy(predOp, truth); acc != 1 {
		t.Errorf("operator retrieval %.2f, want 1", acc)
	}
	if acc := RetrievalAccuracy(predAdd, truth); acc >= 1 {
		t.Errorf("addition retrieval %.2f: the relation's shift should cost it something", acc)
	}
}

func TestDCI(t *testing.T) {
	// Codes 0 and 1 each carry one factor; code 2 is noise. D and C near 1.
	rng := rand.New(rand.NewPCG(8, 8))
	gen := func(n int) ([][]float64, Factors) {
		f := Factors{Names: []string{"a", "b"}, Values: [][]int{nil, nil}}
		var codes [][]float64
		for range n {
			a, b := rng.IntN(3), rng.IntN(4)
			codes = append(codes, []float64{float64(a) + 0.1*rng.NormFloat64(), float64(b) + 0.1*rng.NormFloat64(), rng.NormFloat64()})
			f.Values[0] = append(f.Values[0], a)
			f.Values[1] = append(f.Values[1], b)
		}
		return codes, f
	}
	train, tf := gen(400)
	test, sf := gen(200)
	d, err := ComputeDCI(train, tf, test, sf, GBConfig{Rounds: 30, Depth: 3, LR: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if d.Disentanglement < 0.8 || d.Completeness < 0.8 || d.Informativeness < 0.97 {
		t.Errorf("aligned codes: D %.3f C %.3f I %.3f, want D, C ≥ 0.8 and I ≥ 0.97", d.Disentanglement, d.Completeness, d.Informativeness)
	}
	// Rotating the two informative codes mixes the factors: D and C fall.
	mix := func(rows [][]float64) [][]float64 {
		out := make([][]float64, len(rows))
		for i, r := range rows {
			out[i] = []float64{r[0] + r[1], r[0] - r[1], r[2]}
		}
		return out
	}
	m, _ := ComputeDCI(mix(train), tf, mix(test), sf, GBConfig{Rounds: 30, Depth: 3, LR: 0.1})
	if m.Disentanglement > d.Disentanglement-0.2 {
		t.Errorf("mixed codes: D %.3f, aligned %.3f: mixing should lower it", m.Disentanglement, d.Disentanglement)
	}
	// MIG sees the same: aligned codes have a large gap.
	if mig, _ := MIG(test, sf); mig < 0.5 {
		t.Errorf("MIG %.3f for aligned codes, want ≥ 0.5", mig)
	}
}

func TestPCA(t *testing.T) {
	// Points on a line in 3-D plus tiny noise: one component explains
	// nearly everything, and projecting keeps the order along the line.
	rng := rand.New(rand.NewPCG(4, 4))
	var x [][]float64
	for i := range 50 {
		s := float64(i)
		x = append(x, []float64{s + 0.01*rng.NormFloat64(), 2*s + 0.01*rng.NormFloat64(), -s})
	}
	p, err := FitPCA(x)
	if err != nil {
		t.Fatal(err)
	}
	if p.Explained[0] < 0.999 {
		t.Errorf("first component explains %.4f", p.Explained[0])
	}
	proj := p.Project(x, 2)
	sign := math.Copysign(1, proj[1][0]-proj[0][0])
	for i := 1; i < len(proj); i++ {
		if sign*(proj[i][0]-proj[i-1][0]) <= 0 {
			t.Fatalf("projection not monotone at %d", i)
		}
	}
	if _, err := FitPCA([][]float64{{1, 2}, {3}}); err == nil {
		t.Error("ragged rows accepted")
	}
}

func TestHardDistractors(t *testing.T) {
	// Figures 0–3 in two slots, relations 0 and 1; hardness against
	// composite 0 (figures 0, 1 in relation 0) worked out by hand.
	cs := []Composite{
		{Relation: 0, Labels: []int{0, 1}},  // the query
		{Relation: 0, Labels: []int{1, 0}},  // swapped, same relation: 3
		{Relation: 1, Labels: []int{0, 1}},  // same pair, other relation: 2
		{Relation: 0, Labels: []int{0, 2}},  // one figure and the relation: 2
		{Relation: 1, Labels: []int{2, 3}},  // nothing shared: never a distractor
		{Relation: 1, Labels: []int{3, 1}},  // one figure: 1
		{Relation: 0, Labels: []int{2, 3}},  // the relation: 1 against 0
		{Relation: 0, Labels: []int{0, 1}},  // the same description: 3
		{Relation: 1, Labels: []int{0, 0}},  // figure 0 once, as a multiset: 1
		{Relation: 1, Labels: []int{-1, 3}}, // the relation: 1
		{Relation: 0, Labels: []int{-1, 2}}, // an empty slot shares nothing with 9: 0 against it
	}
	tests := []struct {
		q, k int
		want []int
	}{
		{0, 2, []int{1, 7}},
		{0, 4, []int{1, 7, 2, 3}},
		{0, 10, []int{1, 7, 2, 3, 5, 6, 8, 10}},
		// figures 0, 0 in relation 1: only 2 shares two things.
		{8, 3, []int{2, 0, 1}},
		// figure 3 in relation 1: 4 and 5 share both (2), then by index.
		{9, 3, []int{4, 5, 2}},
		// 10 shares only an empty slot with 9: not a distractor.
		{9, 10, []int{4, 5, 2, 6, 8}},
		{10, 2, []int{3, 6}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("q%d k%d", tt.q, tt.k), func(t *testing.T) {
			if got := HardDistractors(cs, tt.k)[tt.q]; !slices.Equal(got, tt.want) {
				t.Errorf("distractors of %d: %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func TestHardness(t *testing.T) {
	tests := []struct {
		a, b Composite
		want int
	}{
		{Composite{Relation: 0, Labels: []int{0, 1}}, Composite{Relation: 0, Labels: []int{1, 0}}, 3},
		{Composite{Relation: 0, Labels: []int{0, 1}}, Composite{Relation: 1, Labels: []int{0, 1}}, 2},
		// multisets: figure 0 twice shares one figure 0, not two.
		{Composite{Relation: 1, Labels: []int{0, 0}}, Composite{Relation: 0, Labels: []int{0, 5}}, 1},
		{Composite{Relation: 0, Labels: []int{0, 5}}, Composite{Relation: 1, Labels: []int{0, 0}}, 1},
		{Composite{Relation: 1, Labels: []int{0, 0}}, Composite{Relation: 1, Labels: []int{0, 0}}, 3},
		{Composite{Relation: 0, Labels: []int{-1, 2}}, Composite{Relation: 1, Labels: []int{-1, 3}}, 0},
		{Composite{Relation: 0}, Composite{Relation: 0}, 1},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			if got := Hardness(tt.a, tt.b); got != tt.want {
				t.Errorf("Hardness(%+v, %+v) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestRetrievalAmong(t *testing.T) {
	// Truths on a line at 0, 1 and 10: a prediction of 0.6 for truth 0 is
	// nearer truth 1, so it is wrong against distractor 1 and right
	// against distractor 2; a tie is wrong.
	truth := [][]float64{{0}, {1}, {10}}
	tests := []struct {
		name        string
		pred        float64
		distractors []int
		want        float64
	}{
		{"far distractor", 0.6, []int{2}, 1},
		{"near distractor", 0.6, []int{1}, 0},
		{"both", 0.4, []int{1, 2}, 1},
		{"tie", 0.5, []int{1}, 0},
		{"none", 5, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RetrievalAmong([][]float64{{tt.pred}}, truth, [][]int{tt.distractors})
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if got := RetrievalAmong([][]float64{{0.6}, {1}, {0}}, truth, [][]int{{2}, {0}, {1}}); math.Abs(got-2.0/3) > 1e-15 {
		t.Errorf("share %v, want 2/3", got)
	}
}

func TestFitPCATopMatchesFitPCA(t *testing.T) {
	// Wider than tall, as images are: the Gram route must give the same
	// projections as the SVD, up to each component's sign.
	rng := rand.New(rand.NewPCG(8, 8))
	var x [][]float64
	for range 12 {
		row := make([]float64, 40)
		a, b := rng.NormFloat64()*3, rng.NormFloat64()
		for j := range row {
			row[j] = a*math.Sin(float64(j)) + b*math.Cos(float64(j)/3) + 0.1*rng.NormFloat64()
		}
		x = append(x, row)
	}
	full, err := FitPCA(x)
	if err != nil {
		t.Fatal(err)
	}
	top, err := FitPCATop(x, 3)
	if err != nil {
		t.Fatal(err)
	}
	pf, pt := full.Project(x, 3), top.Project(x, 3)
	for c := range 3 {
		sign := math.Copysign(1, pf[0][c]*pt[0][c])
		for i := range x {
			if math.Abs(pf[i][c]-sign*pt[i][c]) > 1e-8 {
				t.Fatalf("row %d component %d: %v by SVD, %v by the Gram matrix", i, c, pf[i][c], pt[i][c])
			}
		}
		if math.Abs(full.Variances[c]-top.Variances[c]) > 1e-8 {
			t.Errorf("variance %d: %v, want %v", c, top.Variances[c], full.Variances[c])
		}
	}
	if _, err := FitPCATop(x[:1], 3); err == nil {
		t.Error("one row: want an error")
	}
}
