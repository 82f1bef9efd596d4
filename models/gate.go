package models

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds the question gate of a state-description RN
// (ReasonerConfig.Gate): before g reads the objects, the question scales
// each object feature,
//
//	o'_{n,k,d} = o_{n,k,d} · (1 + s_{n,d}),  s_n = G·q_n,
//
// FiLM's multiplicative conditioning (Perez et al. 2018, with γ = 1 + Δγ
// and no β) applied to the state description. G starts at zero, so the
// gated net starts as the plain RN. Why: with q only concatenated into g's
// first layer, one ReLU unit cannot test whether an object's color is the
// color the question names (a_c + c_c > t for all c and a_c + c_{c'} ≤ t
// for c ≠ c' sum to a contradiction), so g must grow one unit per value and
// find them by chance; the product makes the test a single unit's work.
//
// A zero row (a padded, absent object) stays zero whatever s is, so the
// relation op's mask of absent objects reads the gated objects as it reads
// the inputs. The gradient goes to s only: the objects are inputs.

// gateObjects returns objects (N×K×D, an input) scaled by 1 + s (N×D).
func gateObjects(objects, s *G.Node) (*G.Node, error) {
	os, ss := objects.Shape(), s.Shape()
	if os.Dims() != 3 || ss.Dims() != 2 || ss[0] != os[0] || ss[1] != os[2] {
		return nil, fmt.Errorf("models: gateObjects wants objects N×K×D and a gate N×D, got %v and %v", os, ss)
	}
	g := gateGeom{N: os[0], K: os[1], D: os[2]}
	return G.ApplyOp(&gateOp{opMeta: named("Gate%+v", g), g: g}, objects, s)
}

// gateGeom is a gate's sizes: N scenes of K objects of D features.
type gateGeom struct{ N, K, D int }

type gateOp struct {
	opMeta
	g   gateGeom
	out outBuf
}

func (op *gateOp) Arity() int    { return 2 }
func (op *gateOp) Type() hm.Type { return hm.NewFnType(tensorT(3), tensorT(2), tensorT(3)) }
func (op *gateOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.g.N, op.g.K, op.g.D}, nil
}
func (op *gateOp) DiffWRT(int) []bool { return []bool{false, true} }
func (op *gateOp) Do(in ...G.Value) (G.Value, error) {
	o := in[0].(*tensor.Dense)
	y := op.out.get(o.Dtype(), op.g.N, op.g.K, op.g.D)
	switch os := o.Data().(type) {
	case []float32:
		gateForward(op.g, os, data32(in[1]), y.Data().([]float32))
	case []float64:
		gateForward(op.g, os, data64(in[1]), y.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: gate: unsupported dtype %v", o.Dtype())
	}
	return y, nil
}

func gateForward[F float](g gateGeom, o, s, y []F) {
	for n := range g.N {
		sn := s[n*g.D:][:g.D]
		for k := range g.K {
			at := (n*g.K + k) * g.D
			on, yn := o[at:][:g.D], y[at:][:g.D]
			for d, v := range on {
				yn[d] = v * (1 + sn[d])
			}
		}
	}
}

// SymDiff: ds_{n,d} = Σ_k dy_{n,k,d}·o_{n,k,d}; the objects get none.
func (op *gateOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	ds, err := G.ApplyOp(&gateGradOp{opMeta: named("GateGrad%+v", op.g), g: op.g}, in[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{nil, ds}, nil
}

// gateGradOp is the gate's gradient with respect to s.
type gateGradOp struct {
	opMeta
	g   gateGeom
	out outBuf
}

func (op *gateGradOp) Arity() int    { return 2 }
func (op *gateGradOp) Type() hm.Type { return hm.NewFnType(tensorT(3), tensorT(3), tensorT(2)) }
func (op *gateGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.g.N, op.g.D}, nil
}
func (op *gateGradOp) DiffWRT(int) []bool { return []bool{false, false} }
func (op *gateGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("models: the gate's gradient has no gradient")
}
func (op *gateGradOp) Do(in ...G.Value) (G.Value, error) {
	o := in[0].(*tensor.Dense)
	y := op.out.get(o.Dtype(), op.g.N, op.g.D)
	switch os := o.Data().(type) {
	case []float32:
		gateBackward(op.g, os, data32(in[1]), y.Data().([]float32))
	case []float64:
		gateBackward(op.g, os, data64(in[1]), y.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: gate gradient: unsupported dtype %v", o.Dtype())
	}
	return y, nil
}

func gateBackward[F float](g gateGeom, o, dy, ds []F) {
	clear(ds)
	for n := range g.N {
		dn := ds[n*g.D:][:g.D]
		for k := range g.K {
			at := (n*g.K + k) * g.D
			for d, v := range o[at:][:g.D] {
				dn[d] += v * dy[at+d]
			}
		}
	}
}
