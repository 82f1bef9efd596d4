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

// This file holds a Relation Network's g as one op: four dense ReLU layers
// applied to every ordered pair [o_i, o_j, q] of a scene's K objects and
// its question, summed over the K² pairs:
//
//	out_n = Σ_{i,j} g(o_{n,i}, o_{n,j}, q_n)
//
// The first layer is factored: W₁·[o_i, o_j, q] + b₁ = A·o_i + B·o_j +
// (C·q + b₁), where A, B and C are W₁'s row blocks, so A·o and B·o are
// computed once per object and C·q once per scene, and each pair's
// pre-activation is one broadcast sum. The other three layers are single
// matrix products over all of a part's pairs; the pair sum is taken while
// the last layer's ReLU is applied. The backward pass runs the same way,
// and folds the first layer's gradient back onto the objects: dA·o sums
// over j, dB·o over i. When the question is itself computed (a text
// question's LSTM state), its gradient is C's part of the first layer,
// summed over the pairs: dq_n = C·Σ_{i,j} dz_{n,ij}, one product per scene.
//
// With mask, an object whose values are all zero (a state description's
// padding row) is absent: every pair with an absent object is left out of
// the sum (its output and its gradient are zero), so g sums over the
// present objects' pairs only.
//
// The batch is cut into parts() of whole scenes: each part runs forward
// and backward on its own goroutine with its own partial weight
// gradients, which are then added in part order, so results do not
// depend on the core count. The forward pass keeps every layer's output
// in a tape owned by the op (four N·K²×width matrices) for the backward
// pass (an inference graph's op keeps no tape, only each pair's output
// norm, for PairStrengths).

// relGeom is g's geometry: N scenes of K objects of D values, questions
// of Q values, layers H wide.
type relGeom struct{ N, K, D, Q, H int }

func (g relGeom) pairs() int { return g.K * g.K }

// weightShapes are W₁ (2D+Q × H), b₁, W₂, b₂, W₃, b₃, W₄, b₄.
func (g relGeom) weightShapes() [8]tensor.Shape {
	return [8]tensor.Shape{{2*g.D + g.Q, g.H}, {g.H}, {g.H, g.H}, {g.H}, {g.H, g.H}, {g.H}, {g.H, g.H}, {g.H}}
}

// relation applies g to objects (N×K×D) and questions q (N×Q) with weights
// w (W₁, b₁, … W₄, b₄, as weightShapes) and returns the pair sums (N×H)
// and the op, whose tape holds the last forward pass. needDO is false when
// the objects need no gradient (they are an input), needDQ when the
// questions need none (they are an input, not a text encoder's output).
// train is false for an inference graph, whose op keeps no tape. mask
// leaves out the pairs of absent (all-zero) objects.
func relation(objects, q *G.Node, w [8]*G.Node, needDO, needDQ, train, mask bool) (*G.Node, *relationOp, error) {
	os, qs := objects.Shape(), q.Shape()
	if os.Dims() != 3 || qs.Dims() != 2 || qs[0] != os[0] {
		return nil, nil, fmt.Errorf("models: relation wants objects N×K×D and questions N×Q, got %v and %v", os, qs)
	}
	g := relGeom{N: os[0], K: os[1], D: os[2], Q: qs[1], H: w[1].Shape().TotalSize()}
	if _, gated := objects.Op().(*gateOp); mask && needDO && !gated {
		// A zero row's gradient would make it present: the mask is a step.
		// The gate keeps zero rows zero, so gated inputs mask as inputs do.
		return nil, nil, fmt.Errorf("models: relation: masking absent objects needs objects that are inputs, not computed")
	}
	for i, s := range g.weightShapes() {
		if !w[i].Shape().Eq(s) {
			return nil, nil, fmt.Errorf("models: relation weight %d has shape %v, want %v", i, w[i].Shape(), s)
		}
	}
	op := &relationOp{opMeta: named("Relation%+v(dO=%v,dQ=%v,train=%v,mask=%v)", g, needDO, needDQ, train, mask), g: g, needDO: needDO, needDQ: needDQ, train: train, mask: mask}
	args := append(G.Nodes{objects, q}, w[:]...)
	out, err := G.ApplyOp(op, args...)
	return out, op, err
}

type relationOp struct {
	opMeta
	g      relGeom
	needDO bool
	needDQ bool
	train  bool
	mask   bool
	// tape is a *relTape[float32] or *relTape[float64], made on the first
	// run and reused.
	tape any
	out  outBuf
}

