package models

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/chewxy/hm"
	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds the question encoder as one op: the embedding lookup and
// Length LSTM steps from a zero state, each step updating only the rows
// whose token is a word (a padded row keeps its state, so its step is not
// computed at all). It computes what Length calls of lstmCell with the
// padding blend compute (TestQuestionEncoderMatchesUnrolled holds it to
// that), in one pass with no graph nodes per step; the forward pass keeps
// each step's gates and cell values in a tape for the backward pass, which
// runs the steps in reverse.

// encGeom is the encoder's geometry: T steps of N questions, V words
// embedded in E, an LSTM of H.
type encGeom struct{ T, N, V, E, H int }

// questionEncoder applies the encoder to the step-major ids (T·N) with the
// embedding table (V×E) and the LSTM's Wx (E×4H), Wh (H×4H) and b (4H),
// giving q (N×H).
func questionEncoder(ids, table, wx, wh, b *G.Node, steps int) (*G.Node, error) {
	ts, ws := table.Shape(), wh.Shape()
	if ids.Shape().Dims() != 1 || ts.Dims() != 2 || ws.Dims() != 2 || steps <= 0 || ids.Shape()[0]%steps != 0 {
		return nil, fmt.Errorf("models: question encoder wants T·N ids, a V×E table and an H×4H Wh, got %v, %v and %v for %d steps", ids.Shape(), ts, ws, steps)
	}
	g := encGeom{T: steps, N: ids.Shape()[0] / steps, V: ts[0], E: ts[1], H: ws[0]}
	want := []tensor.Shape{{g.E, 4 * g.H}, {g.H, 4 * g.H}, {4 * g.H}}
	for i, w := range []*G.Node{wx, wh, b} {
		if !w.Shape().Eq(want[i]) {
			return nil, fmt.Errorf("models: question encoder weight %d has shape %v, want %v", i, w.Shape(), want[i])
		}
	}
	op := &encoderOp{opMeta: named("QuestionEncoder%+v", g), g: g}
	return G.ApplyOp(op, ids, table, wx, wh, b)
}

type encoderOp struct {
	opMeta
	g encGeom
	// tape is an *encTape[float32] or *encTape[float64], made on the
	// first run and reused.
	tape any
}

// encTape is a forward pass's record. Step t's rows with a word are
// active[t]; the k-th of them has, at offset k in step t's blocks, its
// embedding x, its state before the step (h, c), its four gates after
// their activations (i, f, g, o) and tanh of its new cell.
type encTape[F float] struct {
	active      [][]int
	x, h, c, tc []F // T·N×E, T·N×H, T·N×H, T·N×H
	gates       []F // T·N×4H
	inputs      [5]unsafe.Pointer
}

func encTapeOf[F float](op *encoderOp) *encTape[F] {
	t, ok := op.tape.(*encTape[F])
	if !ok {
		g := op.g
		rows := g.T * g.N
		t = &encTape[F]{active: make([][]int, g.T), x: make([]F, rows*g.E), h: make([]F, rows*g.H),
			c: make([]F, rows*g.H), tc: make([]F, rows*g.H), gates: make([]F, rows*4*g.H)}
		for s := range t.active {
			t.active[s] = make([]int, 0, g.N)
		}
		op.tape = t
	}
	return t
}

func (op *encoderOp) Arity() int { return 5 }
func (op *encoderOp) Type() hm.Type {
	return hm.NewFnType(tensorT(1), tensorT(2), tensorT(2), tensorT(2), tensorT(1), tensorT(2))
}
func (op *encoderOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.g.N, op.g.H}, nil
}
func (op *encoderOp) DiffWRT(int) []bool { return []bool{false, true, true, true, true} }

// encArgs is the op's inputs' data: ids, table, Wx, Wh, b.
type encArgs[F float] struct{ ids, table, wx, wh, b []F }

func encArgsOf[F float](in []G.Value) encArgs[F] {
	d := func(i int) []F { return in[i].(*tensor.Dense).Data().([]F) }
	return encArgs[F]{d(0), d(1), d(2), d(3), d(4)}
}

func (a encArgs[F]) pointers() [5]unsafe.Pointer {
	return [5]unsafe.Pointer{unsafe.Pointer(&a.ids[0]), unsafe.Pointer(&a.table[0]), unsafe.Pointer(&a.wx[0]), unsafe.Pointer(&a.wh[0]), unsafe.Pointer(&a.b[0])}
}

