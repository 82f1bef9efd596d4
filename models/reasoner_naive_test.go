package models

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// This file checks the reasoners' graphs against a plain float64
// transcription of torch_reference.py's Stem, RN, CNNMLP and Head, written
// with loops and no shared code: conv2d with stride 2, BatchNorm2d in
// both modes, ReLU, the objects with their coordinates, g over
// concatenated pairs, f with a dropout mask.

type naiveNet struct {
	r   *Reasoner
	val func(p *Param) []float64
}

func f64(p *Param) []float64 {
	out := make([]float64, p.Size())
	for i, v := range p.Data() {
		out[i] = float64(v)
	}
	return out
}

// naiveDense returns x·W + b (x n×in, W in×out), ReLU'd if relu.
func naiveDense(x [][]float64, w, b []float64, relu bool) [][]float64 {
	out := make([][]float64, len(x))
	nOut := len(b)
	for n, row := range x {
		out[n] = make([]float64, nOut)
		for j := range nOut {
			s := b[j]
			for i, v := range row {
				s += v * w[i*nOut+j]
			}
			if relu {
				s = max(0, s)
			}
			out[n][j] = s
		}
	}
	return out
}

// stem runs the four conv + batch norm + ReLU layers on images (each
// C×H×W) and returns the grids (each 24×h×w), their side, and each layer's
// new running mean and variance when train.
func (m naiveNet) stem(images [][]float64, train bool) (out [][]float64, h, w int, stats [][2][]float64) {
	c, h, w := m.r.Config.Input[0], m.r.Config.Input[1], m.r.Config.Input[2]
	x := images
	for _, layer := range m.r.stem {
		wt, bias := f64(layer[0]), f64(layer[1])
		gamma, beta, rm, rv := f64(layer[2]), f64(layer[3]), f64(layer[4]), f64(layer[5])
		oh, ow := (h-1)/2+1, (w-1)/2+1
		y := make([][]float64, len(x))
		for n := range x {
			y[n] = make([]float64, stemChannels*oh*ow)
			for o := range stemChannels {
				for oy := range oh {
					for ox := range ow {
						s := bias[o]
						for ci := range c {
							for ky := range 3 {
								for kx := range 3 {
									iy, ix := 2*oy-1+ky, 2*ox-1+kx
									if iy < 0 || iy >= h || ix < 0 || ix >= w {
										continue
									}
									s += wt[o*c*9+(ci*3+ky)*3+kx] * x[n][(ci*h+iy)*w+ix]
								}
							}
						}
						y[n][(o*oh+oy)*ow+ox] = s
					}
				}
			}
		}
		mean, variance := rm, rv
		if train {
			mean, variance = make([]float64, stemChannels), make([]float64, stemChannels)
			newM, newV := make([]float64, stemChannels), make([]float64, stemChannels)
			cnt := float64(len(y) * oh * ow)
			for o := range stemChannels {
				for n := range y {
					for p := range oh * ow {
						mean[o] += y[n][o*oh*ow+p]
					}
				}
				mean[o] /= cnt
				for n := range y {
					for p := range oh * ow {
						d := y[n][o*oh*ow+p] - mean[o]
						variance[o] += d * d
					}
				}
				variance[o] /= cnt
				newM[o] = 0.9*rm[o] + 0.1*mean[o]
				newV[o] = 0.9*rv[o] + 0.1*variance[o]*cnt/(cnt-1)
			}
			stats = append(stats, [2][]float64{newM, newV})
		}
		for n := range y {
			for o := range stemChannels {
				for p := range oh * ow {
					v := &y[n][o*oh*ow+p]
					*v = max(0, gamma[o]*(*v-mean[o])/math.Sqrt(variance[o]+1e-5)+beta[o])
				}
			}
		}
		x, c, h, w = y, stemChannels, oh, ow
	}
	return x, h, w, stats
}

