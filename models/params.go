package models

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Param is a named trainable float32 tensor. Every graph built from a model
// binds the same tensor, so an optimizer step is seen by all of them.
type Param struct {
	Name  string
	Value *tensor.Dense
}

// Size is the number of scalars in the parameter.
func (p *Param) Size() int { return p.Value.Shape().TotalSize() }

// Data is the parameter's backing slice.
func (p *Param) Data() []float32 { return p.Value.Data().([]float32) }

// ParamSet creates parameters with seeded initial values. gorgonia's own
// initialisers seed themselves from the clock; these never do.
type ParamSet struct {
	rng    *rand.Rand
	Params []*Param
}

// NewParamSet returns an empty set whose initial values derive from seed.
func NewParamSet(seed uint64) *ParamSet {
	return &ParamSet{rng: rand.New(rand.NewPCG(seed, 0x5eed))}
}

// He adds a parameter drawn from N(0, 2/fanIn), He et al.'s initialisation
// for layers followed by a ReLU.
func (s *ParamSet) He(name string, fanIn int, shape ...int) *Param {
	std := math.Sqrt(2 / float64(fanIn))
	return s.add(name, shape, func() float32 { return float32(std * s.rng.NormFloat64()) })
}

// Glorot adds a parameter drawn uniformly from ±√(6/(fanIn+fanOut)).
func (s *ParamSet) Glorot(name string, fanIn, fanOut int, shape ...int) *Param {
	a := math.Sqrt(6 / float64(fanIn+fanOut))
	return s.add(name, shape, func() float32 { return float32(a * (2*s.rng.Float64() - 1)) })
}

// Uniform adds a parameter drawn uniformly from ±bound. PyTorch's default
// initialisation of Linear and Conv2d, weights and biases alike, is
// Uniform with bound 1/√fanIn.
func (s *ParamSet) Uniform(name string, bound float64, shape ...int) *Param {
	return s.add(name, shape, func() float32 { return float32(bound * (2*s.rng.Float64() - 1)) })
}

// Zeros adds a zero parameter (biases).
func (s *ParamSet) Zeros(name string, shape ...int) *Param {
	return s.add(name, shape, func() float32 { return 0 })
}

func (s *ParamSet) add(name string, shape []int, draw func() float32) *Param {
	for _, p := range s.Params {
		if p.Name == name {
			panic("models: parameter named twice: " + name)
		}
	}
	t := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(shape...))
	for i := range t.Data().([]float32) {
		t.Data().([]float32)[i] = draw()
	}
	p := &Param{Name: name, Value: t}
	s.Params = append(s.Params, p)
	return p
}

// Count is the number of trainable scalars.
func Count(ps []*Param) int {
	n := 0
	for _, p := range ps {
		n += p.Size()
	}
	return n
}

// Graph is a model's computation for batches of a fixed size.
type Graph struct {
	G *G.ExprGraph
	// Inputs are fed before each run, in the model's documented order.
	Inputs []*G.Node
	// Outputs are what the model computes (logits, activations).
	Outputs []*G.Node
	// Loss is the scalar to minimise; nil in an inference graph.
	Loss *G.Node
	// Nodes holds one node per model parameter, in the model's order; nil
	// for a parameter the graph does not differentiate (batch norm's running
	// statistics, which a training graph's forward pass updates itself):
	// it gets no gradient and Adam leaves it alone.
	Nodes []*G.Node
	// Named are intermediate nodes worth looking at (activations by layer).
	Named map[string]*G.Node
	vm    G.VM
}

// bind makes one graph node per parameter, all bound to the parameter tensors.
func bind(g *G.ExprGraph, ps []*Param) []*G.Node {
	nodes := make([]*G.Node, len(ps))
	for i, p := range ps {
		nodes[i] = G.NodeFromAny(g, p.Value, G.WithName(p.Name))
	}
	return nodes
}

// Run feeds inputs and runs the graph once (forward, and backward when it
// has a loss).
func (gr *Graph) Run(inputs ...*tensor.Dense) error {
	if len(inputs) != len(gr.Inputs) {
		return fmt.Errorf("models: graph wants %d inputs, got %d", len(gr.Inputs), len(inputs))
	}
	if gr.vm == nil {
		if gr.Loss != nil {
			wrt := gr.trained()
			if _, err := G.Grad(gr.Loss, wrt...); err != nil {
				return fmt.Errorf("models: gradients: %w", err)
			}
			gr.vm = G.NewTapeMachine(gr.G, G.BindDualValues(wrt...))
		} else {
			gr.vm = G.NewTapeMachine(gr.G)
		}
	}
	for i, in := range inputs {
		if err := G.Let(gr.Inputs[i], in); err != nil {
			return fmt.Errorf("models: feeding input %d: %w", i, err)
		}
	}
	gr.vm.Reset()
	if err := gr.vm.RunAll(); err != nil {
		return fmt.Errorf("models: %w", err)
	}
	return nil
}

// trained returns the non-nil Nodes: the parameters to differentiate.
func (gr *Graph) trained() []*G.Node {
	var wrt []*G.Node
	for _, nd := range gr.Nodes {
		if nd != nil {
			wrt = append(wrt, nd)
		}
	}
	return wrt
}

// Close releases the graph's machine.
func (gr *Graph) Close() {
	if gr.vm != nil {
		gr.vm.Close()
		gr.vm = nil
	}
}

// dense computes x·W + b for x of shape n×in.
func dense(x, w, b *G.Node) (*G.Node, error) {
	xw, err := G.Mul(x, w)
	if err != nil {
		return nil, err
	}
	return G.BroadcastAdd(xw, b, nil, []byte{0})
}