func (op *encoderOp) Do(in ...G.Value) (G.Value, error) {
	dt := in[1].(*tensor.Dense).Dtype()
	out := tensor.New(tensor.Of(dt), tensor.WithShape(op.g.N, op.g.H))
	var err error
	switch dt {
	case tensor.Float32:
		err = encForward(op.g, encArgsOf[float32](in), encTapeOf[float32](op), out.Data().([]float32))
	case tensor.Float64:
		err = encForward(op.g, encArgsOf[float64](in), encTapeOf[float64](op), out.Data().([]float64))
	default:
		err = fmt.Errorf("models: question encoder: unsupported dtype %v", dt)
	}
	return out, err
}

// encForward runs the steps, leaving q (the final h) in out.
func encForward[F float](g encGeom, a encArgs[F], t *encTape[F], out []F) error {
	t.inputs = a.pointers()
	mm := partGemm[F]()
	N, E, H := g.N, g.E, g.H
	clear(out)
	h := out
	c, done := buffer[F](N * H)
	defer done()
	cs := (*c)[:N*H]
	clear(cs)
	for s := range g.T {
		act := t.active[s][:0]
		for r, id := range a.ids[s*N:][:N] {
			w := int(id)
			if w < 0 || w >= g.V || F(w) != id {
				t.inputs = [5]unsafe.Pointer{} // no valid tape
				return fmt.Errorf("models: question encoder: id %v is not a whole number in [0, %d)", id, g.V)
			}
			if w != 0 {
				act = append(act, r)
			}
		}
		t.active[s] = act
		m := len(act)
		if m == 0 {
			continue
		}
		x, hp, cp := t.x[s*N*E:][:m*E], t.h[s*N*H:][:m*H], t.c[s*N*H:][:m*H]
		pre, tc := t.gates[s*N*4*H:][:m*4*H], t.tc[s*N*H:][:m*H]
		for k, r := range act {
			w := int(a.ids[s*N+r])
			copy(x[k*E:][:E], a.table[w*E:][:E])
			copy(hp[k*H:][:H], h[r*H:][:H])
			copy(cp[k*H:][:H], cs[r*H:][:H])
			copy(pre[k*4*H:][:4*H], a.b)
		}
		mm(blas.NoTrans, blas.NoTrans, m, 4*H, E, 1, x, E, a.wx, 4*H, 1, pre, 4*H)
		mm(blas.NoTrans, blas.NoTrans, m, 4*H, H, 1, hp, H, a.wh, 4*H, 1, pre, 4*H)
		for k, r := range act {
			row := pre[k*4*H:][:4*H]
			for j := range H {
				i, f, gg, o := gates(pre, k, j, H)
				cn := f*float64(cp[k*H+j]) + i*gg
				tcn := math.Tanh(cn)
				row[j], row[H+j], row[2*H+j], row[3*H+j] = F(i), F(f), F(gg), F(o)
				tc[k*H+j] = F(tcn)
				cs[r*H+j] = F(cn)
				h[r*H+j] = F(o * tcn)
			}
		}
	}
	return nil
}

func (op *encoderOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	args := append(append(G.Nodes(nil), in...), grad)
	packed, err := G.ApplyOp(&encoderGradOp{opMeta: named("QuestionEncoderGrad%+v", op.g), fwd: op}, args...)
	if err != nil {
		return nil, err
	}
	g := op.g
	p, err := unpack(packed, tensor.Shape{g.V, g.E}, tensor.Shape{g.E, 4 * g.H}, tensor.Shape{g.H, 4 * g.H}, tensor.Shape{4 * g.H})
	if err != nil {
		return nil, err
	}
	return append(G.Nodes{nil}, p...), nil
}

// encoderGradOp: inputs the encoder's inputs and the gradient of q;
// output the gradients of the table, Wx, Wh and b, packed in that order.
type encoderGradOp struct {
	opMeta
	fwd *encoderOp
}

