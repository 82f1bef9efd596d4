package latent

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.12g, want %.12g (±%g)", name, got, want, tol)
	}
}

func TestW2(t *testing.T) {
	// By hand: μ and σ move in straight lines; at t = ¼ μ = (0 + ¼·4, 2),
	// σ = (1 + ¼·2, 1); the distance is √(4² + 2²) = √20.
	mu, s := W2Geodesic([]float64{0, 2}, []float64{1, 1}, []float64{4, 2}, []float64{3, 1}, 0.25)
	near(t, "μ[0]", mu[0], 1, 1e-15)
	near(t, "μ[1]", mu[1], 2, 1e-15)
	near(t, "σ[0]", s[0], 1.5, 1e-15)
	near(t, "σ[1]", s[1], 1, 1e-15)
	near(t, "W2", W2Distance([]float64{0, 2}, []float64{1, 1}, []float64{4, 2}, []float64{3, 1}), math.Sqrt(20), 1e-15)
}

func TestFisherRaoHandWorked(t *testing.T) {
	for _, c := range []struct {
		name                   string
		mu1, s1, mu2, s2       float64
		dist, midMu, midSigma  float64
		quarterMu, quarterSigm float64
	}{
		// Equal means: the vertical line, distance √2·ln(σ2/σ1), σ_t the
		// geometric interpolation: σ_½ = √(1·e²) = e, σ_¼ = e^½.
		{"vertical", 3, 1, 3, math.E * math.E, 2 * math.Sqrt2, 3, math.E, 3, math.Sqrt(math.E)},
		// μ = ∓√2, σ = 1 are (∓1, 1) in the half-plane: the semicircle of
		// radius √2 about 0, from θ = 3π/4 to π/4. The hyperbolic length
		// is ln tan(3π/8) − ln tan(π/8) = 2·ln(1+√2) (also arcosh 3), times
		// √2; the midpoint is the top of the circle, (0, √2). At t = ¼,
		// ln tan(θ/2) = ¾·ln(1+√2) + ¼·ln(√2−1) = ½·ln(1+√2), so
		// θ = 2·atan((1+√2)^½), μ = √2·√2·cos θ, σ = √2·sin θ.
		{"semicircle", -math.Sqrt2, 1, math.Sqrt2, 1, 2 * math.Sqrt2 * math.Log(1+math.Sqrt2), 0, math.Sqrt2,
			math.Sqrt2 * math.Sqrt2 * math.Cos(2*math.Atan(math.Pow(1+math.Sqrt2, 0.5))),
			math.Sqrt2 * math.Sin(2*math.Atan(math.Pow(1+math.Sqrt2, 0.5)))},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, sa, b, sb := []float64{c.mu1}, []float64{c.s1}, []float64{c.mu2}, []float64{c.s2}
			near(t, "distance", FisherRaoDistance(a, sa, b, sb), c.dist, 1e-12)
			mu, s := FisherRaoGeodesic(a, sa, b, sb, 0.5)
			near(t, "μ_½", mu[0], c.midMu, 1e-12)
			near(t, "σ_½", s[0], c.midSigma, 1e-12)
			mu, s = FisherRaoGeodesic(a, sa, b, sb, 0.25)
			near(t, "μ_¼", mu[0], c.quarterMu, 1e-12)
			near(t, "σ_¼", s[0], c.quarterSigm, 1e-12)
			// The 1-D case of arcosh(1 + (Δμ²/2 + Δσ²)/(2σ1σ2)), the
			// closed form the half-plane gives.
			want := math.Sqrt2 * math.Acosh(1+((c.mu1-c.mu2)*(c.mu1-c.mu2)/2+(c.s1-c.s2)*(c.s1-c.s2))/(2*c.s1*c.s2))
			near(t, "arcosh form", FisherRaoDistance(a, sa, b, sb), want, 1e-12)
		})
	}
}

// randomGaussian is a diagonal Gaussian of d dimensions with μ in
// [−3, 3) and σ in [0.05, 2.05).
func randomGaussian(rng *rand.Rand, d int) (mu, s []float64) {
	for range d {
		mu = append(mu, 6*rng.Float64()-3)
		s = append(s, 0.05+2*rng.Float64())
	}
	return mu, s
}

func TestFisherRaoGeodesicProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 1))
	for trial := range 50 {
		mu1, s1 := randomGaussian(rng, 4)
		mu2, s2 := randomGaussian(rng, 4)
		mu3, s3 := randomGaussian(rng, 4)
		if trial == 0 { // one dimension with equal means: the vertical line
			mu2[0] = mu1[0]
		}
		d := FisherRaoDistance(mu1, s1, mu2, s2)
		// Ends.
		m0, sg0 := FisherRaoGeodesic(mu1, s1, mu2, s2, 0)
		m1, sg1 := FisherRaoGeodesic(mu1, s1, mu2, s2, 1)
		if e := W2Distance(m0, sg0, mu1, s1) + W2Distance(m1, sg1, mu2, s2); e > 1e-9 {
			t.Errorf("trial %d: the geodesic misses its ends by %g", trial, e)
		}
		// Symmetry: the path back is the path forth, reversed, and as long.
		ma, sa := FisherRaoGeodesic(mu1, s1, mu2, s2, 0.3)
		mb, sb := FisherRaoGeodesic(mu2, s2, mu1, s1, 0.7)
		if e := W2Distance(ma, sa, mb, sb); e > 1e-9 {
			t.Errorf("trial %d: γ_ab(0.3) and γ_ba(0.7) are %g apart", trial, e)
		}
		near(t, "d(b, a)", FisherRaoDistance(mu2, s2, mu1, s1), d, 1e-12*d)
		// Constant speed: the midpoint is half the distance from each end.
		mm, sm := FisherRaoGeodesic(mu1, s1, mu2, s2, 0.5)
		near(t, "d(a, mid)", FisherRaoDistance(mu1, s1, mm, sm), d/2, 1e-9*d)
		near(t, "d(mid, b)", FisherRaoDistance(mm, sm, mu2, s2), d/2, 1e-9*d)
		// Triangle inequality.
		if d13, d32 := FisherRaoDistance(mu1, s1, mu3, s3), FisherRaoDistance(mu3, s3, mu2, s2); d > d13+d32+1e-12 {
			t.Errorf("trial %d: d(a,b) = %g > d(a,c) + d(c,b) = %g", trial, d, d13+d32)
		}
		// The W2 geodesic's points are on the way too: W2 distances add.
		wm, ws := W2Geodesic(mu1, s1, mu2, s2, 0.4)
		near(t, "W2 split", W2Distance(mu1, s1, wm, ws)+W2Distance(wm, ws, mu2, s2), W2Distance(mu1, s1, mu2, s2), 1e-12)
	}
}

// The distance agrees with the path's length measured with the metric
// itself, ds = √(Σ dμ² + 2dσ²)/σ, over many small steps; and each step
// is as long as every other (constant speed).
func TestFisherRaoMatchesPathLength(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 2))
	for range 5 {
		mu1, s1 := randomGaussian(rng, 3)
		mu2, s2 := randomGaussian(rng, 3)
		const steps = 20000
		mus, ss := GaussianPath(FisherRaoGeodesic, mu1, s1, mu2, s2, steps+1)
		var length, lo, hi float64
		lo = math.Inf(1)
		for k := 1; k <= steps; k++ {
			var ds2 float64
			for i := range mu1 {
				dm, dsg := mus[k][i]-mus[k-1][i], ss[k][i]-ss[k-1][i]
				sg := (ss[k][i] + ss[k-1][i]) / 2
				ds2 += (dm*dm + 2*dsg*dsg) / (sg * sg)
			}
			step := math.Sqrt(ds2)
			length += step
			lo, hi = min(lo, step), max(hi, step)
		}
		d := FisherRaoDistance(mu1, s1, mu2, s2)
		near(t, "path length", length, d, 1e-6*d)
		if hi > lo*(1+1e-4) {
			t.Errorf("steps from %g to %g: not constant speed", lo, hi)
		}
	}
}

func TestGeodesicPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"σ = 0":       func() { FisherRaoDistance([]float64{0}, []float64{0}, []float64{1}, []float64{1}) },
		"lengths":     func() { W2Distance([]float64{0, 1}, []float64{1}, []float64{1}, []float64{1}) },
		"negative σ":  func() { FisherRaoGeodesic([]float64{0}, []float64{1}, []float64{1}, []float64{-1}, 0.5) },
		"path length": func() { W2Geodesic([]float64{0}, []float64{1}, []float64{1}, nil, 0.5) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}
