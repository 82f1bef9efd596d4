package bench

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Metric is a value with its 95% interval.
type Metric struct {
	Value float64 `json:"value"`
	// CI95 is [lo, hi], or absent for exact quantities (a parameter count).
	CI95 *[2]float64 `json:"ci95,omitempty"`
}

// z95 is the standard normal quantile for a two-sided 95% interval.
const z95 = 1.959963984540054

// Wilson returns k/n with Wilson's score interval, the interval for a
// binomial proportion that stays inside [0, 1] and behaves at 0 and n.
func Wilson(k, n int) Metric {
	if n == 0 {
		return Metric{Value: math.NaN()}
	}
	p, nf := float64(k)/float64(n), float64(n)
	z2 := z95 * z95
	center := (p + z2/(2*nf)) / (1 + z2/nf)
	half := z95 / (1 + z2/nf) * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return Metric{Value: p, CI95: &[2]float64{max(0, center-half), min(1, center+half)}}
}

// Exact is a metric without an interval.
func Exact(v float64) Metric { return Metric{Value: v} }

// MeanCI returns the mean of xs with a Student-t 95% interval; for a single
// value the interval is absent.
func MeanCI(xs []float64) Metric {
	m := stat.Mean(xs, nil)
	if len(xs) < 2 {
		return Metric{Value: m}
	}
	se := stat.StdDev(xs, nil) / math.Sqrt(float64(len(xs)))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(xs) - 1)}.Quantile(0.975)
	return Metric{Value: m, CI95: &[2]float64{m - t*se, m + t*se}}
}

// BootstrapCI returns a 95% percentile interval of statistic over n
// examples, resampled 1000 times with a generator seeded by seed.
func BootstrapCI(n int, seed uint64, statistic func(idx []int) float64) *[2]float64 {
	const rounds = 1000
	rng := rand.New(rand.NewPCG(seed, 0xb007))
	vals := make([]float64, rounds)
	idx := make([]int, n)
	for r := range vals {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		vals[r] = statistic(idx)
	}
	slices.Sort(vals)
	return &[2]float64{vals[int(0.025*rounds)], vals[int(0.975*rounds)-1]}
}
