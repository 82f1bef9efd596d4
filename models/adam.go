package models

import "math"

// Adam is Kingma and Ba's optimiser over float32 parameters. Its state is
// plain data, so a checkpoint can hold it and a resumed run continues
// exactly where it stopped.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	// Step counts the updates made.
	Step int
	M, V [][]float32
}

// NewAdam returns Adam with the paper's defaults (β₁ 0.9, β₂ 0.999, ε 1e-8)
// and learning rate lr.
func NewAdam(lr float64) *Adam { return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

// Update applies one step: grads[i] is the gradient of params[i]. A nil
// grads[i] leaves params[i] and its moments as they are (a parameter that
// is not trained, such as batch norm's running statistics).
func (a *Adam) Update(params []*Param, grads [][]float32) {
	if a.M == nil {
		a.M, a.V = make([][]float32, len(params)), make([][]float32, len(params))
		for i, p := range params {
			a.M[i], a.V[i] = make([]float32, p.Size()), make([]float32, p.Size())
		}
	}
	a.Step++
	c1 := 1 - math.Pow(a.Beta1, float64(a.Step))
	c2 := 1 - math.Pow(a.Beta2, float64(a.Step))
	b1, b2 := float32(a.Beta1), float32(a.Beta2)
	lr := float32(a.LR * math.Sqrt(c2) / c1) // bias corrections folded into the rate
	eps := float32(a.Eps * math.Sqrt(c2))
	for i, p := range params {
		if grads[i] == nil {
			continue
		}
		w, g, m, v := p.Data(), grads[i], a.M[i], a.V[i]
		for j := range w {
			gj := g[j]
			m[j] = float32(b1*m[j]) + float32((1-b1)*gj)
			v[j] = float32(b2*v[j]) + float32((1-b2)*float32(gj*gj))
			w[j] -= float32(lr*m[j]) / (float32(math.Sqrt(float64(v[j]))) + eps)
		}
	}
}