// logits returns the answer logits for inputs (images or states) and
// questions; mask is nil in inference.
func (m naiveNet) logits(inputs, questions, mask [][]float64) ([][]float64, [][2][]float64) {
	cfg := m.r.Config
	train := mask != nil
	var h [][]float64
	var stats [][2][]float64
	switch cfg.Arch {
	case QuestionOnly:
		h = questions
	case CNNMLP, StateMLP:
		grid := inputs // state-mlp: the objects, flattened
		if cfg.Arch == CNNMLP {
			grid, _, _, stats = m.stem(inputs, train)
		}
		x := make([][]float64, len(grid))
		for n := range grid {
			x[n] = append(append([]float64(nil), grid[n]...), questions[n]...)
		}
		w := append(f64(m.r.fcX), f64(m.r.fcQ)...) // [Wx; Wq] is the weight over [grid, q]
		h = naiveDense(x, w, f64(m.r.fcB), true)
	default:
		var objects [][][]float64 // per example, per object
		if cfg.Arch == StateRN {
			for _, s := range inputs {
				var objs [][]float64
				for k := range cfg.Objects {
					objs = append(objs, s[k*cfg.ObjectSize:(k+1)*cfg.ObjectSize])
				}
				objects = append(objects, objs)
			}
		} else {
			grid, gh, gw, st := m.stem(inputs, train)
			stats = st
			side := func(i, n int) float64 { return -1 + 2*float64(i)/float64(n-1) } // torch.linspace(-1, 1, n)
			for _, gr := range grid {
				var objs [][]float64
				for y := range gh {
					for x := range gw {
						o := make([]float64, 0, stemChannels+2)
						for c := range stemChannels {
							o = append(o, gr[(c*gh+y)*gw+x])
						}
						objs = append(objs, append(o, side(x, gw), side(y, gh)))
					}
				}
				objects = append(objects, objs)
			}
		}
		for n, objs := range objects {
			var pairs [][]float64
			for _, oi := range objs {
				for _, oj := range objs {
					pairs = append(pairs, append(append(append([]float64(nil), oi...), oj...), questions[n]...))
				}
			}
			for _, l := range m.r.g {
				pairs = naiveDense(pairs, f64(l[0]), f64(l[1]), true)
			}
			sum := make([]float64, m.r.width())
			for _, p := range pairs {
				for k, v := range p {
					sum[k] += v
				}
			}
			h = append(h, sum)
		}
	}
	h = naiveDense(h, f64(m.r.f[0][0]), f64(m.r.f[0][1]), true)
	h = naiveDense(h, f64(m.r.f[1][0]), f64(m.r.f[1][1]), true)
	if train {
		for n := range h {
			for k := range h[n] {
				h[n][k] *= mask[n][k]
			}
		}
	}
	return naiveDense(h, f64(m.r.f[2][0]), f64(m.r.f[2][1]), false), stats
}

// randomiseNorms gives batch norm's parameters and running statistics
// values other than their initial ones, so that a mix-up shows.
func randomiseNorms(r *Reasoner, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 3))
	for _, layer := range r.stem {
		for i, d := range [][]float32{layer[2].Data(), layer[3].Data(), layer[4].Data(), layer[5].Data()} {
			for k := range d {
				switch i {
				case 0, 3: // γ and the variance: positive
					d[k] = 0.5 + rng.Float32()
				default:
					d[k] = 0.4 * (rng.Float32() - 0.5)
				}
			}
		}
	}
}

// TestReasonerMatchesNaive compares each architecture's logits, in
// inference and in training (batch statistics, a dropout mask), and the
// training pass's new running statistics, with the plain transcription;
// then again with text questions (width 8), whose question vectors the
// naive net takes from QuestionVectors (the encoder is held to the
// formulas by TestQuestionEncoderMatchesUnrolled): this checks that q
// reaches g, the MLP's layer or f as a question vector would.
func TestReasonerMatchesNaive(t *testing.T) {
	for _, text := range []bool{false, true} {
		for _, arch := range ReasonerArchs {
			name := arch.String()
			if text {
				name += "/text"
			}
			t.Run(name, func(t *testing.T) { testMatchesNaive(t, arch, text) })
		}
	}
}

