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

// This file holds the captioner's teacher-forced decoder as one op: all
// Steps decoder steps (embedding, attention, LSTM, output projection) in a
// single forward and a single hand-written backward (BPTT), instead of some
// twenty gorgonia nodes per step. It computes what Captioner.step unrolled
// Steps times computes, with the same arithmetic in the forward pass (the
// products row for row, the element-wise sums in the same order, the gates
// and attention in float64 as in lstmGatesOp and attendOp), so its logits
// are those of the unrolled graph bit for bit. The backward pass sums the
// steps' weight gradients in one product each over all Steps·N rows (and
// the output projection's too), an order of additions that differs from
// gorgonia's per-step sums: gradients agree to rounding, not to the bit.
//
// The forward pass keeps what the backward pass needs (states, gate
// activations, attention weights and tanh values) in a tape owned by the
// op and reused run after run: no per-step allocation. The gradient op
// finds the tape through the op and checks that it was filled from the
// same inputs; if not, it recomputes it.

// decGeom is the decoder's geometry: T steps of N rows, vocabulary V,
// embedding E, hidden H; with attention, L grid cells of C features and
// attention width A.
type decGeom struct {
	T, N, V, E, H int
	Att           bool
	L, C, A       int
}

// Input positions of the decoder op. Without attention the inputs are
// h0, c0, ids, embed, wx, wh, b, outW, outB.
const (
	diFeats = iota
	diPF
	diH0
	diC0
	diIDs
	diEmbed
	diAttHW
	diAttHB
	diAttV
	diWx
	diWh
	diB
	diWctx
	diOutW
	diOutB
	diCount
)

// slots maps the full input positions to the op's argument positions (-1
// for absent inputs).
func (g decGeom) slots() [diCount]int {
	var s [diCount]int
	k := 0
	for i := range s {
		if !g.Att && (i == diFeats || i == diPF || i == diAttHW || i == diAttHB || i == diAttV || i == diWctx) {
			s[i] = -1
			continue
		}
		s[i] = k
		k++
	}
	return s
}

func (g decGeom) arity() int {
	if g.Att {
		return diCount
	}
	return diCount - 6
}

// shapes are the inputs' shapes, by full position.
func (g decGeom) shapes() [diCount]tensor.Shape {
	return [diCount]tensor.Shape{
		diFeats: {g.N, g.L, g.C}, diPF: {g.N, g.L, g.A}, diH0: {g.N, g.H}, diC0: {g.N, g.H}, diIDs: {g.T * g.N},
		diEmbed: {g.V, g.E}, diAttHW: {g.H, g.A}, diAttHB: {g.A}, diAttV: {g.A},
		diWx: {g.E, 4 * g.H}, diWh: {g.H, 4 * g.H}, diB: {4 * g.H}, diWctx: {g.C, 4 * g.H},
		diOutW: {g.H, g.V}, diOutB: {g.V},
	}
}

// outLen is the length of the packed output: the logits of every step,
// step-major ((T·N)×V), then with attention α ((T·N)×L).
func (g decGeom) outLen() int {
	n := g.T * g.N * g.V
	if g.Att {
		n += g.T * g.N * g.L
	}
	return n
}

// decoder is the teacher-forced decoder over all steps. in holds the
// inputs by full position (decGeom's di… constants; the attention inputs
// are ignored without attention). It returns the packed output: unpack it
// into the logits ((T·N)×V) and, with attention, α ((T·N)×L).
func decoder(g decGeom, in [diCount]*G.Node) (*G.Node, error) {
	sh := g.shapes()
	var args G.Nodes
	for i, k := range g.slots() {
		if k < 0 {
			continue
		}
		if in[i] == nil || !in[i].Shape().Eq(sh[i]) {
			var got tensor.Shape
			if in[i] != nil {
				got = in[i].Shape()
			}
			return nil, fmt.Errorf("models: decoder input %d: shape %v, want %v", i, got, sh[i])
		}
		args = append(args, in[i])
	}
	return G.ApplyOp(&decoderOp{opMeta: named("Decoder%+v", g), g: g}, args...)
}

