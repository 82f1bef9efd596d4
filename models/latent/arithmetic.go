package latent

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Composite is one case of latent arithmetic: the codes of the parts of
// a whole, each in its slot (a relation's subject and object; a page's
// header, menu, container, footer), the code of the empty background, the
// code of the whole, and the relation between the parts as a class index.
type Composite struct {
	// Parts[s] is the code of the part in slot s, or nil if the whole has
	// no part there.
	Parts             [][]float64
	Background, Whole []float64
	Relation          int
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
// among the true codes is their own: pred[i] should land closest to
// truth[i] of all the truths.
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
