package latent

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// SOM is a self-organizing map: a Rows×Cols grid of weight vectors.
type SOM struct {
	Rows, Cols int
	// W holds unit v = r·Cols + c's weight vector.
	W [][]float64
}

// SOMConfig is a map's size and training schedule, in the research notes'
// terms: L iterations; at iteration s the learning rate α(s) and the
// neighbourhood radius σ(s) decay exponentially from their start to their
// end values, and θ(u,v,s) = exp(−d(u,v)²/(2σ(s)²)) with d the distance
// between units u and v on the grid.
type SOMConfig struct {
	Rows, Cols           int
	Iterations           int
	AlphaStart, AlphaEnd float64
	SigmaStart, SigmaEnd float64
	Seed                 uint64
}

// DefaultSOM is a rows×cols map trained for 20 passes over n rows
// (at least 5,000 iterations), α from 0.5 to 0.01, σ from half the larger
// side to 0.5.
func DefaultSOM(rows, cols, n int, seed uint64) SOMConfig {
	return SOMConfig{Rows: rows, Cols: cols, Iterations: max(20*n, 5000), AlphaStart: 0.5, AlphaEnd: 0.01,
		SigmaStart: float64(max(rows, cols)) / 2, SigmaEnd: 0.5, Seed: seed}
}

// TrainSOM follows the notes' algorithm: randomize W (here: each unit
// starts as a row of D drawn at random); then L times pick D(t) at random,
// find the best matching unit u (least Euclidean distance), and update
// every unit v: W(v,s+1) = W(v,s) + θ(u,v,s)·α(s)·(D(t) − W(v,s)).
func TrainSOM(x [][]float64, cfg SOMConfig) (*SOM, error) {
	if cfg.Rows < 1 || cfg.Cols < 1 || cfg.Iterations < 1 || len(x) == 0 {
		return nil, fmt.Errorf("latent: SOM %d×%d for %d iterations on %d rows: want a grid, iterations and data", cfg.Rows, cfg.Cols, cfg.Iterations, len(x))
	}
	if !(cfg.AlphaStart > 0 && cfg.AlphaEnd > 0 && cfg.SigmaStart > 0 && cfg.SigmaEnd > 0) {
		return nil, fmt.Errorf("latent: SOM α and σ must be positive: %+v", cfg)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x50))
	m := &SOM{Rows: cfg.Rows, Cols: cfg.Cols}
	for range cfg.Rows * cfg.Cols {
		m.W = append(m.W, clone(x[rng.IntN(len(x))]))
	}
	L := float64(cfg.Iterations)
	for s := range cfg.Iterations {
		frac := float64(s) / L
		alpha := cfg.AlphaStart * math.Pow(cfg.AlphaEnd/cfg.AlphaStart, frac)
		sigma := cfg.SigmaStart * math.Pow(cfg.SigmaEnd/cfg.SigmaStart, frac)
		d := x[rng.IntN(len(x))]
		u, _ := nearest(m.W, d)
		ur, uc := u/m.Cols, u%m.Cols
		for v, w := range m.W {
			dr, dc := float64(v/m.Cols-ur), float64(v%m.Cols-uc)
			theta := math.Exp(-(dr*dr + dc*dc) / (2 * sigma * sigma))
			if theta < 1e-6 {
				continue
			}
			for j := range w {
				w[j] += theta * alpha * (d[j] - w[j])
			}
		}
	}
	return m, nil
}

// BMU returns the best matching unit of v and the second best.
func (m *SOM) BMU(v []float64) (first, second int) {
	d1, d2 := math.Inf(1), math.Inf(1)
	first, second = -1, -1
	for u, w := range m.W {
		d := sqDist(w, v)
		switch {
		case d < d1:
			second, d2 = first, d1
			first, d1 = u, d
		case d < d2:
			second, d2 = u, d
		}
	}
	return first, second
}

// QuantizationError is the mean distance from each row to its BMU's weights.
func (m *SOM) QuantizationError(x [][]float64) float64 {
	var s float64
	for _, v := range x {
		u, _ := m.BMU(v)
		s += dist(v, m.W[u])
	}
	return s / float64(len(x))
}

// TopographicError is the share of rows whose best and second-best
// matching units are not neighbours on the grid (the 8 cells around).
func (m *SOM) TopographicError(x [][]float64) float64 {
	if len(m.W) < 2 {
		return 0
	}
	bad := 0
	for _, v := range x {
		a, b := m.BMU(v)
		dr, dc := a/m.Cols-b/m.Cols, a%m.Cols-b%m.Cols
		if dr < -1 || dr > 1 || dc < -1 || dc > 1 {
			bad++
		}
	}
	return float64(bad) / float64(len(x))
}

// UMatrix returns, per unit, the mean distance between its weights and
// its grid neighbours' (the 8 cells around): high values are the borders
// between clusters.
func (m *SOM) UMatrix() [][]float64 {
	u := make([][]float64, m.Rows)
	for r := range m.Rows {
		u[r] = make([]float64, m.Cols)
		for c := range m.Cols {
			var s float64
			n := 0
			for dr := -1; dr <= 1; dr++ {
				for dc := -1; dc <= 1; dc++ {
					rr, cc := r+dr, c+dc
					if (dr == 0 && dc == 0) || rr < 0 || cc < 0 || rr >= m.Rows || cc >= m.Cols {
						continue
					}
					s += dist(m.W[r*m.Cols+c], m.W[rr*m.Cols+cc])
					n++
				}
			}
			if n > 0 {
				u[r][c] = s / float64(n)
			}
		}
	}
	return u
}

// UnitLabels returns each unit's most common label among the rows it is
// the BMU of (ties to the lower label), or −1 for units no row maps to.
func (m *SOM) UnitLabels(x [][]float64, labels []int) []int {
	k := numLabels(labels)
	counts := make([][]int, len(m.W))
	for i, v := range x {
		u, _ := m.BMU(v)
		if counts[u] == nil {
			counts[u] = make([]int, k)
		}
		counts[u][labels[i]]++
	}
	out := make([]int, len(m.W))
	for u, c := range counts {
		out[u] = -1
		best := 0
		for l, n := range c {
			if n > best {
				out[u], best = l, n
			}
		}
	}
	return out
}