type decoderOp struct {
	opMeta
	g decGeom
	// tape is a *decTape[float32] or *decTape[float64], made on the first
	// run and shared with the gradient op.
	tape any
}

func (op *decoderOp) Arity() int { return op.g.arity() }
func (op *decoderOp) Type() hm.Type {
	sh := op.g.shapes()
	var ts []hm.Type
	for i, k := range op.g.slots() {
		if k >= 0 {
			ts = append(ts, tensorT(sh[i].Dims()))
		}
	}
	ts = append(ts, tensorT(1))
	return hm.NewFnType(ts...)
}
func (op *decoderOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.g.outLen()}, nil
}
func (op *decoderOp) DiffWRT(int) []bool {
	d := make([]bool, op.g.arity())
	for i := range d {
		d[i] = i != op.g.slots()[diIDs]
	}
	return d
}

func (op *decoderOp) Do(in ...G.Value) (G.Value, error) {
	if len(in) != op.g.arity() {
		return nil, fmt.Errorf("models: decoder: %d inputs, want %d", len(in), op.g.arity())
	}
	dt := in[0].(*tensor.Dense).Dtype()
	out := tensor.New(tensor.Of(dt), tensor.WithShape(op.g.outLen()))
	var err error
	switch dt {
	case tensor.Float32:
		err = decForward(op.g, tapeFor[float32](op), decInputs[float32](op.g, in), out.Data().([]float32))
	case tensor.Float64:
		err = decForward(op.g, tapeFor[float64](op), decInputs[float64](op.g, in), out.Data().([]float64))
	default:
		err = fmt.Errorf("models: decoder: unsupported dtype %v", dt)
	}
	return out, err
}

func (op *decoderOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	args := append(append(G.Nodes(nil), in...), grad)
	packed, err := G.ApplyOp(&decoderGradOp{opMeta: named("DecoderGrad%+v", op.g), fwd: op}, args...)
	if err != nil {
		return nil, err
	}
	sh := op.g.shapes()
	var shapes []tensor.Shape
	for i, k := range op.g.slots() {
		if k >= 0 && i != diIDs {
			shapes = append(shapes, sh[i])
		}
	}
	parts, err := unpack(packed, shapes...)
	if err != nil {
		return nil, err
	}
	// The gradients come in input order without the ids, which get none.
	ids := op.g.slots()[diIDs]
	res := append(append(append(G.Nodes(nil), parts[:ids]...), nil), parts[ids:]...)
	return res, nil
}

// decoderGradOp: inputs the decoder's inputs and the gradient of its
// packed output; output the gradients of every input but the ids, packed
// in input order.
type decoderGradOp struct {
	opMeta
	fwd *decoderOp
}

func (op *decoderGradOp) Arity() int { return op.fwd.g.arity() + 1 }
func (op *decoderGradOp) Type() hm.Type {
	sh := op.fwd.g.shapes()
	var ts []hm.Type
	for i, k := range op.fwd.g.slots() {
		if k >= 0 {
			ts = append(ts, tensorT(sh[i].Dims()))
		}
	}
	ts = append(ts, tensorT(1), tensorT(1))
	return hm.NewFnType(ts...)
}
func (op *decoderGradOp) gradLen() int {
	g := op.fwd.g
	sh := g.shapes()
	n := 0
	for i, k := range g.slots() {
		if k >= 0 && i != diIDs {
			n += sh[i].TotalSize()
		}
	}
	return n
}
func (op *decoderGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.gradLen()}, nil
}
func (op *decoderGradOp) Do(in ...G.Value) (G.Value, error) {
	g := op.fwd.g
	dt := in[0].(*tensor.Dense).Dtype()
	out := tensor.New(tensor.Of(dt), tensor.WithShape(op.gradLen()))
	var err error
	switch dt {
	case tensor.Float32:
		err = decBackward(g, tapeFor[float32](op.fwd), decInputs[float32](g, in[:len(in)-1]), data32(in[len(in)-1]), out.Data().([]float32))
	case tensor.Float64:
		err = decBackward(g, tapeFor[float64](op.fwd), decInputs[float64](g, in[:len(in)-1]), data64(in[len(in)-1]), out.Data().([]float64))
	default:
		err = fmt.Errorf("models: decoder grad: unsupported dtype %v", dt)
	}
	return out, err
}

