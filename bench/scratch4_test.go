package bench

import (
	"fmt"
	"math"
	"os"
	"testing"

	"gorgonia.org/tensor"
)

func TestScratchFD(t *testing.T) {
	if os.Getenv("DATA") == "" {
		t.Skip()
	}
	train, _ := LoadCaptionSet(os.Getenv("DATA"), "train")
	c, vocab, _ := NewCaptionerFor(train, os.Getenv("ARCH"), 1, 0)
	train.Encode(vocab, c.Config.Steps)
	n := 64
	gr, _ := c.Graph(n, true)
	inputs := make([]*tensor.Dense, len(gr.Inputs))
	for i, in := range gr.Inputs {
		inputs[i] = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(in.Shape()...))
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	c.Feeder(train.Images)(inputs, idx)
	run := func() float64 {
		if err := gr.Run(inputs...); err != nil {
			t.Fatal(err)
		}
		v := gr.Loss.Value().Data().(float32)
		return float64(v)
	}
	run()
	grads := map[string][]float32{}
	for i, p := range c.Params() {
		g, _ := gr.Nodes[i].Grad()
		grads[p.Name] = append([]float32(nil), g.Data().([]float32)...)
		clear(g.Data().([]float32))
	}
	for _, p := range c.Params() {
		g := grads[p.Name]
		// the coordinate with the largest gradient
		best := 0
		for k := range g {
			if math.Abs(float64(g[k])) > math.Abs(float64(g[best])) {
				best = k
			}
		}
		const eps = 1e-3
		orig := p.Data()[best]
		p.Data()[best] = orig + eps
		up := run()
		p.Data()[best] = orig - eps
		down := run()
		p.Data()[best] = orig
		for i := range c.Params() {
			gg, _ := gr.Nodes[i].Grad()
			clear(gg.Data().([]float32))
		}
		fmt.Printf("%-16s [%5d] analytic %+.5f numeric %+.5f\n", p.Name, best, g[best], (up-down)/(2*eps))
	}
}