func testMatchesNaive(t *testing.T, arch ReasonerArch, text bool) {
	cfg := smallReasoner(arch, 3)
	if text {
		cfg = textReasoner(arch, 3)
	}
	r, err := NewReasoner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cfg = r.Config
	randomiseNorms(r, 4)
	const n = 5
	q := randomVQA(cfg, n, 5)
	var qvecs []float32
	if text {
		randomTokens(q, cfg.Text, n, rand.New(rand.NewPCG(5, 5)))
		if qvecs, err = r.QuestionVectors(q, n); err != nil {
			t.Fatal(err)
		}
	}
	idx := []int{0, 1, 2, 3, 4}
	for _, train := range []bool{false, true} {
		gr, err := r.Graph(n, train)
		if err != nil {
			t.Fatal(err)
		}
		inputs := make([]*tensor.Dense, len(gr.Inputs))
		for i, in := range gr.Inputs {
			inputs[i] = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(in.Shape()...))
		}
		r.Feeder(q, 7)(inputs, idx)
		// The naive net reads the running statistics before the
		// training pass moves them.
		naive := naiveNet{r: r}
		split := func(d []float32, rows int) [][]float64 {
			per := len(d) / rows
			out := make([][]float64, rows)
			for i := range out {
				for _, v := range d[i*per : (i+1)*per] {
					out[i] = append(out[i], float64(v))
				}
			}
			return out
		}
		var scenes, mask [][]float64
		data := inputs
		if arch.scene() {
			scenes, data = split(inputs[0].Data().([]float32), n), inputs[1:]
		}
		if train {
			mask = split(data[2].Data().([]float32), n)
		}
		questions := data[0].Data().([]float32)
		if text {
			questions = qvecs
		}
		want, stats := naive.logits(scenes, split(questions, n), mask)
		if err := gr.Run(inputs...); err != nil {
			t.Fatal(err)
		}
		got := gr.Outputs[0].Value().Data().([]float32)
		for i := range n {
			for k, w := range want[i] {
				// float32 through up to 10 layers: 1e-4 of the
				// logits' scale.
				if g := float64(got[i*cfg.Answers+k]); math.Abs(g-w) > 1e-4*max(1, math.Abs(w)) {
					t.Fatalf("train=%v question %d logit %d: graph %v, naive %v", train, i, k, g, w)
				}
			}
		}
		for l, st := range stats {
			for k := range stemChannels {
				gm, gv := float64(r.stem[l][4].Data()[k]), float64(r.stem[l][5].Data()[k])
				if math.Abs(gm-st[0][k]) > 1e-5 || math.Abs(gv-st[1][k]) > 1e-5*max(1, st[1][k]) {
					t.Fatalf("layer %d channel %d running stats: graph %v %v, naive %v %v", l, k, gm, gv, st[0][k], st[1][k])
				}
			}
		}
	}
}

// TestPairStrengths compares the pair norms with g's naive pair outputs,
// and checks that cnn-mlp refuses.
func TestPairStrengths(t *testing.T) {
	cfg := smallReasoner(StateRN, 9)
	r, err := NewReasoner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	q := randomVQA(cfg, 6, 9)
	idx := []int{4, 1}
	got, err := r.PairStrengths(q, idx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got[0]) != cfg.Objects*cfg.Objects {
		t.Fatalf("got %d×%d strengths, want 2×%d", len(got), len(got[0]), cfg.Objects*cfg.Objects)
	}
	for j, i := range idx {
		per := cfg.Objects * cfg.ObjectSize
		s := q.Objects[q.Image[i]*per:][:per]
		qv := q.Questions[i*cfg.Question:][:cfg.Question]
		for a := range cfg.Objects {
			for b := range cfg.Objects {
				var x []float64
				for _, v := range s[a*cfg.ObjectSize:][:cfg.ObjectSize] {
					x = append(x, float64(v))
				}
				for _, v := range s[b*cfg.ObjectSize:][:cfg.ObjectSize] {
					x = append(x, float64(v))
				}
				for _, v := range qv {
					x = append(x, float64(v))
				}
				h := [][]float64{x}
				for _, l := range r.g {
					h = naiveDense(h, f64(l[0]), f64(l[1]), true)
				}
				var ss float64
				for _, v := range h[0] {
					ss += v * v
				}
				want := math.Sqrt(ss)
				if g := float64(got[j][a*cfg.Objects+b]); math.Abs(g-want) > 1e-4*max(1, want) {
					t.Fatalf("question %d pair (%d, %d): %v, naive %v", i, a, b, g, want)
				}
			}
		}
	}
	c, err := NewReasoner(smallReasoner(CNNMLP, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PairStrengths(randomVQA(c.Config, 2, 1), []int{0}); err == nil {
		t.Fatal("cnn-mlp gave pair strengths")
	}
}