// decInputs returns the inputs' data by full position (nil where absent).
func decInputs[F float](g decGeom, in []G.Value) [diCount][]F {
	var d [diCount][]F
	for i, k := range g.slots() {
		if k >= 0 {
			d[i] = in[k].(*tensor.Dense).Data().([]F)
		}
	}
	return d
}

// decTape is what the forward pass leaves for the backward pass, and the
// backward pass's work space. Sizes are fixed by the geometry.
type decTape[F float] struct {
	src   [diCount]*F // the inputs the tape was filled from
	ready bool

	X     []F       // embeddings, (T·N)×E
	XW    []F       // X·Wx, (T·N)×4H
	Hs    []F       // h₀…h_T, ((T+1)·N)×H
	Cs    []F       // c₀…c_T
	pre   []F       // one step's pre-activations, N×4H
	tmp   []F       // N×4H work space
	acts  []float64 // i, f, g, o per step, (T·N)×4H
	tc    []float64 // tanh(c_t), (T·N)×H
	ctx   []F       // attention contexts, (T·N)×C
	hp    []F       // one step's projected state, N×A
	alpha []float64 // (T·N)×L
	th    []float64 // tanh(pf + hp), (T·N)×L×A

	dH    []F // dlogits·Woᵀ, (T·N)×H
	dhc   []F // [dh | dc] of one step, 2·N×H
	dpre  []F // (T·N)×4H
	dprev []F // [dpre_t | dc_{t−1}] of one step as gatesBackward lays it out
	dctx  []F // N×C
	dhp   []F // (T·N)×A
	dx    []F // (T·N)×E
	// per part of the batch (see parts): α gradients and dv sums.
	dalpha [][]float64
	dv     [][]float64
}

func tapeFor[F float](op *decoderOp) *decTape[F] {
	if t, ok := op.tape.(*decTape[F]); ok {
		return t
	}
	g := op.g
	TN := g.T * g.N
	t := &decTape[F]{
		X: make([]F, TN*g.E), XW: make([]F, TN*4*g.H), Hs: make([]F, (g.T+1)*g.N*g.H), Cs: make([]F, (g.T+1)*g.N*g.H),
		pre: make([]F, g.N*4*g.H), tmp: make([]F, g.N*4*g.H), acts: make([]float64, TN*4*g.H), tc: make([]float64, TN*g.H),
		dH: make([]F, TN*g.H), dhc: make([]F, 2*g.N*g.H), dpre: make([]F, TN*4*g.H), dprev: make([]F, 5*g.N*g.H), dx: make([]F, TN*g.E),
	}
	if g.Att {
		t.ctx, t.hp = make([]F, TN*g.C), make([]F, g.N*g.A)
		t.alpha, t.th = make([]float64, TN*g.L), make([]float64, TN*g.L*g.A)
		t.dctx, t.dhp = make([]F, g.N*g.C), make([]F, TN*g.A)
		for range parts(g.N) {
			t.dalpha = append(t.dalpha, make([]float64, g.L))
			t.dv = append(t.dv, make([]float64, g.A))
		}
	}
	op.tape = t
	return t
}

func (t *decTape[F]) filledFrom(in [diCount][]F) bool {
	if !t.ready {
		return false
	}
	for i, d := range in {
		if (len(d) == 0) != (t.src[i] == nil) || len(d) > 0 && unsafe.Pointer(&d[0]) != unsafe.Pointer(t.src[i]) {
			return false
		}
	}
	return true
}

