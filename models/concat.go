package models

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// concatChannels stacks a (N×Ca×H×W) and b (N×Cb×H×W) along the channel
// axis into N×(Ca+Cb)×H×W, a's channels first: torch.cat([a, b], 1), the
// U-Net's skip connection. It replaces gorgonia's Concat (see the package
// comment); its gradient is two channel ranges of dy, each a copy.
func concatChannels(a, b *G.Node) (*G.Node, error) {
	sa, sb := a.Shape(), b.Shape()
	if sa.Dims() != 4 || sb.Dims() != 4 || sa[0] != sb[0] || sa[2] != sb[2] || sa[3] != sb[3] {
		return nil, fmt.Errorf("models: concatChannels wants N×C×H×W tensors that differ only in C, got %v and %v", sa, sb)
	}
	g := chanGeom{N: sa[0], A: sa[1], B: sb[1], HW: sa[2] * sa[3]}
	return G.ApplyOp(&concatOp{opMeta: named("ConcatChannels%+v", g), g: g, hw: [2]int{sa[2], sa[3]}}, a, b)
}

// chanGeom is a channel concatenation's sizes: A channels then B, planes
// of HW elements, N images.
type chanGeom struct{ N, A, B, HW int }

type concatOp struct {
	opMeta
	g   chanGeom
	hw  [2]int
	out outBuf
}

func (op *concatOp) Arity() int { return 2 }
func (op *concatOp) Type() hm.Type {
	return hm.NewFnType(tensorT(4), tensorT(4), tensorT(4))
}
func (op *concatOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.g.N, op.g.A + op.g.B, op.hw[0], op.hw[1]}, nil
}
func (op *concatOp) DiffWRT(int) []bool { return []bool{true, true} }
func (op *concatOp) Do(in ...G.Value) (G.Value, error) {
	a := in[0].(*tensor.Dense)
	y := op.out.get(a.Dtype(), op.g.N, op.g.A+op.g.B, op.hw[0], op.hw[1])
	switch as := a.Data().(type) {
	case []float32:
		concatForward(op.g, as, data32(in[1]), y.Data().([]float32))
	case []float64:
		concatForward(op.g, as, data64(in[1]), y.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: concatChannels: unsupported dtype %v", a.Dtype())
	}
	return y, nil
}

func concatForward[F float](g chanGeom, a, b, y []F) {
	na, nb := g.A*g.HW, g.B*g.HW
	forParts(parts(g.N), func(_ int, lo, hi int) {
		for n := lo; n < hi; n++ {
			dst := y[n*(na+nb):][:na+nb]
			copy(dst[:na], a[n*na:][:na])
			copy(dst[na:], b[n*nb:][:nb])
		}
	})
}

func (op *concatOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	da, err := G.ApplyOp(&channelsOp{opMeta: named("Channels[0:%d]%+v", op.g.A, op.g), g: op.g, lo: 0, hi: op.g.A, hw: op.hw}, grad)
	if err != nil {
		return nil, err
	}
	db, err := G.ApplyOp(&channelsOp{opMeta: named("Channels[%d:%d]%+v", op.g.A, op.g.A+op.g.B, op.g), g: op.g, lo: op.g.A, hi: op.g.A + op.g.B, hw: op.hw}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{da, db}, nil
}

// channelsOp copies channels lo…hi−1 of N×(A+B)×H×W into N×(hi−lo)×H×W.
type channelsOp struct {
	opMeta
	g      chanGeom
	lo, hi int
	hw     [2]int
	out    outBuf
}

func (op *channelsOp) Arity() int    { return 1 }
func (op *channelsOp) Type() hm.Type { return hm.NewFnType(tensorT(4), tensorT(4)) }
func (op *channelsOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.g.N, op.hi - op.lo, op.hw[0], op.hw[1]}, nil
}
func (op *channelsOp) DiffWRT(int) []bool { return []bool{false} }
func (op *channelsOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("models: channel range has no gradient")
}
func (op *channelsOp) Do(in ...G.Value) (G.Value, error) {
	x := in[0].(*tensor.Dense)
	y := op.out.get(x.Dtype(), op.g.N, op.hi-op.lo, op.hw[0], op.hw[1])
	switch xs := x.Data().(type) {
	case []float32:
		channels(op.g, op.lo, op.hi, xs, y.Data().([]float32))
	case []float64:
		channels(op.g, op.lo, op.hi, xs, y.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: channel range: unsupported dtype %v", x.Dtype())
	}
	return y, nil
}

func channels[F float](g chanGeom, lo, hi int, x, y []F) {
	per, m := (g.A+g.B)*g.HW, (hi-lo)*g.HW
	forParts(parts(g.N), func(_ int, a, b int) {
		for n := a; n < b; n++ {
			copy(y[n*m:][:m], x[n*per+lo*g.HW:][:m])
		}
	})
}
