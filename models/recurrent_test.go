package models

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// lstmCell at the captioner's size: when the gates were gorgonia column
// slices of the 64×512 pre-activation, the third (columns 256…383) was
// merged with the first and gates came out off by up to 2 (see doc.go).
func TestLSTMCellMatchesTheFormulasAtSize(t *testing.T) {
	for _, sz := range [][3]int{{3, 4, 3}, {32, 8, 32}, {64, 32, 128}} {
		n, in, H := sz[0], sz[1], sz[2]
		rng := rand.New(rand.NewPCG(3, 1))
		mk := func(r, c int) *tensor.Dense {
			d := make([]float32, r*c)
			for i := range d {
				d[i] = float32(rng.Float64()*2 - 1)
			}
			return tensor.New(tensor.WithShape(r, c), tensor.WithBacking(d))
		}
		g := G.NewGraph()
		xv, hv, cv, wxv, whv := mk(n, in), mk(n, H), mk(n, H), mk(in, 4*H), mk(H, 4*H)
		bv := tensor.New(tensor.WithShape(4*H), tensor.WithBacking(make([]float32, 4*H)))
		x := G.NewMatrix(g, tensor.Float32, G.WithValue(xv), G.WithName("x"))
		h := G.NewMatrix(g, tensor.Float32, G.WithValue(hv), G.WithName("h"))
		c := G.NewMatrix(g, tensor.Float32, G.WithValue(cv), G.WithName("c"))
		wx := G.NewMatrix(g, tensor.Float32, G.WithValue(wxv), G.WithName("wx"))
		wh := G.NewMatrix(g, tensor.Float32, G.WithValue(whv), G.WithName("wh"))
		b := G.NewVector(g, tensor.Float32, G.WithValue(bv), G.WithName("b"))
		hN, cN, err := lstmCell([]*G.Node{x}, h, c, LSTMWeights{Wx: []*G.Node{wx}, Wh: wh, B: b})
		if err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		X, Hd, C, WX, WH := xv.Data().([]float32), hv.Data().([]float32), cv.Data().([]float32), wxv.Data().([]float32), whv.Data().([]float32)
		sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
		var maxd float64
		for r := range n {
			pre := make([]float64, 4*H)
			for k := range 4 * H {
				for i := range in {
					pre[k] += float64(X[r*in+i] * WX[i*4*H+k])
				}
				for i := range H {
					pre[k] += float64(Hd[r*H+i] * WH[i*4*H+k])
				}
			}
			for j := range H {
				ig, fg, gg, og := sig(pre[j]), sig(pre[H+j]), math.Tanh(pre[2*H+j]), sig(pre[3*H+j])
				cc := fg*float64(C[r*H+j]) + ig*gg
				hh := og * math.Tanh(cc)
				maxd = max(maxd, math.Abs(hh-float64(hN.Value().Data().([]float32)[r*H+j])), math.Abs(cc-float64(cN.Value().Data().([]float32)[r*H+j])))
			}
		}
		if maxd > 1e-4 {
			t.Errorf("n %d in %d H %d: h' and c' differ from the formulas by up to %g", n, in, H, maxd)
		}
		vm.Close()
	}
}

func TestUnrolledDecoderGradientAtSize(t *testing.T) {
	// The captioner's decoder unrolled over 6 steps of 64 rows, as it is
	// built: embed → LSTM → dense, a loss per step. Its shape matters:
	// steps 4 and 5 start past row 256, where gorgonia's Slice and Concat
	// would merge them with steps 0 and 1 (see doc.go).
	rng := rand.New(rand.NewPCG(2, 1))
	gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
		const n, V, E, H, T = 64, 12, 4, 8, 6
		table := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, V, E)), G.WithName("E"))
		wx := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, E, 4*H)), G.WithName("wx"))
		wh := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, H, 4*H)), G.WithName("wh"))
		b := G.NewVector(g, tensor.Float64, G.WithValue(randTensor(rng, 4*H)), G.WithName("b"))
		wo := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, H, V)), G.WithName("wo"))
		bo := G.NewVector(g, tensor.Float64, G.WithValue(randTensor(rng, V)), G.WithName("bo"))
		idv := make([]float64, T*n)
		for i := range idv {
			idv[i] = float64((i * 5) % V)
		}
		idsT := tensor.New(tensor.WithShape(T*n), tensor.WithBacking(idv))
		ids := G.NewVector(g, tensor.Float64, G.WithValue(idsT), G.WithName("ids"))
		h := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, n, H)), G.WithName("h0"))
		c := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, n, H)), G.WithName("c0"))
		var logits G.Nodes
		for t := range T {
			x := G.Must(embed(table, G.Must(segment(ids, t*n, (t+1)*n, n))))
			var err error
			h, c, err = lstmCell([]*G.Node{x}, h, c, LSTMWeights{Wx: []*G.Node{wx}, Wh: wh, B: b})
			if err != nil {
				panic(err)
			}
			logits = append(logits, G.Must(dense(h, wo, bo)))
		}
		yT := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(T*n, V))
		for r := range T * n {
			yT.Data().([]float64)[r*V+(r*7)%V] = 1
		}
		y := G.NewMatrix(g, tensor.Float64, G.WithValue(yT), G.WithName("y"))
		var loss *G.Node
		for t, lg := range logits {
			l := G.Must(softmaxXent(lg, G.Must(segment(y, t*n*V, (t+1)*n*V, n, V))))
			if loss == nil {
				loss = l
			} else {
				loss = G.Must(G.Add(loss, l))
			}
		}
		return G.Nodes{bo, wo, b}, loss
	})
}

func TestSegmentGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 1))
	gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
		x := G.NewTensor(g, tensor.Float64, 3, G.WithValue(randTensor(rng, 2, 3, 4)), G.WithName("x"))
		a := G.Must(segment(x, 0, 12, 3, 4))
		b := G.Must(segment(x, 10, 24, 14))
		return G.Nodes{x}, G.Must(G.Add(projectSum(g, rng, a), projectSum(g, rng, b)))
	})
}
