package models

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// segment copies elements lo…hi−1 of x (in memory order) into a fresh
// tensor of the given shape; its gradient puts dy back in place in zeros
// of x's size. It replaces gorgonia's Slice, which this package does not
// use (see "gorgonia v0.9.18" in the package comment): its name holds the
// bounds in full, so two different segments are never merged.
func segment(x *G.Node, lo, hi int, shape ...int) (*G.Node, error) {
	if lo < 0 || hi > x.Shape().TotalSize() || lo >= hi || tensor.Shape(shape).TotalSize() != hi-lo {
		return nil, fmt.Errorf("models: segment [%d, %d) of %v as %v", lo, hi, x.Shape(), shape)
	}
	return G.ApplyOp(segmentOp{named("Segment[%d:%d]%v", lo, hi, shape), lo, hi, tensor.Shape(shape), x.Shape().Clone()}, x)
}

// unpack cuts packed, read in memory order, into consecutive parts of the
// given shapes: the first part is elements 0…|shapes[0]|−1, the next one
// starts where it ends. The parts must cover packed exactly. Ops that
// compute several results in one pass return them packed this way, and
// unpack is the one place that turns the layout into offsets.
func unpack(packed *G.Node, shapes ...tensor.Shape) (G.Nodes, error) {
	total := 0
	for _, s := range shapes {
		total += s.TotalSize()
	}
	if total != packed.Shape().TotalSize() {
		return nil, fmt.Errorf("models: unpack %v into %v: the parts hold %d elements, the tensor %d", packed.Shape(), shapes, total, packed.Shape().TotalSize())
	}
	parts := make(G.Nodes, len(shapes))
	at := 0
	for i, s := range shapes {
		p, err := segment(packed, at, at+s.TotalSize(), s.Clone()...)
		if err != nil {
			return nil, err
		}
		parts[i] = p
		at += s.TotalSize()
	}
	return parts, nil
}

type segmentOp struct {
	opMeta
	lo, hi int
	shape  tensor.Shape
	from   tensor.Shape
}

func (segmentOp) Arity() int { return 1 }
func (op segmentOp) Type() hm.Type {
	return hm.NewFnType(tensorT(op.from.Dims()), tensorT(op.shape.Dims()))
}
func (op segmentOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }
func (segmentOp) DiffWRT(int) []bool                                { return []bool{true} }
func (op segmentOp) Do(in ...G.Value) (G.Value, error) {
	x := in[0].(*tensor.Dense)
	out := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(op.shape...))
	switch xs := x.Data().(type) {
	case []float32:
		copy(out.Data().([]float32), xs[op.lo:op.hi])
	case []float64:
		copy(out.Data().([]float64), xs[op.lo:op.hi])
	default:
		return nil, fmt.Errorf("models: segment: unsupported dtype %v", x.Dtype())
	}
	return out, nil
}
func (op segmentOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	d, err := G.ApplyOp(placeOp{named("Place[%d:%d]%v", op.lo, op.hi, op.from), op.lo, op.hi, op.from, op.shape}, grad)
	return G.Nodes{d}, err
}

// placeOp puts its input at lo…hi−1 of zeros of shape `to`.
type placeOp struct {
	opMeta
	lo, hi int
	to     tensor.Shape
	from   tensor.Shape
}

func (placeOp) Arity() int { return 1 }
func (op placeOp) Type() hm.Type {
	return hm.NewFnType(tensorT(op.from.Dims()), tensorT(op.to.Dims()))
}
func (op placeOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.to.Clone(), nil }
func (placeOp) DiffWRT(int) []bool                                { return []bool{false} }
func (op placeOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("models: place has no gradient")
}
func (op placeOp) Do(in ...G.Value) (G.Value, error) {
	d := in[0].(*tensor.Dense)
	out := tensor.New(tensor.Of(d.Dtype()), tensor.WithShape(op.to...))
	switch ds := d.Data().(type) {
	case []float32:
		copy(out.Data().([]float32)[op.lo:op.hi], ds)
	case []float64:
		copy(out.Data().([]float64)[op.lo:op.hi], ds)
	}
	return out, nil
}
