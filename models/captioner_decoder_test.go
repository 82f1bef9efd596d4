package models

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// decoderNodes makes float64 inputs of the decoder op for geometry g, ids
// drawn from the vocabulary.
func decoderNodes(g *G.ExprGraph, rng *rand.Rand, dg decGeom) ([diCount]*G.Node, G.Nodes) {
	var in [diCount]*G.Node
	var diff G.Nodes
	sh := dg.shapes()
	for i, k := range dg.slots() {
		if k < 0 {
			continue
		}
		v := randTensor(rng, sh[i]...)
		if i == diIDs {
			for j := range v.Data().([]float64) {
				v.Data().([]float64)[j] = float64(rng.IntN(dg.V))
			}
		}
		in[i] = G.NodeFromAny(g, v, G.WithName([]string{"feats", "pf", "h0", "c0", "ids", "embed", "attHW", "attHB", "attV", "wx", "wh", "b", "wctx", "outW", "outB"}[i]))
		if i != diIDs {
			diff = append(diff, in[i])
		}
	}
	return in, diff
}

func TestDecoderGradient(t *testing.T) {
	for _, att := range []bool{true, false} {
		// Seven rows: uneven parts; ids repeat, so embedding rows sum.
		dg := decGeom{T: 3, N: 7, V: 5, E: 3, H: 4, Att: att, L: 3, C: 4, A: 5}
		rng := rand.New(rand.NewPCG(19, 1))
		gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
			in, diff := decoderNodes(g, rng, dg)
			out := G.Must(decoder(dg, in))
			return diff, projectSum(g, rng, out)
		})
	}
}

// unrolledGraph is the captioner's training graph as it was built before
// the decoder was one op: Captioner.step once per step, a loss per step.
func unrolledGraph(c *Captioner, n int) *Graph {
	cfg := c.Config
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(n, cfg.Input[0], cfg.Input[1], cfg.Input[2]), G.WithName("x"))
	ids := G.NewVector(g, tensor.Float32, G.WithShape(cfg.Steps*n), G.WithName("ids"))
	y := G.NewMatrix(g, tensor.Float32, G.WithShape(cfg.Steps*n, cfg.Vocab), G.WithName("y"))
	gr := &Graph{G: g, Inputs: []*G.Node{x, ids, y}, Named: map[string]*G.Node{}}
	gr.Nodes = bind(g, c.Params())
	node := c.nodeMap(gr.Nodes)
	e, err := c.encode(x, n, node)
	if err != nil {
		panic(err)
	}
	h, cell := e.h, e.c
	var alphas []*G.Node
	for t := range cfg.Steps {
		idt := must(segment(ids, t*n, (t+1)*n, n))
		var lg, alpha *G.Node
		if h, cell, lg, alpha, err = c.step(e, h, cell, idt, node); err != nil {
			panic(err)
		}
		gr.Outputs = append(gr.Outputs, lg)
		alphas = append(alphas, alpha)
		l := must(softmaxXent(lg, must(segment(y, t*n*cfg.Vocab, (t+1)*n*cfg.Vocab, n, cfg.Vocab))))
		if gr.Loss == nil {
			gr.Loss = l
		} else {
			gr.Loss = must(G.Add(gr.Loss, l))
		}
	}
	gr.Loss = must(G.HadamardProd(gr.Loss, constLike(gr.Loss, 1/float64(cfg.Steps))))
	if cfg.Attention && cfg.Lambda > 0 {
		sum := alphas[0]
		for _, a := range alphas[1:] {
			sum = must(G.Add(sum, a))
		}
		pen := must(G.Sum(must(G.Square(must(G.Sub(constLike(sum, 1), sum))))))
		gr.Loss = must(G.Add(gr.Loss, must(G.HadamardProd(pen, constLike(pen, cfg.Lambda/float64(n))))))
	}
	return gr
}