// mul is C = A·B (+ C if acc) for row-major A (m×k, or k×m if tA), B (k×n,
// or n×k if tB) and C (m×n).
func mul[F float](tA, tB bool, m, n, k int, a, b []F, acc bool, c []F) {
	ta, tb, lda, ldb := blas.NoTrans, blas.NoTrans, k, n
	if tA {
		ta, lda = blas.Trans, m
	}
	if tB {
		tb, ldb = blas.Trans, k
	}
	var beta F
	if acc {
		beta = 1
	}
	gemm[F]()(ta, tb, m, n, k, 1, a, lda, b, ldb, beta, c, n)
}

// addRows adds the vector b to every row of x (a bias), as gorgonia's
// BroadcastAdd does: x + b in F.
func addRows[F float](x, b []F) {
	for i := 0; i < len(x); i += len(b) {
		row := x[i : i+len(b)]
		for j, v := range b {
			row[j] += v
		}
	}
}

// colSums sets s to the column sums of the rows×len(s) matrix x, summed in
// float64 in row order.
func colSums[F float](x []F, s []F) {
	acc := make([]float64, len(s))
	for i := 0; i < len(x); i += len(s) {
		for j, v := range x[i : i+len(s)] {
			acc[j] += float64(v)
		}
	}
	for j, v := range acc {
		s[j] = F(v)
	}
}

func decForward[F float](g decGeom, t *decTape[F], in [diCount][]F, out []F) error {
	t.ready = false
	N, H, TN := g.N, g.H, g.T*g.N
	if err := gather(in[diEmbed], in[diIDs], t.X, g.V, g.E); err != nil {
		return err
	}
	// The word inputs do not depend on the recurrence: one product for all
	// steps (each row is the product the step would compute).
	mul(false, false, TN, 4*H, g.E, t.X, in[diWx], false, t.XW)
	copy(t.Hs[:N*H], in[diH0])
	copy(t.Cs[:N*H], in[diC0])
	for s := range g.T {
		h := t.Hs[s*N*H : (s+1)*N*H]
		// pre = h·Wh + x·Wx (+ ctx·Wctx) + b, summed in lstmCell's order.
		mul(false, false, N, 4*H, H, h, in[diWh], false, t.pre)
		for i, v := range t.XW[s*N*4*H : (s+1)*N*4*H] {
			t.pre[i] += v
		}
		if g.Att {
			mul(false, false, N, g.A, H, h, in[diAttHW], false, t.hp)
			addRows(t.hp, in[diAttHB])
			ag := attGeom{N: N, L: g.L, D: g.C, A: g.A}
			ctx := t.ctx[s*N*g.C : (s+1)*N*g.C]
			alpha := t.alpha[s*N*g.L : (s+1)*N*g.L]
			th := t.th[s*N*g.L*g.A : (s+1)*N*g.L*g.A]
			outA := out[TN*g.V+s*N*g.L : TN*g.V+(s+1)*N*g.L]
			forParts(parts(N), func(_, lo, hi int) {
				for n := lo; n < hi; n++ {
					a := alpha[n*g.L : (n+1)*g.L]
					scores(ag, n, in[diPF], t.hp, in[diAttV], a, th[n*g.L*g.A:(n+1)*g.L*g.A])
					c := ctx[n*g.C : (n+1)*g.C]
					clear(c)
					for l, w := range a {
						fl := in[diFeats][(n*g.L+l)*g.C : (n*g.L+l+1)*g.C]
						for d := range c {
							c[d] += F(w) * fl[d]
						}
						outA[n*g.L+l] = F(w)
					}
				}
			})
			mul(false, false, N, 4*H, g.C, ctx, in[diWctx], false, t.tmp)
			for i, v := range t.tmp {
				t.pre[i] += v
			}
		}
		addRows(t.pre, in[diB])
		decGatesForward(g, t, s)
	}
	// The output projection of all steps in one product.
	logits := out[:TN*g.V]
	mul(false, false, TN, g.V, H, t.Hs[N*H:], in[diOutW], false, logits)
	addRows(logits, in[diOutB])
	for i, d := range in {
		t.src[i] = nil
		if len(d) > 0 {
			t.src[i] = &d[0]
		}
	}
	t.ready = true
	return nil
}

