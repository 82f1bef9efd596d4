package latent

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// PathValidity is the share of a path's decoded images that valid
// accepts: a good path between two images decodes, all the way, to
// images that look like data. It returns NaN for an empty path.
func PathValidity(decoded [][]float64, valid func(img []float64) bool) float64 {
	if len(decoded) == 0 {
		return math.NaN()
	}
	n := 0
	for _, img := range decoded {
		if valid(img) {
			n++
		}
	}
	return float64(n) / float64(len(decoded))
}

// PathSmoothness is the largest Euclidean pixel change between
// consecutive decoded images divided by the mean change: 1 when the
// images change evenly, large when one step jumps (a path that snaps from
// one image to the other halfway). Lower is better. A path of fewer than
// two images, or one that does not change, scores 1.
func PathSmoothness(decoded [][]float64) float64 {
	if len(decoded) < 2 {
		return 1
	}
	var sum, most float64
	for k := 1; k < len(decoded); k++ {
		d := dist(decoded[k-1], decoded[k])
		sum += d
		most = max(most, d)
	}
	if sum == 0 {
		return 1
	}
	return most / (sum / float64(len(decoded)-1))
}

// Monotonicity is Spearman's rank correlation between the steps of a walk
// and a factor predicted from each step's image: 1 when the factor rises
// with every step, −1 when it falls with every step. Ties take their mean
// rank. It returns 0 when either list is constant (no trend to rank) and
// panics if the lists differ in length.
func Monotonicity(steps, predicted []float64) float64 {
	if len(steps) != len(predicted) {
		panic(fmt.Sprintf("latent: Monotonicity of %d steps and %d predictions", len(steps), len(predicted)))
	}
	r := pearson(ranks(steps), ranks(predicted))
	if math.IsNaN(r) {
		return 0
	}
	return r
}

// ranks returns the 1-based ranks of v, ties given their mean rank.
func ranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	out := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		r := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			out[idx[k]] = r
		}
		i = j + 1
	}
	return out
}

// pearson is the Pearson correlation of x and y, NaN when either is
// constant.
func pearson(x, y []float64) float64 {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i] / n
		my += y[i] / n
	}
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}

// Ridge is a linear regression y ≈ w·(x − Mean) + Intercept fitted by
// ridge regression.
type Ridge struct {
	Mean      []float64
	W         []float64
	Intercept float64
}

// FitRidge fits y on the rows of x with penalty lambda on w (not on the
// intercept: the rows are centred first). It returns an error for no
// rows, rows of different lengths or a y of another length.
func FitRidge(x [][]float64, y []float64, lambda float64) (*Ridge, error) {
	m, err := matrix(x)
	if err != nil {
		return nil, err
	}
	n, d := m.Dims()
	if len(y) != n {
		return nil, fmt.Errorf("latent: ridge regression of %d targets on %d rows", len(y), n)
	}
	r := &Ridge{Mean: make([]float64, d)}
	for i := range n {
		for j := range d {
			r.Mean[j] += m.At(i, j) / float64(n)
		}
		r.Intercept += y[i] / float64(n)
	}
	for i := range n {
		for j := range d {
			m.Set(i, j, m.At(i, j)-r.Mean[j])
		}
	}
	var a mat.SymDense
	a.SymOuterK(1, m.T())
	for j := range d {
		a.SetSym(j, j, a.At(j, j)+lambda)
	}
	yc := make([]float64, n)
	for i, v := range y {
		yc[i] = v - r.Intercept
	}
	var b, w mat.VecDense
	b.MulVec(m.T(), mat.NewVecDense(n, yc))
	if err := w.SolveVec(&a, &b); err != nil {
		return nil, fmt.Errorf("latent: ridge regression: %w (raise λ above %g)", err, lambda)
	}
	r.W = slices.Clone(w.RawVector().Data)
	return r, nil
}

