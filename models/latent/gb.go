package latent

import (
	"math"
	"sort"
)

// GBConfig sizes a gradient-boosted tree classifier. The defaults
// (DefaultGB) are scikit-learn's GradientBoostingClassifier defaults,
// which disentanglement_lib's DCI uses.
type GBConfig struct {
	Rounds int     // boosting stages
	Depth  int     // depth of each regression tree
	LR     float64 // shrinkage
}

// DefaultGB is 100 stages of depth-3 trees with shrinkage 0.1.
func DefaultGB() GBConfig { return GBConfig{Rounds: 100, Depth: 3, LR: 0.1} }

// GB is a multinomial gradient-boosted classifier (Friedman 2001): per
// stage, one regression tree per class fitted to the residuals y − p, with
// Newton-step leaf values.
type GB struct {
	Classes int
	prior   []float64
	stages  [][]*tree
	lr      float64
	// Importances are the features' total weighted impurity (variance)
	// decrease, averaged over the trees that split and normalised to sum 1.
	Importances []float64
}

type treeNode struct {
	feature     int // −1 for a leaf
	threshold   float64
	left, right int
	value       float64
}

type tree struct{ nodes []treeNode }

func (t *tree) eval(x []float64) float64 {
	n := 0
	for t.nodes[n].feature >= 0 {
		if x[t.nodes[n].feature] <= t.nodes[n].threshold {
			n = t.nodes[n].left
		} else {
			n = t.nodes[n].right
		}
	}
	return t.nodes[n].value
}

// FitGB trains the classifier on rows x with labels y (0 … K−1).
func FitGB(x [][]float64, y []int, cfg GBConfig) *GB {
	n, d := len(x), len(x[0])
	k := max(numLabels(y), 2)
	m := &GB{Classes: k, prior: make([]float64, k), lr: cfg.LR, Importances: make([]float64, d)}
	for _, l := range y {
		m.prior[l]++
	}
	for c := range m.prior {
		m.prior[c] = math.Log(max(m.prior[c], 1e-3) / float64(n)) // an absent class gets a tiny prior
	}
	sorted := make([][]int, d)
	for f := range d {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]][f] < x[idx[b]][f] })
		sorted[f] = idx
	}
	score := make([][]float64, n)
	for i := range score {
		score[i] = append([]float64(nil), m.prior...)
	}
	resid := make([]float64, n)
	p := make([]float64, k)
	trees := 0
	for range cfg.Rounds {
		probs := make([][]float64, n)
		for i := range n {
			softmax(score[i], p)
			probs[i] = append([]float64(nil), p...)
		}
		var stage []*tree
		for c := range k {
			for i := range n {
				yi := 0.0
				if y[i] == c {
					yi = 1
				}
				resid[i] = yi - probs[i][c]
			}
			t, imp := fitTree(x, sorted, resid, cfg.Depth, k)
			if len(t.nodes) > 1 {
				trees++
				for f, v := range imp {
					m.Importances[f] += v
				}
			}
			for i := range n {
				score[i][c] += cfg.LR * t.eval(x[i])
			}
			stage = append(stage, t)
		}
		m.stages = append(m.stages, stage)
	}
	var total float64
	for _, v := range m.Importances {
		total += v
	}
	if total > 0 {
		for f := range m.Importances {
			m.Importances[f] /= total
		}
	}
	return m
}

// fitTree grows a regression tree on the residuals level by level, each
// node split at the threshold of greatest variance reduction (ties to the
// lowest feature, then the lowest threshold), and sets each leaf to the
// multinomial deviance's Newton step (K−1)/K·Σr/Σ|r|(1−|r|). It returns
// the tree and each feature's weighted impurity decrease.
func fitTree(x [][]float64, sorted [][]int, r []float64, depth, k int) (*tree, []float64) {
	n, d := len(x), len(x[0])
	imp := make([]float64, d)
	t := &tree{nodes: []treeNode{{feature: -1}}}
	where := make([]int, n) // each row's node
	open := []int{0}
	for level := 0; level < depth && len(open) > 0; level++ {
		type stats struct{ cnt, sum float64 }
		type split struct {
			gain, thr float64
			feature   int
		}
		nn := len(t.nodes)
		isOpen := make([]bool, nn)
		for _, nd := range open {
			isOpen[nd] = true
		}
		tot := make([]stats, nn)
		for i := range n {
			if isOpen[where[i]] {
				tot[where[i]].cnt++
				tot[where[i]].sum += r[i]
			}
		}
		best := make([]split, nn)
		for nd := range best {
			best[nd].feature = -1
		}
		left := make([]stats, nn)
		last := make([]float64, nn)
		for f := range d {
			clear(left)
			for _, i := range sorted[f] {
				nd := where[i]
				if !isOpen[nd] {
					continue
				}
				l := &left[nd]
				v := x[i][f]
				if l.cnt > 0 && v > last[nd] {
					s := tot[nd]
					rc, rs := s.cnt-l.cnt, s.sum-l.sum
					gain := l.sum*l.sum/l.cnt + rs*rs/rc - s.sum*s.sum/s.cnt
					if b := &best[nd]; gain > b.gain+1e-12 {
						b.gain, b.thr, b.feature = gain, (last[nd]+v)/2, f
					}
				}
				l.cnt++
				l.sum += r[i]
				last[nd] = v
			}
		}
		var next []int
		for _, nd := range open {
			b := best[nd]
			if b.feature < 0 {
				continue
			}
			imp[b.feature] += b.gain / float64(n) // the SSE decrease over n: weighted variance decrease
			t.nodes[nd].feature, t.nodes[nd].threshold = b.feature, b.thr
			t.nodes[nd].left, t.nodes[nd].right = len(t.nodes), len(t.nodes)+1
			t.nodes = append(t.nodes, treeNode{feature: -1}, treeNode{feature: -1})
			next = append(next, t.nodes[nd].left, t.nodes[nd].right)
		}
		for i := range n {
			nd := where[i]
			if t.nodes[nd].feature >= 0 {
				if x[i][t.nodes[nd].feature] <= t.nodes[nd].threshold {
					where[i] = t.nodes[nd].left
				} else {
					where[i] = t.nodes[nd].right
				}
			}
		}
		open = next
	}
	num := make([]float64, len(t.nodes))
	den := make([]float64, len(t.nodes))
	for i := range n {
		num[where[i]] += r[i]
		a := math.Abs(r[i])
		den[where[i]] += a * (1 - a)
	}
	for nd := range t.nodes {
		if t.nodes[nd].feature < 0 && den[nd] > 1e-12 {
			t.nodes[nd].value = float64(k-1) / float64(k) * num[nd] / den[nd]
		}
	}
	return t, imp
}

func softmax(s, p []float64) {
	m := math.Inf(-1)
	for _, v := range s {
		m = max(m, v)
	}
	var z float64
	for c, v := range s {
		p[c] = math.Exp(v - m)
		z += p[c]
	}
	for c := range p {
		p[c] /= z
	}
}

// Predict returns the most probable class of each row.
func (m *GB) Predict(x [][]float64) []int {
	out := make([]int, len(x))
	s := make([]float64, m.Classes)
	for i, row := range x {
		copy(s, m.prior)
		for _, stage := range m.stages {
			for c, t := range stage {
				s[c] += m.lr * t.eval(row)
			}
		}
		best := 0
		for c := range s {
			if s[c] > s[best] {
				best = c
			}
		}
		out[i] = best
	}
	return out
}