// relTape is a forward pass's record: in training every layer's output
// (N·K²×H each, after its ReLU) and the inputs it was computed from; in
// inference only the norm of each pair's output (N·K²).
type relTape[F float] struct {
	h     [4][]F
	norms []float32
	// keep marks, with mask, each pair the sum takes (N·K²); nil without.
	keep   []bool
	inputs [10]unsafe.Pointer
}

func tapeOf[F float](op *relationOp) *relTape[F] {
	t, ok := op.tape.(*relTape[F])
	if !ok {
		t = &relTape[F]{}
		if op.train {
			for l := range t.h {
				t.h[l] = make([]F, op.g.N*op.g.pairs()*op.g.H)
			}
		} else {
			t.norms = make([]float32, op.g.N*op.g.pairs())
		}
		if op.mask {
			t.keep = make([]bool, op.g.N*op.g.pairs())
		}
		op.tape = t
	}
	return t
}

func (op *relationOp) Arity() int { return 10 }
func (op *relationOp) Type() hm.Type {
	ts := []hm.Type{tensorT(3), tensorT(2)}
	for _, s := range op.g.weightShapes() {
		ts = append(ts, tensorT(s.Dims()))
	}
	return hm.NewFnType(append(ts, tensorT(2))...)
}
func (op *relationOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.g.N, op.g.H}, nil
}
func (op *relationOp) DiffWRT(int) []bool {
	return []bool{op.needDO, op.needDQ, true, true, true, true, true, true, true, true}
}

// relArgs is the op's inputs' data: objects, questions, weights.
type relArgs[F float] struct {
	o, q []F
	w    [8][]F
}

func argsOf[F float](in []G.Value) relArgs[F] {
	var a relArgs[F]
	a.o = in[0].(*tensor.Dense).Data().([]F)
	a.q = in[1].(*tensor.Dense).Data().([]F)
	for i := range a.w {
		a.w[i] = in[2+i].(*tensor.Dense).Data().([]F)
	}
	return a
}

// pointers identifies the inputs a tape was computed from.
func (a relArgs[F]) pointers() [10]unsafe.Pointer {
	p := [10]unsafe.Pointer{unsafe.Pointer(&a.o[0]), unsafe.Pointer(&a.q[0])}
	for i, w := range a.w {
		p[2+i] = unsafe.Pointer(&w[0])
	}
	return p
}

