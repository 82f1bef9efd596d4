package latent

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Composite is one case of latent arithmetic: the codes of the parts of
// a whole, each in its slot (a relation's subject and object; a page's
// header, menu, container, footer), the code of the empty background, the
// code of the whole, the relation between the parts as a class index, and
// what each part is (its label), which HardDistractors reads.
type Composite struct {
	// Parts[s] is the code of the part in slot s, or nil if the whole has
	// no part there.
	Parts             [][]float64
	Background, Whole []float64
	Relation          int
	// Labels[s] names what the part in slot s is, not where it is drawn
	// (a relation's figure: its shape and color), as an index shared by
	// all slots, or −1 for an empty slot. Nil means the parts are unnamed.
	Labels []int
}

// AddParts predicts the whole as Σ z_part − (k−1)·z_background for its k
// parts: plain vector arithmetic, relative to the background's code (for
// two parts, z_A + z_B − z_bg).
func AddParts(c Composite) []float64 {
	out := make([]float64, len(c.Background))
	k := 0
	for _, p := range c.Parts {
		if p == nil {
			continue
		}
		k++
		for i, v := range p {
			out[i] += v
		}
	}
	for i, v := range c.Background {
		out[i] -= float64(k-1) * v
	}
	return out
}

// Operator is a learned composition operator: a linear map from each
// slot's code (zeros and a 0 flag when the slot is empty, the code and a
// 1 flag otherwise), a one-hot relation and a constant 1 to z_whole,
// fitted by ridge regression.
type Operator struct {
	Slots, Relations int
	W                *mat.Dense // features × latent
}

// FitOperator fits the operator on training composites with ridge
// penalty lambda (the bias is penalised too; it is small next to the data).
func FitOperator(train []Composite, slots, relations int, lambda float64) (*Operator, error) {
	if len(train) == 0 {
		return nil, fmt.Errorf("latent: no composites to fit an operator on")
	}
	op := &Operator{Slots: slots, Relations: relations}
	d := len(train[0].Whole)
	f := len(op.features(train[0]))
	X := mat.NewDense(len(train), f, nil)
	Y := mat.NewDense(len(train), d, nil)
	for i, c := range train {
		if c.Relation < 0 || c.Relation >= relations || len(c.Parts) != slots {
			return nil, fmt.Errorf("latent: composite %d has relation %d and %d slots, want 0 to %d and %d", i, c.Relation, len(c.Parts), relations-1, slots)
		}
		X.SetRow(i, op.features(c))
		Y.SetRow(i, c.Whole)
	}
	var xtx mat.Dense
	xtx.Mul(X.T(), X)
	for j := range f {
		xtx.Set(j, j, xtx.At(j, j)+lambda)
	}
	var xty mat.Dense
	xty.Mul(X.T(), Y)
	op.W = &mat.Dense{}
	if err := op.W.Solve(&xtx, &xty); err != nil {
		return nil, fmt.Errorf("latent: fitting the operator: %w", err)
	}
	return op, nil
}

func (op *Operator) features(c Composite) []float64 {
	d := len(c.Background)
	var f []float64
	for s := range op.Slots {
		if s < len(c.Parts) && c.Parts[s] != nil {
			f = append(append(f, c.Parts[s]...), 1)
		} else {
			f = append(f, make([]float64, d+1)...)
		}
	}
	onehot := make([]float64, op.Relations)
	if c.Relation >= 0 && c.Relation < op.Relations {
		onehot[c.Relation] = 1
	}
	return append(append(f, onehot...), 1)
}

// Predict is the operator's estimate of z_whole.
func (op *Operator) Predict(c Composite) []float64 {
	feat := op.features(c)
	f := mat.NewVecDense(len(feat), feat)
	var out mat.VecDense
	out.MulVec(op.W.T(), f)
	return clone(out.RawVector().Data)
}

// RetrievalAccuracy is the share of predictions whose nearest neighbour
// among all the true codes is their own: pred[i] should land closest to
// truth[i] of all the truths. On wholes whose parts are drawn where they
// lie in the whole, any near-linear encoder scores close to 1 by it; see
// HardDistractors and RetrievalAmong for the harder test.
func RetrievalAccuracy(pred, truth [][]float64) float64 {
	if len(pred) == 0 {
		return 0
	}
	right := 0
	for i, p := range pred {
		if j, _ := nearest(truth, p); j == i {
			right++
		}
	}
	return float64(right) / float64(len(pred))
}

// DefaultDistractors is the number of hard distractors per composite the
// bench scores against: chance is 1/(1+10).
const DefaultDistractors = 10

// Hardness is how much composites a and b share: the number of labels they
// have in common as multisets, whatever the slot (a relation's same two
// figures score 2, in the same order or swapped), plus 1 if their
// relations are equal. Empty slots (−1) share nothing.
func Hardness(a, b Composite) int {
	h := 0
	if a.Relation == b.Relation {
		h++
	}
	used := make([]bool, len(b.Labels))
	for _, x := range a.Labels {
		if x < 0 {
			continue
		}
		for j, y := range b.Labels {
			if !used[j] && y == x {
				used[j] = true
				h++
				break
			}
		}
	}
	return h
}

// HardDistractors picks, for each composite q of cs, the k others that
// are hardest to tell from it by what they show: the composites j ≠ q with
// Hardness(q, j) ≥ 1 (they share a part or the relation), ordered by
// hardness, highest first, then by index, lowest first, and the first k
// of that order taken (all of them when fewer than k qualify). For a
// relation "red square above blue circle" the hardest (3) are the same two
// figures in the same relation, in either order, at other positions; then
// (2) the same pair in the other relation, or one shared figure and the
// relation; then (1) one figure or the relation alone. The choice depends
// only on the labels and relations, never on codes, so every
// representation scored with it faces the same distractors. It panics if
// k < 1.
func HardDistractors(cs []Composite, k int) [][]int {
	if k < 1 {
		panic(fmt.Sprintf("latent: %d hard distractors", k))
	}
	out := make([][]int, len(cs))
	for q := range cs {
		// bucket by hardness so that the order is hardness, then index.
		var byHard [][]int
		for j := range cs {
			if j == q {
				continue
			}
			h := Hardness(cs[q], cs[j])
			if h < 1 {
				continue
			}
			for len(byHard) <= h {
				byHard = append(byHard, nil)
			}
			byHard[h] = append(byHard[h], j)
		}
		for h := len(byHard) - 1; h >= 1 && len(out[q]) < k; h-- {
			out[q] = append(out[q], byHard[h][:min(len(byHard[h]), k-len(out[q]))]...)
		}
	}
	return out
}

// RetrievalAmong is the share of predictions that lie strictly closer (in
// Euclidean distance) to their own truth than to the truth of each of
// their distractors: pred[i] is right when |pred[i] − truth[i]| <
// |pred[i] − truth[j]| for every j in distractors[i]. A composite without
// distractors counts as right. Chance is about 1/(1+k) for k distractors.
func RetrievalAmong(pred, truth [][]float64, distractors [][]int) float64 {
	if len(pred) == 0 {
		return 0
	}
	right := 0
	for i, p := range pred {
		own := sqDist(p, truth[i])
		ok := true
		for _, j := range distractors[i] {
			if sqDist(p, truth[j]) <= own {
				ok = false
				break
			}
		}
		if ok {
			right++
		}
	}
	return float64(right) / float64(len(pred))
}