// The fused decoder against the unrolled steps, in float32 at the
// reference captioner's size (steps past row 256, where gorgonia's Slice
// bug would show): the logits are the same bits; the loss and every
// gradient agree to rounding (the sums over steps are added in another
// order).
func TestDecoderMatchesUnrolledSteps(t *testing.T) {
	cfgs := []CaptionerConfig{ReferenceCaptioner(16, 6, true, 3), ReferenceCaptioner(16, 6, false, 3)}
	cfgs[0].Lambda = 0.5
	for _, cfg := range cfgs {
		c, err := NewCaptioner(cfg)
		if err != nil {
			t.Fatal(err)
		}
		const n = 64
		d := &CaptionData{Shape: cfg.Input, X: make([]float32, n*3*56*56)}
		rng := rand.New(rand.NewPCG(7, 7))
		for i := range d.X {
			d.X[i] = rng.Float32()
		}
		for range n {
			tok := []int{StartID}
			for range cfg.Steps {
				tok = append(tok, rng.IntN(cfg.Vocab))
			}
			d.Tokens = append(d.Tokens, tok)
		}
		fused, err := c.Graph(n, true)
		if err != nil {
			t.Fatal(err)
		}
		old := unrolledGraph(c, n)
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		var losses []float64
		var grads [][][]float32
		for _, gr := range []*Graph{fused, old} {
			inputs := make([]*tensor.Dense, len(gr.Inputs))
			for i, in := range gr.Inputs {
				inputs[i] = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(in.Shape()...))
			}
			c.Feeder(d)(inputs, idx)
			if err := gr.Run(inputs...); err != nil {
				t.Fatal(err)
			}
			l, _ := scalarOf(gr.Loss.Value())
			losses = append(losses, l)
			var gs [][]float32
			for _, nd := range gr.Nodes {
				gv, err := nd.Grad()
				if err != nil {
					t.Fatal(err)
				}
				gs = append(gs, slices.Clone(gv.Data().([]float32)))
			}
			grads = append(grads, gs)
		}
		for s := range cfg.Steps {
			a, b := fused.Outputs[s].Value().Data().([]float32), old.Outputs[s].Value().Data().([]float32)
			if !slices.Equal(a, b) {
				t.Fatalf("attention %v: step %d's logits differ", cfg.Attention, s)
			}
		}
		if math.Abs(losses[0]-losses[1]) > 1e-6*math.Abs(losses[1]) {
			t.Errorf("attention %v: loss %v fused, %v unrolled", cfg.Attention, losses[0], losses[1])
		}
		for i, p := range c.Params() {
			var num, den float64
			for j, v := range grads[1][i] {
				num += math.Pow(float64(grads[0][i][j]-v), 2)
				den += float64(v) * float64(v)
			}
			if math.Sqrt(num) > 1e-4*math.Sqrt(den)+1e-9 {
				t.Errorf("attention %v: gradient of %s: relative difference %g", cfg.Attention, p.Name, math.Sqrt(num/den))
			}
		}
		old.Close()
		c.Close()
	}
}

