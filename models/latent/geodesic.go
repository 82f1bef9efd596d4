package latent

import (
	"fmt"
	"math"
)

// A VAE's encoder gives each image a diagonal Gaussian posterior
// N(μ, diag(σ²)), not a point: paths between two images can run through
// the family of such Gaussians. Two metrics on that family give two
// geodesics (De Sanctis and Gattone 2017, the research notes' [M1]):
// the 2-Wasserstein distance, under which μ and σ move in a straight line,
// and the Fisher–Rao metric, under which each dimension is a hyperbolic
// half-plane. Both treat the dimensions independently; a product of
// geodesics run at one parameter t is a geodesic of the product.

// W2Geodesic returns the point at t ∈ [0, 1] on the 2-Wasserstein geodesic
// from N(mu1, diag(s1²)) to N(mu2, diag(s2²)). Between Gaussians with
// commuting (here diagonal) covariances the W2 geodesic is McCann's
// displacement interpolation, in closed form: μ and σ both interpolate
// linearly. It panics if the four slices differ in length.
func W2Geodesic(mu1, s1, mu2, s2 []float64, t float64) (mu, s []float64) {
	checkGaussians("W2Geodesic", mu1, s1, mu2, s2, false)
	return Lerp(mu1, mu2, t), Lerp(s1, s2, t)
}

// W2Distance is the 2-Wasserstein distance between two diagonal
// Gaussians: √(‖μ1 − μ2‖² + ‖σ1 − σ2‖²). It panics if the four slices
// differ in length.
func W2Distance(mu1, s1, mu2, s2 []float64) float64 {
	checkGaussians("W2Distance", mu1, s1, mu2, s2, false)
	return math.Sqrt(sqDist(mu1, mu2) + sqDist(s1, s2))
}

// FisherRaoGeodesic returns the point at t ∈ [0, 1] on the Fisher–Rao
// geodesic from N(mu1, diag(s1²)) to N(mu2, diag(s2²)), run at constant
// speed. Per dimension the univariate normals with the Fisher metric
// ds² = (dμ² + 2dσ²)/σ² are the hyperbolic half-plane, scaled by √2, in
// x = μ/√2, y = σ: a geodesic is a vertical line when μ1 = μ2 (then
// σ_t = σ1^(1−t)·σ2^t) and otherwise an arc of the semicircle centred on
// the x axis through both ends, on which the hyperbolic arc length from
// the angle θ is ln tan(θ/2), so constant speed is a linear move in that
// quantity. The σ of the midpoint of two distinct means rises above both
// ends: the path widens the posterior rather than crossing low-σ
// regions. It panics if the slices differ in length or a σ is not
// positive.
func FisherRaoGeodesic(mu1, s1, mu2, s2 []float64, t float64) (mu, s []float64) {
	checkGaussians("FisherRaoGeodesic", mu1, s1, mu2, s2, true)
	mu, s = make([]float64, len(mu1)), make([]float64, len(mu1))
	for i := range mu1 {
		x, y := halfPlaneGeodesic(mu1[i]/math.Sqrt2, s1[i], mu2[i]/math.Sqrt2, s2[i], t)
		mu[i], s[i] = x*math.Sqrt2, y
	}
	return mu, s
}

// FisherRaoDistance is the Fisher–Rao distance between two diagonal
// Gaussians: per dimension √2 times the hyperbolic distance
// arcosh(1 + ((x1−x2)² + (y1−y2)²)/(2·y1·y2)) between (μ/√2, σ) points,
// combined across dimensions as the root of the sum of squares (the
// product metric). It panics if the slices differ in length or a σ is
// not positive.
func FisherRaoDistance(mu1, s1, mu2, s2 []float64) float64 {
	checkGaussians("FisherRaoDistance", mu1, s1, mu2, s2, true)
	var sum float64
	for i := range mu1 {
		d := math.Sqrt2 * hyperbolicDistance(mu1[i]/math.Sqrt2, s1[i], mu2[i]/math.Sqrt2, s2[i])
		sum += d * d
	}
	return math.Sqrt(sum)
}

// hyperbolicDistance is the distance between (x1, y1) and (x2, y2) in the
// upper half-plane with ds² = (dx² + dy²)/y². It is written as
// 2·asinh(½·euclidean/√(y1·y2)), equal to the arcosh form but exact for
// nearby points, where the arcosh of a number near 1 loses half the digits.
func hyperbolicDistance(x1, y1, x2, y2 float64) float64 {
	e := math.Hypot(x1-x2, y1-y2)
	return 2 * math.Asinh(e/(2*math.Sqrt(y1*y2)))
}

// halfPlaneGeodesic is the point at t on the constant-speed geodesic of
// the half-plane from (x1, y1) to (x2, y2).
func halfPlaneGeodesic(x1, y1, x2, y2, t float64) (x, y float64) {
	// A vertical geodesic, or one so nearly vertical that the circle's
	// centre would be far beyond the float64 precision of its radius.
	if math.Abs(x1-x2) <= 1e-12*(y1+y2) {
		return (1-t)*x1 + t*x2, math.Exp((1-t)*math.Log(y1) + t*math.Log(y2))
	}
	c := (x2*x2 + y2*y2 - x1*x1 - y1*y1) / (2 * (x2 - x1))
	r := math.Hypot(x1-c, y1)
	th1, th2 := math.Atan2(y1, x1-c), math.Atan2(y2, x2-c)
	u := (1-t)*math.Log(math.Tan(th1/2)) + t*math.Log(math.Tan(th2/2))
	th := 2 * math.Atan(math.Exp(u))
	return c + r*math.Cos(th), r * math.Sin(th)
}

// checkGaussians panics, naming fn, on slices of different lengths or,
// when positive is set, a σ that is not positive.
func checkGaussians(fn string, mu1, s1, mu2, s2 []float64, positive bool) {
	n := len(mu1)
	if len(s1) != n || len(mu2) != n || len(s2) != n {
		panic(fmt.Sprintf("latent: %s of Gaussians with %d, %d, %d and %d values: want one length", fn, len(mu1), len(s1), len(mu2), len(s2)))
	}
	if !positive {
		return
	}
	for i := range n {
		if !(s1[i] > 0 && s2[i] > 0) {
			panic(fmt.Sprintf("latent: %s with σ %v and %v in dimension %d: want positive σ", fn, s1[i], s2[i], i))
		}
	}
}

// GaussianPath returns steps points (both ends included) of a geodesic
// between two diagonal Gaussians, as means and standard deviations:
// geodesic is W2Geodesic or FisherRaoGeodesic.
func GaussianPath(geodesic func(mu1, s1, mu2, s2 []float64, t float64) (mu, s []float64), mu1, s1, mu2, s2 []float64, steps int) (mus, sigmas [][]float64) {
	for k := range steps {
		t := 0.0
		if steps > 1 {
			t = float64(k) / float64(steps-1)
		}
		mu, s := geodesic(mu1, s1, mu2, s2, t)
		mus, sigmas = append(mus, mu), append(sigmas, s)
	}
	return mus, sigmas
}