func (op *encoderGradOp) Arity() int { return 6 }
func (op *encoderGradOp) Type() hm.Type {
	return hm.NewFnType(tensorT(1), tensorT(2), tensorT(2), tensorT(2), tensorT(1), tensorT(2), tensorT(1))
}
func (op *encoderGradOp) size() int {
	g := op.fwd.g
	return g.V*g.E + (g.E+g.H+1)*4*g.H
}
func (op *encoderGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.size()}, nil
}
func (op *encoderGradOp) DiffWRT(int) []bool { return make([]bool, 6) }
func (op *encoderGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("models: question encoder grad has no gradient")
}
func (op *encoderGradOp) Do(in ...G.Value) (G.Value, error) {
	dt := in[1].(*tensor.Dense).Dtype()
	out := tensor.New(tensor.Of(dt), tensor.WithShape(op.size()))
	var err error
	switch dt {
	case tensor.Float32:
		err = encBackwardOp[float32](op, in, out.Data().([]float32))
	case tensor.Float64:
		err = encBackwardOp[float64](op, in, out.Data().([]float64))
	default:
		err = fmt.Errorf("models: question encoder grad: unsupported dtype %v", dt)
	}
	return out, err
}

func encBackwardOp[F float](op *encoderGradOp, in []G.Value, out []F) error {
	g := op.fwd.g
	a := encArgsOf[F](in[:5])
	t := encTapeOf[F](op.fwd)
	if t.inputs != a.pointers() { // not the pass just run: run it again
		if err := encForward(g, a, t, make([]F, g.N*g.H)); err != nil {
			return err
		}
	}
	dTable, rest := out[:g.V*g.E], out[g.V*g.E:]
	dwx, rest := rest[:g.E*4*g.H], rest[g.E*4*g.H:]
	dwh, db := rest[:g.H*4*g.H], rest[g.H*4*g.H:]
	encBackward(g, a, t, in[5].(*tensor.Dense).Data().([]F), dTable, dwx, dwh, db)
	return nil
}

// encBackward runs the steps in reverse from dq, the gradient of q, adding
// into the zeroed gradients of the table, Wx, Wh and b.
func encBackward[F float](g encGeom, a encArgs[F], t *encTape[F], dq, dTable, dwx, dwh, db []F) {
	mm := partGemm[F]()
	N, E, H := g.N, g.E, g.H
	dhBuf, done1 := buffer[F](N * H)
	defer done1()
	dcBuf, done2 := buffer[F](N * H)
	defer done2()
	work, done3 := buffer[F](N*4*H + N*E + N*H)
	defer done3()
	dh, dc := (*dhBuf)[:N*H], (*dcBuf)[:N*H]
	copy(dh, dq)
	clear(dc)
	for s := g.T - 1; s >= 0; s-- {
		act := t.active[s]
		m := len(act)
		if m == 0 {
			continue
		}
		x, hp, cp := t.x[s*N*E:][:m*E], t.h[s*N*H:][:m*H], t.c[s*N*H:][:m*H]
		gs, tc := t.gates[s*N*4*H:][:m*4*H], t.tc[s*N*H:][:m*H]
		dpre := (*work)[:m*4*H]
		dx := (*work)[N*4*H:][:m*E]
		dhp := (*work)[N*4*H+N*E:][:m*H]
		for k, r := range act {
			row, drow := gs[k*4*H:][:4*H], dpre[k*4*H:][:4*H]
			for j := range H {
				i, f, gg, o := float64(row[j]), float64(row[H+j]), float64(row[2*H+j]), float64(row[3*H+j])
				tcn := float64(tc[k*H+j])
				dhv := float64(dh[r*H+j])
				dcv := float64(dc[r*H+j]) + dhv*o*(1-tcn*tcn)
				drow[j] = F(dcv * gg * i * (1 - i))
				drow[H+j] = F(dcv * float64(cp[k*H+j]) * f * (1 - f))
				drow[2*H+j] = F(dcv * i * (1 - gg*gg))
				drow[3*H+j] = F(dhv * tcn * o * (1 - o))
				dc[r*H+j] = F(dcv * f)
			}
		}
		addColSums(dpre, db, m)
		mm(blas.Trans, blas.NoTrans, E, 4*H, m, 1, x, E, dpre, 4*H, 1, dwx, 4*H)
		mm(blas.Trans, blas.NoTrans, H, 4*H, m, 1, hp, H, dpre, 4*H, 1, dwh, 4*H)
		mm(blas.NoTrans, blas.Trans, m, E, 4*H, 1, dpre, 4*H, a.wx, 4*H, 0, dx, E)
		mm(blas.NoTrans, blas.Trans, m, H, 4*H, 1, dpre, 4*H, a.wh, 4*H, 0, dhp, H)
		for k, r := range act {
			w := int(a.ids[s*N+r])
			drow := dTable[w*E:][:E]
			for e, v := range dx[k*E:][:E] {
				drow[e] += v
			}
			copy(dh[r*H:][:H], dhp[k*H:][:H])
		}
	}
}