func (op *relationOp) Do(in ...G.Value) (G.Value, error) {
	dt := in[0].(*tensor.Dense).Dtype()
	out := op.out.get(dt, op.g.N, op.g.H)
	switch dt {
	case tensor.Float32:
		relForward(op.g, argsOf[float32](in), tapeOf[float32](op), out.Data().([]float32))
	case tensor.Float64:
		relForward(op.g, argsOf[float64](in), tapeOf[float64](op), out.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: relation: unsupported dtype %v", dt)
	}
	return out, nil
}

// pairNorms returns each scene's pair outputs' L2 norms from the last
// forward pass.
func (op *relationOp) pairNorms() ([][]float32, error) {
	t, ok := op.tape.(*relTape[float32])
	if !ok || t.norms == nil {
		return nil, fmt.Errorf("models: relation: no float32 inference pass recorded")
	}
	out := make([][]float32, op.g.N)
	for n := range out {
		out[n] = append([]float32(nil), t.norms[n*op.g.pairs():][:op.g.pairs()]...)
	}
	return out, nil
}

// sceneRows returns where each of scenes lo…hi−1 starts in a part's
// rows of pairs (start[n−lo]; start[hi−lo] is the part's total): P rows a
// scene without a mask (keep nil), one per kept pair with one.
func sceneRows(keep []bool, lo, hi, P int) (start []int, rows int) {
	start = make([]int, hi-lo+1)
	for n := lo; n < hi; n++ {
		c := P
		if keep != nil {
			c = 0
			for _, k := range keep[n*P:][:P] {
				if k {
					c++
				}
			}
		}
		start[n-lo+1] = start[n-lo] + c
	}
	return start, start[hi-lo]
}

// keepOf is scene n's pairs' marks, nil without a mask.
func keepOf(keep []bool, n, P int) []bool {
	if keep == nil {
		return nil
	}
	return keep[n*P:][:P]
}

// markPairs sets keep[i·K+j] (K² pairs) to whether objects i and j of o
// (K×D) are both present: not all zero.
func markPairs[F float](o []F, K, D int, keep []bool) {
	var stack [64]bool
	present := stack[:0]
	if K > len(stack) {
		present = make([]bool, 0, K)
	}
	present = present[:K]
	for i := range K {
		for _, v := range o[i*D:][:D] {
			if v != 0 {
				present[i] = true
				break
			}
		}
	}
	for i := range K {
		for j := range K {
			keep[i*K+j] = present[i] && present[j]
		}
	}
}

// partGemm is the matrix product for one part's goroutine. In float32 it
// is the BLAS's own, whole: both builds' Sgemm run on the calling
// goroutine (models/internal/sgemm, or OpenBLAS held to one thread), and
// serialGemm's tiles would only cut OpenBLAS's products into many small
// calls. gonum's Dgemm (float64, for gradient checks) spreads over the
// cores, so it is tiled.
func partGemm[F float]() gemmFunc[F] {
	var z F
	if _, ok := any(z).(float32); ok {
		return gemm[F]()
	}
	return serialGemm(gemm[F]())
}

// biasRelu sets each row r of x (rows×len(b)) to max(0, x_r + b).
func biasRelu[F float](x, b []F, rows int) {
	h := len(b)
	for r := range rows {
		row := x[r*h:][:h]
		for i, v := range row {
			row[i] = max(0, v+b[i])
		}
	}
}

func relForward[F float](g relGeom, a relArgs[F], t *relTape[F], out []F) {
	t.inputs = a.pointers()
	mm := partGemm[F]()
	K, D, Q, H, P := g.K, g.D, g.Q, g.H, g.pairs()
	wA, wB, wC := a.w[0][:D*H], a.w[0][D*H:2*D*H], a.w[0][2*D*H:]
	forParts(parts(g.N), func(_ int, lo, hi int) {
		if t.keep != nil {
			for n := lo; n < hi; n++ {
				markPairs(a.o[n*K*D:][:K*D], K, D, t.keep[n*P:][:P])
			}
		}
		start, rows := sceneRows(t.keep, lo, hi, P)
		var h [4][]F
		if t.norms == nil {
			for l := range h {
				h[l] = t.h[l][lo*P*H:][:rows*H]
			}
		} else { // no tape: two buffers in turn
			b0, done0 := buffer[F](rows * H)
			defer done0()
			b1, done1 := buffer[F](rows * H)
			defer done1()
			h = [4][]F{*b0, *b1, *b0, *b1}
		}
		buf, done := buffer[F](2*K*H + H)
		defer done()
		ac, bo, c := (*buf)[:K*H], (*buf)[K*H:2*K*H], (*buf)[2*K*H:]
		for n := lo; n < hi; n++ {
			o := a.o[n*K*D:][:K*D]
			// c = C·q + b₁; ac_i = A·o_i + c; bo_j = B·o_j.
			copy(c, a.w[1])
			mm(blas.NoTrans, blas.NoTrans, 1, H, Q, 1, a.q[n*Q:][:Q], Q, wC, H, 1, c, H)
			mm(blas.NoTrans, blas.NoTrans, K, H, D, 1, o, D, wA, H, 0, ac, H)
			mm(blas.NoTrans, blas.NoTrans, K, H, D, 1, o, D, wB, H, 0, bo, H)
			for i := range K {
				row := ac[i*H:][:H]
				for k := range row {
					row[k] += c[k]
				}
			}
			keep := keepOf(t.keep, n, P)
			r := start[n-lo]
			for i := range K {
				ai := ac[i*H:][:H]
				for j := range K {
					if keep != nil && !keep[i*K+j] {
						continue
					}
					bj, dst := bo[j*H:][:H], h[0][r*H:][:H]
					r++
					for k, v := range ai {
						dst[k] = max(0, v+bj[k])
					}
				}
			}
		}
		if rows > 0 {
			for l := 1; l < 4; l++ {
				mm(blas.NoTrans, blas.NoTrans, rows, H, H, 1, h[l-1], H, a.w[2*l], H, 0, h[l], H)
				biasRelu(h[l], a.w[2*l+1], rows)
			}
		}
		for n := lo; n < hi; n++ {
			s := out[n*H:][:H]
			clear(s)
			h4 := h[3][start[n-lo]*H : start[n-lo+1]*H]
			addColSums(h4, s, len(h4)/H)
			if t.norms != nil {
				keep, r := keepOf(t.keep, n, P), 0
				for p := range P {
					if keep != nil && !keep[p] {
						t.norms[n*P+p] = 0
						continue
					}
					var ss float64
					for _, v := range h4[r*H:][:H] {
						ss += float64(v) * float64(v)
					}
					r++
					t.norms[n*P+p] = float32(math.Sqrt(ss))
				}
			}
		}
	})
}

func (op *relationOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if !op.train {
		return nil, fmt.Errorf("models: relation: an inference graph has no gradient")
	}
	args := append(append(G.Nodes(nil), in...), grad)
	packed, err := G.ApplyOp(&relationGradOp{opMeta: named("RelationGrad%+v(dO=%v,dQ=%v)", op.g, op.needDO, op.needDQ), fwd: op}, args...)
	if err != nil {
		return nil, err
	}
	var shapes []tensor.Shape
	if op.needDO {
		shapes = append(shapes, tensor.Shape{op.g.N, op.g.K, op.g.D})
	}
	if op.needDQ {
		shapes = append(shapes, tensor.Shape{op.g.N, op.g.Q})
	}
	ws := op.g.weightShapes()
	shapes = append(shapes, ws[:]...)
	p, err := unpack(packed, shapes...)
	if err != nil {
		return nil, err
	}
	var dO, dQ *G.Node
	if op.needDO {
		dO, p = p[0], p[1:]
	}
	if op.needDQ {
		dQ, p = p[0], p[1:]
	}
	return append(G.Nodes{dO, dQ}, p...), nil
}

// relationGradOp: inputs the relation's inputs and the gradient of its
// output; output the gradients of the objects and of the questions (each
// when needed) and of the eight weights, packed in that order.
type relationGradOp struct {
	opMeta
	fwd *relationOp
}

func (op *relationGradOp) Arity() int { return 11 }
func (op *relationGradOp) Type() hm.Type {
	ts := []hm.Type{tensorT(3), tensorT(2)}
	for _, s := range op.fwd.g.weightShapes() {
		ts = append(ts, tensorT(s.Dims()))
	}
	return hm.NewFnType(append(ts, tensorT(2), tensorT(1))...)
}
func (op *relationGradOp) gradLen() int {
	g := op.fwd.g
	n := 0
	if op.fwd.needDO {
		n = g.N * g.K * g.D
	}
	if op.fwd.needDQ {
		n += g.N * g.Q
	}
	for _, s := range g.weightShapes() {
		n += s.TotalSize()
	}
	return n
}
func (op *relationGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.gradLen()}, nil
}
func (op *relationGradOp) DiffWRT(int) []bool { return make([]bool, 11) }
func (op *relationGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("models: relation grad has no gradient")
}
func (op *relationGradOp) Do(in ...G.Value) (G.Value, error) {
	dt := in[0].(*tensor.Dense).Dtype()
	out := tensor.New(tensor.Of(dt), tensor.WithShape(op.gradLen()))
	switch dt {
	case tensor.Float32:
		relBackwardOp[float32](op, in, out.Data().([]float32))
	case tensor.Float64:
		relBackwardOp[float64](op, in, out.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: relation grad: unsupported dtype %v", dt)
	}
	return out, nil
}

func relBackwardOp[F float](op *relationGradOp, in []G.Value, out []F) {
	g := op.fwd.g
	a := argsOf[F](in[:10])
	t := tapeOf[F](op.fwd)
	if t.inputs != a.pointers() { // not the pass just run: run it again
		relForward(g, a, t, make([]F, g.N*g.H))
	}
	var dO, dQ []F
	if op.fwd.needDO {
		dO, out = out[:g.N*g.K*g.D], out[g.N*g.K*g.D:]
	}
	if op.fwd.needDQ {
		dQ, out = out[:g.N*g.Q], out[g.N*g.Q:]
	}
	var dw [8][]F
	for i, s := range g.weightShapes() {
		dw[i], out = out[:s.TotalSize()], out[s.TotalSize():]
	}
	relBackward(g, a, t, in[10].(*tensor.Dense).Data().([]F), dO, dQ, dw)
}

// maskRelu zeroes d where the ReLU output y is not positive.
func maskRelu[F float](d, y []F) {
	if d32, ok := any(d).([]float32); ok {
		maskRelu32(d32, any(y).([]float32))
		return
	}
	y = y[:len(d)]
	for i, v := range y {
		if v <= 0 {
			d[i] = 0
		}
	}
}

// maskRelu32 is maskRelu for float32, without branches: about half the
// outputs are positive, in no pattern a branch predictor can learn, so a
// conditional move of a bit mask is faster than a test and a store.
func maskRelu32(d, y []float32) {
	y = y[:len(d)]
	for i, v := range y {
		var m uint32
		if v > 0 {
			m = math.MaxUint32
		}
		d[i] = math.Float32frombits(math.Float32bits(d[i]) & m)
	}
}

// addColSums adds the column sums of x (rows×len(s)) to s, rows in order.
func addColSums[F float](x, s []F, rows int) {
	h := len(s)
	for r := range rows {
		for k, v := range x[r*h:][:h] {
			s[k] += v
		}
	}
}

// relBackward computes the weights' gradients dw and, when dO or dQ is
// non-nil, the objects' and the questions' (each scene's alone, so parts
// write them without a reduction).
func relBackward[F float](g relGeom, a relArgs[F], t *relTape[F], dOut, dO, dQ []F, dw [8][]F) {
	mm := partGemm[F]()
	K, D, Q, H, P := g.K, g.D, g.Q, g.H, g.pairs()
	wA, wB, wC := a.w[0][:D*H], a.w[0][D*H:2*D*H], a.w[0][2*D*H:]
	ps := parts(g.N)
	partial := make([][8][]F, len(ps))
	forParts(ps, func(part int, lo, hi int) {
		start, rows := sceneRows(t.keep, lo, hi, P)
		var h [4][]F
		for l := range h {
			h[l] = t.h[l][lo*P*H:][:rows*H]
		}
		var pw [8][]F
		for i, w := range dw {
			pw[i] = make([]F, len(w))
		}
		partial[part] = pw
		b1, done1 := buffer[F](rows * H)
		defer done1()
		b2, done2 := buffer[F](rows * H)
		defer done2()
		dz, dx := (*b1)[:rows*H], (*b2)[:rows*H]
		// Layer 4: the sum sends dOut_n to every pair of scene n.
		for n := lo; n < hi; n++ {
			d := dOut[n*H:][:H]
			for r := start[n-lo]; r < start[n-lo+1]; r++ {
				y, z := h[3][r*H:][:H], dz[r*H:][:H]
				for k, v := range y {
					if v > 0 {
						z[k] = d[k]
					} else {
						z[k] = 0
					}
				}
			}
		}
		for l := 3; l >= 1 && rows > 0; l-- {
			// dz is the gradient of layer l+1's pre-activation (0-based l).
			addColSums(dz, pw[2*l+1], rows)
			mm(blas.Trans, blas.NoTrans, H, H, rows, 1, h[l-1], H, dz, H, 0, pw[2*l], H)
			mm(blas.NoTrans, blas.Trans, rows, H, H, 1, dz, H, a.w[2*l], H, 0, dx, H)
			maskRelu(dx, h[l-1])
			dz, dx = dx, dz
		}
		// dz is now the first layer's pre-activation gradient, per pair.
		buf, done := buffer[F](2*K*H + H)
		defer done()
		dA, dB, dC := (*buf)[:K*H], (*buf)[K*H:2*K*H], (*buf)[2*K*H:]
		gA, gB, gC := pw[0][:D*H], pw[0][D*H:2*D*H], pw[0][2*D*H:]
		for n := lo; n < hi; n++ {
			keep, r := keepOf(t.keep, n, P), start[n-lo]
			clear(dA)
			clear(dB)
			clear(dC)
			for i := range K {
				ai := dA[i*H:][:H]
				for j := range K {
					if keep != nil && !keep[i*K+j] {
						continue
					}
					row, bj := dz[r*H:][:H], dB[j*H:][:H]
					r++
					for k, v := range row {
						ai[k] += v
						bj[k] += v
					}
				}
			}
			addColSums(dA, dC, K)
			o := a.o[n*K*D:][:K*D]
			mm(blas.Trans, blas.NoTrans, D, H, K, 1, o, D, dA, H, 1, gA, H)
			mm(blas.Trans, blas.NoTrans, D, H, K, 1, o, D, dB, H, 1, gB, H)
			mm(blas.Trans, blas.NoTrans, Q, H, 1, 1, a.q[n*Q:][:Q], Q, dC, H, 1, gC, H)
			for k, v := range dC {
				pw[1][k] += v
			}
			if dQ != nil { // dq_n = dC·Cᵀ
				mm(blas.NoTrans, blas.Trans, 1, Q, H, 1, dC, H, wC, H, 0, dQ[n*Q:][:Q], Q)
			}
			if dO != nil {
				d := dO[n*K*D:][:K*D]
				mm(blas.NoTrans, blas.Trans, K, D, H, 1, dA, H, wA, H, 0, d, D)
				mm(blas.NoTrans, blas.Trans, K, D, H, 1, dB, H, wB, H, 1, d, D)
			}
		}
	})
	for i := range dw {
		clear(dw[i])
		for p := range ps {
			for k, v := range partial[p][i] {
				dw[i][k] += v
			}
		}
	}
}

// gridObjects turns a feature grid x (N×C×H×W) into N×HW×(C+2) objects:
// cell (y, x), row-major, is its C features followed by its coordinates
// (x, y), each spaced evenly over [-1, 1] (torch.linspace(-1, 1, side)).
func gridObjects(x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 {
		return nil, fmt.Errorf("models: gridObjects wants N×C×H×W, got %v", s)
	}
	return G.ApplyOp(gridObjectsOp{named("GridObjects%v", s), s.Clone()}, x)
}

type gridObjectsOp struct {
	opMeta
	s tensor.Shape
}

// coord is position i of torch.linspace(-1, 1, n).
func coord(i, n int) float64 {
	if n == 1 {
		return -1
	}
	return -1 + 2*float64(i)/float64(n-1)
}

func (gridObjectsOp) Arity() int         { return 1 }
func (gridObjectsOp) Type() hm.Type      { return hm.NewFnType(tensorT(4), tensorT(3)) }
func (gridObjectsOp) DiffWRT(int) []bool { return []bool{true} }
func (op gridObjectsOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.s[0], op.s[2] * op.s[3], op.s[1] + 2}, nil
}
func (op gridObjectsOp) Do(in ...G.Value) (G.Value, error) {
	x := in[0].(*tensor.Dense)
	out := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(op.s[0], op.s[2]*op.s[3], op.s[1]+2))
	switch xs := x.Data().(type) {
	case []float32:
		gridForward(op.s, xs, out.Data().([]float32))
	case []float64:
		gridForward(op.s, xs, out.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: gridObjects: unsupported dtype %v", x.Dtype())
	}
	return out, nil
}