// decGatesForward is gatesForward for step s, keeping the activations and
// tanh(c') for the backward pass.
func decGatesForward[F float](g decGeom, t *decTape[F], s int) {
	N, H := g.N, g.H
	c := t.Cs[s*N*H : (s+1)*N*H]
	hs, cs := t.Hs[(s+1)*N*H:(s+2)*N*H], t.Cs[(s+1)*N*H:(s+2)*N*H]
	acts, tcs := t.acts[s*N*4*H:(s+1)*N*4*H], t.tc[s*N*H:(s+1)*N*H]
	forParts(parts(N), func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			row := acts[r*4*H : (r+1)*4*H]
			for j := range H {
				i, f, gg, o := gates(t.pre, r, j, H)
				row[j], row[H+j], row[2*H+j], row[3*H+j] = i, f, gg, o
				cn := f*float64(c[r*H+j]) + i*gg
				tc := math.Tanh(cn)
				tcs[r*H+j] = tc
				cs[r*H+j] = F(cn)
				hs[r*H+j] = F(o * tc)
			}
		}
	})
}

// decGatesBackward is gatesBackward for step s from the kept activations:
// from dhc = [dh | dc'] to dpre (step s's rows of t.dpre) and dc (into the
// second half of dhc).
func decGatesBackward[F float](g decGeom, t *decTape[F], s int) {
	N, H := g.N, g.H
	c := t.Cs[s*N*H : (s+1)*N*H]
	acts, tcs := t.acts[s*N*4*H:(s+1)*N*4*H], t.tc[s*N*H:(s+1)*N*H]
	dpre := t.dpre[s*N*4*H : (s+1)*N*4*H]
	dh, dc := t.dhc[:N*H], t.dhc[N*H:]
	forParts(parts(N), func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			a := acts[r*4*H : (r+1)*4*H]
			row := dpre[r*4*H : (r+1)*4*H]
			for j := range H {
				i, f, gg, o := a[j], a[H+j], a[2*H+j], a[3*H+j]
				k := r*H + j
				cv, tc := float64(c[k]), tcs[k]
				dcn := float64(dc[k]) + float64(dh[k])*o*(1-tc*tc)
				row[j] = F(dcn * gg * i * (1 - i))
				row[H+j] = F(dcn * cv * f * (1 - f))
				row[2*H+j] = F(dcn * i * (1 - gg*gg))
				row[3*H+j] = F(float64(dh[k]) * tc * o * (1 - o))
				dc[k] = F(dcn * f)
			}
		}
	})
}

