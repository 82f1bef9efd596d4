package latent

import (
	"math"
	"testing"
)

func TestPathValidity(t *testing.T) {
	valid := func(img []float64) bool { return img[0] > 0.5 }
	near(t, "validity", PathValidity([][]float64{{1}, {0}, {0.7}, {0.2}}, valid), 0.5, 0)
	if !math.IsNaN(PathValidity(nil, valid)) {
		t.Error("an empty path has a validity")
	}
}

func TestPathSmoothness(t *testing.T) {
	for _, c := range []struct {
		name string
		path [][]float64
		want float64
	}{
		// Changes 1, 1, 3: largest 3 over mean 5/3.
		{"jump", [][]float64{{0, 0}, {1, 0}, {2, 0}, {5, 0}}, 1.8},
		{"even", [][]float64{{0}, {1}, {2}}, 1},
		// Changes √2 and 0: largest √2 over mean √2/2.
		{"stall", [][]float64{{0, 0}, {1, 1}, {1, 1}}, 2},
		{"constant", [][]float64{{3}, {3}}, 1},
		{"one image", [][]float64{{3}}, 1},
	} {
		t.Run(c.name, func(t *testing.T) { near(t, "smoothness", PathSmoothness(c.path), c.want, 1e-15) })
	}
}

func TestMonotonicity(t *testing.T) {
	steps := []float64{1, 2, 3, 4}
	for _, c := range []struct {
		name      string
		predicted []float64
		want      float64
	}{
		{"rising", []float64{0.1, 0.2, 5, 9}, 1},
		{"falling", []float64{4, 3, 2, 1}, -1},
		// One swap: Σd² = 2, ρ = 1 − 6·2/(4·(16−1)) = 0.8.
		{"swap", []float64{1, 3, 2, 4}, 0.8},
		// Ranks 1.5, 1.5, 3, 4 against 1 … 4: Pearson 4.5/√(5·4.5) = 3/√10.
		{"tie", []float64{1, 1, 2, 3}, 3 / math.Sqrt(10)},
		{"constant", []float64{2, 2, 2, 2}, 0},
	} {
		t.Run(c.name, func(t *testing.T) { near(t, "ρ", Monotonicity(steps, c.predicted), c.want, 1e-15) })
	}
}

func TestRidge(t *testing.T) {
	// An exact linear law is recovered without penalty.
	var x [][]float64
	var y []float64
	for i := range 6 {
		a, b := float64(i), float64(i*i%5)
		x = append(x, []float64{a, b})
		y = append(y, 2*a-b+3)
	}
	r, err := FitRidge(x, y, 0)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "w1", r.W[0], 2, 1e-12)
	near(t, "w2", r.W[1], -1, 1e-12)
	near(t, "prediction", r.Predict([]float64{10, 1}), 22, 1e-12)
	// One centred variable: w = Σxy/(Σx² + λ) = 4/(2 + 2) = 1.
	r, err = FitRidge([][]float64{{-1}, {0}, {1}}, []float64{-2, 0, 2}, 2)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "shrunk w", r.W[0], 1, 1e-15)
	if _, err := FitRidge(x, y[:3], 1); err == nil {
		t.Error("targets of another length accepted")
	}
}

func TestAttributeDirectionAndWalk(t *testing.T) {
	var codes [][]float64
	var f []float64
	for i := range 10 {
		a, b := float64(i%4), float64(i%3)
		codes = append(codes, []float64{a, b})
		f = append(f, 3*a+4*b)
	}
	dir, err := AttributeDirection(codes, f, 0)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "direction x", dir[0], 0.6, 1e-12)
	near(t, "direction y", dir[1], 0.8, 1e-12)
	w := Walk([]float64{1, 1}, []float64{1, 0}, 0.5, 5)
	for s, want := range []float64{0, 0.5, 1, 1.5, 2} {
		near(t, "walk x", w[s][0], want, 1e-15)
		near(t, "walk y", w[s][1], 1, 0)
	}
	if _, err := AttributeDirection(codes, make([]float64, 10), 1); err == nil {
		t.Error("a constant factor gave a direction")
	}
}

func TestRealism(t *testing.T) {
	// References on the 5×5 grid of the z = 0 plane: two components hold
	// them exactly. Calibration points lie 0.5, 0.2, 0.1 and √½ from the
	// nearest grid point; the ¾ quantile is the third smallest, 0.5.
	var ref [][]float64
	for i := range 5 {
		for j := range 5 {
			ref = append(ref, []float64{float64(i), float64(j), 0})
		}
	}
	cal := [][]float64{{0.5, 0, 0}, {1, 0.2, 0}, {3, 3.1, 0}, {2.5, 2.5, 0}}
	r, err := FitRealism(ref, cal, 2, 0.75)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "threshold", r.Threshold, 0.5, 1e-12)
	for _, c := range []struct {
		img  []float64
		want bool
	}{
		{[]float64{2, 2.4, 0}, true},
		{[]float64{2.6, 2.6, 0}, false},
		{[]float64{10, 10, 0}, false},
		// Off the plane: what the components drop, the judge forgives.
		{[]float64{2, 2, 5}, true},
	} {
		if got := r.Valid(c.img); got != c.want {
			t.Errorf("Valid(%v) = %v (distance %.3f), want %v", c.img, got, r.Distance(c.img), c.want)
		}
	}
	if _, err := FitRealism(ref, cal, 2, 0); err == nil {
		t.Error("quantile 0 accepted")
	}
}