// Predict returns the regression's value at x.
func (r *Ridge) Predict(x []float64) float64 {
	s := r.Intercept
	for j, v := range x {
		s += r.W[j] * (v - r.Mean[j])
	}
	return s
}

// AttributeDirection is the unit direction in which a factor grows in the
// codes: ridge regression of the factor on the codes with penalty lambda,
// its weights normalised to length 1. Walking along it (Walk) should
// change that factor and, in a disentangled code, little else. It
// returns an error if the fit fails or finds no direction (a constant
// factor).
func AttributeDirection(codes [][]float64, factor []float64, lambda float64) ([]float64, error) {
	r, err := FitRidge(codes, factor, lambda)
	if err != nil {
		return nil, err
	}
	n := norm(r.W)
	if n == 0 {
		return nil, fmt.Errorf("latent: the factor does not vary with the codes: no direction")
	}
	out := make([]float64, len(r.W))
	for j, w := range r.W {
		out[j] = w / n
	}
	return out, nil
}

// Walk returns steps points start + s·step·direction for s = −(steps−1)/2
// … +(steps−1)/2: a walk of steps points centred on start.
func Walk(start, direction []float64, step float64, steps int) [][]float64 {
	out := make([][]float64, steps)
	for s := range steps {
		at := (float64(s) - float64(steps-1)/2) * step
		out[s] = make([]float64, len(start))
		for j := range start {
			out[s][j] = start[j] + at*direction[j]
		}
	}
	return out
}

// Realism judges whether an image looks like data: it projects images
// on the first principal components of a set of real images, and accepts
// an image whose distance there to the nearest real image is at most
// Threshold. Comparing on principal components, not raw pixels, forgives
// a decoder's blur (the fine detail PCA drops) and still refuses what a
// straight path decodes to between two different images: two faded
// figures at once, or none. A Realism is safe for concurrent use.
type Realism struct {
	PCA        *PCA
	Components int
	// Reference holds the real images' projections.
	Reference [][]float64
	Threshold float64
}

// FitRealism fits the judge: components principal components of the
// reference images (FitPCATop), and a threshold that accepts the share
// quantile of the calibration images (real images not among the
// references, so that none is its own nearest neighbour). It returns an
// error for too few images or a quantile outside (0, 1].
func FitRealism(reference, calibration [][]float64, components int, quantile float64) (*Realism, error) {
	p, err := FitPCATop(reference, components)
	if err != nil {
		return nil, err
	}
	return NewRealism(p, components, reference, calibration, quantile)
}

// NewRealism is FitRealism with the principal components already fitted
// (to the reference images or others): the judge compares images on the
// first components of p (all it has, if fewer).
func NewRealism(p *PCA, components int, reference, calibration [][]float64, quantile float64) (*Realism, error) {
	if len(reference) == 0 || len(calibration) == 0 || !(quantile > 0 && quantile <= 1) {
		return nil, fmt.Errorf("latent: realism judge from %d reference and %d calibration images at quantile %g: want images and 0 < quantile ≤ 1", len(reference), len(calibration), quantile)
	}
	_, k := p.Vectors.Dims()
	k = min(k, components)
	r := &Realism{PCA: p, Components: k, Reference: p.Project(reference, k)}
	d := make([]float64, len(calibration))
	for i, img := range calibration {
		d[i] = r.Distance(img)
	}
	slices.Sort(d)
	r.Threshold = d[min(len(d)-1, int(math.Ceil(quantile*float64(len(d))))-1)]
	return r, nil
}

// Distance is the distance from the image's projection to the nearest
// reference image's.
func (r *Realism) Distance(img []float64) float64 {
	q := r.PCA.Project([][]float64{img}, r.Components)[0]
	_, d2 := nearest(r.Reference, q)
	return math.Sqrt(d2)
}

// Valid reports whether the image is as close to the reference images as
// the calibration quantile of real images is.
func (r *Realism) Valid(img []float64) bool { return r.Distance(img) <= r.Threshold }