// Training gives the same bits on one core as on two.
func TestCaptionerSameOnAnyCoreCount(t *testing.T) {
	train := toyCaptions(128, 1)
	var weights [][]float32
	var losses [][]float64
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 1} {
		runtime.GOMAXPROCS(procs)
		c := toyCaptioner(t, true)
		st, err := Train(context.Background(), c, train.Len(), c.Feeder(train), TrainConfig{Epochs: 2, Batch: 32, LR: 1e-2, Seed: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var w []float32
		for _, p := range c.Params() {
			w = append(w, p.Data()...)
		}
		weights, losses = append(weights, w), append(losses, st.Losses)
		c.Close()
	}
	for k := 1; k < len(weights); k++ {
		if !slices.Equal(weights[0], weights[k]) || !slices.Equal(losses[0], losses[k]) {
			t.Errorf("run %d differs from run 0: losses %v", k, losses)
		}
	}
}

// decoderOnlyGraph is the reference captioner's decoder alone for batches
// of n, from the encoder's outputs (given as inputs) to the loss: the
// fused op, or Captioner.step unrolled as the graph was built before.
func decoderOnlyGraph(c *Captioner, n int, fused bool) (*G.ExprGraph, []*G.Node, *G.Node, G.VM) {
	cfg := c.Config
	g := G.NewGraph()
	feats := G.NewTensor(g, tensor.Float32, 3, G.WithShape(n, c.L, c.C), G.WithName("feats"))
	pf := G.NewTensor(g, tensor.Float32, 3, G.WithShape(n, c.L, cfg.Att), G.WithName("pf"))
	h := G.NewMatrix(g, tensor.Float32, G.WithShape(n, cfg.Hidden), G.WithName("h"))
	cell := G.NewMatrix(g, tensor.Float32, G.WithShape(n, cfg.Hidden), G.WithName("c"))
	ids := G.NewVector(g, tensor.Float32, G.WithShape(cfg.Steps*n), G.WithName("ids"))
	y := G.NewMatrix(g, tensor.Float32, G.WithShape(cfg.Steps*n, cfg.Vocab), G.WithName("y"))
	inputs := []*G.Node{feats, pf, h, cell, ids, y}
	nodes := bind(g, c.Params())
	node := c.nodeMap(nodes)
	var loss *G.Node
	if fused {
		dg := decGeom{T: cfg.Steps, N: n, V: cfg.Vocab, E: cfg.Embed, H: cfg.Hidden, Att: true, L: c.L, C: c.C, A: cfg.Att}
		in := [diCount]*G.Node{diFeats: feats, diPF: pf, diH0: h, diC0: cell, diIDs: ids, diEmbed: node[c.embed],
			diAttHW: node[c.attH[0]], diAttHB: node[c.attH[1]], diAttV: node[c.attV], diWx: node[c.lstm[0]], diWh: node[c.lstm[1]],
			diB: node[c.lstm[2]], diWctx: node[c.lstmCtx], diOutW: node[c.out[0]], diOutB: node[c.out[1]]}
		both, err := unpack(G.Must(decoder(dg, in)), tensor.Shape{cfg.Steps * n, cfg.Vocab}, tensor.Shape{cfg.Steps, n, c.L})
		if err != nil {
			panic(err)
		}
		loss = G.Must(softmaxXent(both[0], y))
	} else {
		e := encoded{feats: feats, pf: pf}
		for t := range cfg.Steps {
			var lg *G.Node
			var err error
			if h, cell, lg, _, err = c.step(e, h, cell, must(segment(ids, t*n, (t+1)*n, n)), node); err != nil {
				panic(err)
			}
			l := must(softmaxXent(lg, must(segment(y, t*n*cfg.Vocab, (t+1)*n*cfg.Vocab, n, cfg.Vocab))))
			if loss == nil {
				loss = l
			} else {
				loss = must(G.Add(loss, l))
			}
		}
		loss = must(G.HadamardProd(loss, constLike(loss, 1/float64(cfg.Steps))))
	}
	wrt := []*G.Node{feats, pf, inputs[2], inputs[3]}
	for _, p := range []*Param{c.embed, c.attH[0], c.attH[1], c.attV, c.lstm[0], c.lstm[1], c.lstm[2], c.lstmCtx, c.out[0], c.out[1]} {
		wrt = append(wrt, node[p])
	}
	if _, err := G.Grad(loss, wrt...); err != nil {
		panic(err)
	}
	return g, inputs, loss, G.NewTapeMachine(g, G.BindDualValues(wrt...))
}

// BenchmarkCaptionerDecoder runs the reference captioner's decoder alone
// (6 steps of 64 rows with attention, forward and backward, no encoder,
// no update) as one fused op and as the per-step graph it replaces, and
// reports decoder passes per second.
func BenchmarkCaptionerDecoder(b *testing.B) {
	for _, fused := range []bool{false, true} {
		name := map[bool]string{false: "unrolled", true: "fused"}[fused]
		b.Run(name, func(b *testing.B) {
			c, err := NewCaptioner(ReferenceCaptioner(16, 6, true, 1))
			if err != nil {
				b.Fatal(err)
			}
			const n = 64
			_, inputs, _, vm := decoderOnlyGraph(c, n, fused)
			defer vm.Close()
			rng := rand.New(rand.NewPCG(1, 2))
			for k, in := range inputs {
				v := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(in.Shape()...))
				for i := range v.Data().([]float32) {
					switch k {
					case 4:
						v.Data().([]float32)[i] = float32(rng.IntN(16))
					case 5:
					default:
						v.Data().([]float32)[i] = rng.Float32()*2 - 1
					}
				}
				if k == 5 {
					for r := range 6 * n {
						v.Data().([]float32)[r*16+rng.IntN(16)] = 1
					}
				}
				if err := G.Let(in, v); err != nil {
					b.Fatal(err)
				}
			}
			passes := 0
			for b.Loop() {
				vm.Reset()
				if err := vm.RunAll(); err != nil {
					b.Fatal(err)
				}
				passes++
			}
			b.ReportMetric(float64(passes)/b.Elapsed().Seconds(), "passes/s")
		})
	}
}