func gridForward[F float](s tensor.Shape, x, out []F) {
	N, C, H, W := s[0], s[1], s[2], s[3]
	D := C + 2
	for n := range N {
		for y := range H {
			for xx := range W {
				o := out[(n*H*W+y*W+xx)*D:][:D]
				for c := range C {
					o[c] = x[((n*C+c)*H+y)*W+xx]
				}
				o[C], o[C+1] = F(coord(xx, W)), F(coord(y, H))
			}
		}
	}
}

func (op gridObjectsOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(gridObjectsGradOp{named("GridObjectsGrad%v", op.s), op.s}, grad)
	return G.Nodes{dx}, err
}

// gridObjectsGradOp puts the objects' feature gradients back on the grid
// (the coordinates are constants).
type gridObjectsGradOp struct {
	opMeta
	s tensor.Shape
}

func (gridObjectsGradOp) Arity() int         { return 1 }
func (gridObjectsGradOp) Type() hm.Type      { return hm.NewFnType(tensorT(3), tensorT(4)) }
func (gridObjectsGradOp) DiffWRT(int) []bool { return []bool{false} }
func (op gridObjectsGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.s.Clone(), nil
}
func (gridObjectsGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("models: gridObjects grad has no gradient")
}
func (op gridObjectsGradOp) Do(in ...G.Value) (G.Value, error) {
	d := in[0].(*tensor.Dense)
	out := tensor.New(tensor.Of(d.Dtype()), tensor.WithShape(op.s...))
	switch ds := d.Data().(type) {
	case []float32:
		gridBackward(op.s, ds, out.Data().([]float32))
	case []float64:
		gridBackward(op.s, ds, out.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: gridObjects grad: unsupported dtype %v", d.Dtype())
	}
	return out, nil
}

func gridBackward[F float](s tensor.Shape, d, dx []F) {
	N, C, H, W := s[0], s[1], s[2], s[3]
	D := C + 2
	for n := range N {
		for c := range C {
			for p := range H * W {
				dx[(n*C+c)*H*W+p] = d[(n*H*W+p)*D+c]
			}
		}
	}
}
