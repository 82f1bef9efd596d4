package latent

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Composite is one case of latent arithmetic: the codes of two parts, of
// the empty background, and of the scene that composes them, with the
// relation between the parts as a class index.
type Composite struct {
	A, B, Background, Whole []float64
	Relation                int
}

// AddParts predicts the whole as z_A + z_B − z_background: plain vector
// arithmetic, relative to the background's code.
func AddParts(c Composite) []float64 {
	out := make([]float64, len(c.A))
	for i := range out {
		out[i] = c.A[i] + c.B[i] - c.Background[i]
	}
	return out
}

// Operator is a learned composition operator: a linear map from
// [z_A, z_B, one-hot relation, 1] to z_whole, fitted by ridge regression.
type Operator struct {
	Relations int
	W         *mat.Dense // features × latent
}

// FitOperator fits the operator on training composites with ridge
// penalty lambda (the bias is penalised too; it is small next to the data).
func FitOperator(train []Composite, relations int, lambda float64) (*Operator, error) {
	if len(train) == 0 {
		return nil, fmt.Errorf("latent: no composites to fit an operator on")
	}
	op := &Operator{Relations: relations}
	d := len(train[0].Whole)
	f := len(op.features(train[0]))
	X := mat.NewDense(len(train), f, nil)
	Y := mat.NewDense(len(train), d, nil)
	for i, c := range train {
		if c.Relation < 0 || c.Relation >= relations {
			return nil, fmt.Errorf("latent: composite %d has relation %d, want 0 to %d", i, c.Relation, relations-1)
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
	f := append(clone(c.A), c.B...)
	onehot := make([]float64, op.Relations)
	if c.Relation >= 0 && c.Relation < op.Relations {
		onehot[c.Relation] = 1
	}
	return append(append(f, onehot...), 1)
}

// Predict is the operator's estimate of z_whole.
func (op *Operator) Predict(c Composite) []float64 {
	f := mat.NewVecDense(len(op.features(c)), op.features(c))
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