// decBackward fills grads (the gradients of every input but the ids,
// packed in input order) from dout, the gradient of the packed output.
func decBackward[F float](g decGeom, t *decTape[F], in [diCount][]F, dout, grads []F) error {
	if !t.filledFrom(in) {
		if err := decForward(g, t, in, make([]F, g.outLen())); err != nil {
			return err
		}
	}
	var d [diCount][]F
	at := 0
	sh := g.shapes()
	for i, k := range g.slots() {
		if k >= 0 && i != diIDs {
			d[i] = grads[at : at+sh[i].TotalSize()]
			at += sh[i].TotalSize()
		}
	}
	N, H, TN := g.N, g.H, g.T*g.N
	dlog := dout[:TN*g.V]
	mul(true, false, H, g.V, TN, t.Hs[N*H:], dlog, false, d[diOutW])
	colSums(dlog, d[diOutB])
	mul(false, true, TN, H, g.V, dlog, in[diOutW], false, t.dH)
	dh, dc := t.dhc[:N*H], t.dhc[N*H:]
	clear(dc)
	dhNext := d[diH0] // h's gradient from step s+1, in place of the last
	clear(dhNext)
	for _, dv := range t.dv {
		clear(dv)
	}
	for s := g.T - 1; s >= 0; s-- {
		for i, v := range t.dH[s*N*H : (s+1)*N*H] {
			dh[i] = v + dhNext[i]
		}
		decGatesBackward(g, t, s)
		dpre := t.dpre[s*N*4*H : (s+1)*N*4*H]
		mul(false, true, N, H, 4*H, dpre, in[diWh], false, dhNext)
		if g.Att {
			mul(false, true, N, g.C, 4*H, dpre, in[diWctx], false, t.dctx)
			decAttendBackward(g, t, in, dout[TN*g.V:], d[diFeats], d[diPF], s)
			mul(false, true, N, H, g.A, t.dhp[s*N*g.A:(s+1)*N*g.A], in[diAttHW], false, t.tmp[:N*H])
			for i, v := range t.tmp[:N*H] {
				dhNext[i] += v
			}
		}
	}
	copy(d[diC0], dc)
	// The weights' gradients over all steps, one product each.
	hPrev := t.Hs[:TN*H]
	mul(true, false, H, 4*H, TN, hPrev, t.dpre, false, d[diWh])
	mul(true, false, g.E, 4*H, TN, t.X, t.dpre, false, d[diWx])
	colSums(t.dpre, d[diB])
	mul(false, true, TN, g.E, 4*H, t.dpre, in[diWx], false, t.dx)
	scatter(in[diIDs], t.dx, d[diEmbed], g.E)
	if g.Att {
		mul(true, false, g.C, 4*H, TN, t.ctx, t.dpre, false, d[diWctx])
		mul(true, false, H, g.A, TN, hPrev, t.dhp, false, d[diAttHW])
		colSums(t.dhp, d[diAttHB])
		dv := make([]float64, g.A)
		for _, p := range t.dv {
			for a, x := range p {
				dv[a] += x
			}
		}
		for a, x := range dv {
			d[diAttV][a] = F(x)
		}
	}
	return nil
}

// decAttendBackward is attendBackward for step s from the kept α and tanh
// values, adding into df and dpf (summed over the steps), writing step s's
// rows of t.dhp and adding into the parts' dv.
func decAttendBackward[F float](g decGeom, t *decTape[F], in [diCount][]F, dalphaOut, df, dpf []F, s int) {
	N, L, C, A := g.N, g.L, g.C, g.A
	f, v := in[diFeats], in[diAttV]
	alphaS := t.alpha[s*N*L : (s+1)*N*L]
	thS := t.th[s*N*L*A : (s+1)*N*L*A]
	dA := dalphaOut[s*N*L : (s+1)*N*L]
	dhpS := t.dhp[s*N*A : (s+1)*N*A]
	forParts(parts(N), func(p, lo, hi int) {
		dalpha, dvp := t.dalpha[p], t.dv[p]
		for n := lo; n < hi; n++ {
			alpha := alphaS[n*L : (n+1)*L]
			th := thS[n*L*A : (n+1)*L*A]
			dctx := t.dctx[n*C : (n+1)*C]
			var dot float64
			for l := range L {
				fl := f[(n*L+l)*C : (n*L+l+1)*C]
				dfl := df[(n*L+l)*C : (n*L+l+1)*C]
				sum := float64(dA[n*L+l])
				al := F(alpha[l])
				for k := range fl {
					sum += float64(dctx[k]) * float64(fl[k])
					dfl[k] += al * dctx[k]
				}
				dalpha[l] = sum
				dot += alpha[l] * sum
			}
			dh := dhpS[n*A : (n+1)*A]
			clear(dh)
			for l := range L {
				de := alpha[l] * (dalpha[l] - dot)
				dpl := dpf[(n*L+l)*A : (n*L+l+1)*A]
				for a := range A {
					x := th[l*A+a]
					dvp[a] += de * x
					y := de * float64(v[a]) * (1 - x*x)
					dpl[a] += F(y)
					dh[a] += F(y)
				}
			}
		}
	})
}
