package models

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// This file checks the segmentation net's graph against a plain float64
// transcription of torch_reference.py's SegNet.forward and
// F.cross_entropy, written with loops and sharing no code with the ops:
// nn.Conv2d (padding k/2), F.relu, F.max_pool2d(·, 2), nn.ConvTranspose2d
// (kernel 2, stride 2, weights in×out×2×2), torch.cat along channels.

// chw is one image, C planes of H×W.
type chw struct {
	c, h, w int
	v       []float64
}

func (m chw) at(c, y, x int) float64 { return m.v[(c*m.h+y)*m.w+x] }

// segConv is nn.Conv2d(in, out, k, padding=k/2) with weights out×in×k×k.
func segConv(x chw, wt, b []float64, k int, relu bool) chw {
	out := len(b)
	y := chw{out, x.h, x.w, make([]float64, out*x.h*x.w)}
	p := k / 2
	for o := range out {
		for oy := range x.h {
			for ox := range x.w {
				s := b[o]
				for c := range x.c {
					for ky := range k {
						for kx := range k {
							iy, ix := oy-p+ky, ox-p+kx
							if iy < 0 || iy >= x.h || ix < 0 || ix >= x.w {
								continue
							}
							s += wt[((o*x.c+c)*k+ky)*k+kx] * x.at(c, iy, ix)
						}
					}
				}
				if relu {
					s = max(s, 0)
				}
				y.v[(o*y.h+oy)*y.w+ox] = s
			}
		}
	}
	return y
}

// segPool is F.max_pool2d(x, 2).
func segPool(x chw) chw {
	y := chw{x.c, x.h / 2, x.w / 2, make([]float64, x.c*x.h/2*x.w/2)}
	for c := range x.c {
		for oy := range y.h {
			for ox := range y.w {
				y.v[(c*y.h+oy)*y.w+ox] = max(x.at(c, 2*oy, 2*ox), x.at(c, 2*oy, 2*ox+1), x.at(c, 2*oy+1, 2*ox), x.at(c, 2*oy+1, 2*ox+1))
			}
		}
	}
	return y
}

// segUp is nn.ConvTranspose2d(in, out, 2, stride=2) with weights
// in×out×2×2: input pixel (iy, ix) paints output pixels (2iy+ky, 2ix+kx).
func segUp(x chw, wt, b []float64) chw {
	out := len(b)
	y := chw{out, 2 * x.h, 2 * x.w, make([]float64, out*4*x.h*x.w)}
	for o := range out {
		for oy := range y.h {
			for ox := range y.w {
				s := b[o]
				for c := range x.c {
					s += wt[((c*out+o)*2+oy%2)*2+ox%2] * x.at(c, oy/2, ox/2)
				}
				y.v[(o*y.h+oy)*y.w+ox] = s
			}
		}
	}
	return y
}

// segCat is torch.cat([a, b], 1) for one image.
func segCat(a, b chw) chw {
	return chw{a.c + b.c, a.h, a.w, append(append([]float64(nil), a.v...), b.v...)}
}

// naiveSegNet returns SegNet.forward's logits for one image, with the
// deep level and the stem when the net has them.
func naiveSegNet(s *SegNet, x chw) chw {
	p := func(l int) ([]float64, []float64) { return f64(s.layers[l][0]), f64(s.layers[l][1]) }
	var s0 chw
	if s.Config.Stem > 0 {
		w, b := p(segE0)
		s0 = segConv(x, w, b, 3, true)
		x = segPool(s0)
	}
	w, b := p(segE1)
	s1 := segConv(x, w, b, 3, true)
	w, b = p(segE2)
	s2 := segConv(segPool(s1), w, b, 3, true)
	w, b = p(segE3)
	bot := segConv(segPool(s2), w, b, 3, true)
	if s.Config.Deep > 0 {
		s3 := bot
		w, b = p(segE4)
		b4 := segConv(segPool(s3), w, b, 3, true)
		w, b = p(segU3)
		u3 := segUp(b4, w, b)
		w, b = p(segD3)
		bot = segConv(segCat(u3, s3), w, b, 3, true)
	}
	w, b = p(segU2)
	u2 := segUp(bot, w, b)
	w, b = p(segD2)
	d2 := segConv(segCat(u2, s2), w, b, 3, true)
	w, b = p(segU1)
	u1 := segUp(d2, w, b)
	w, b = p(segD1)
	top := segConv(segCat(u1, s1), w, b, 3, true)
	if s.Config.Stem > 0 {
		w, b = p(segU0)
		u0 := segUp(top, w, b)
		w, b = p(segD0)
		top = segConv(segCat(u0, s0), w, b, 3, true)
	}
	w, b = p(segOut)
	return segConv(top, w, b, 1, false)
}

// naivePixelXent is F.cross_entropy(logits, mask) summed (not averaged)
// over one image's pixels.
func naivePixelXent(l chw, mask []uint8) float64 {
	var loss float64
	for y := range l.h {
		for x := range l.w {
			m := math.Inf(-1)
			for c := range l.c {
				m = max(m, l.at(c, y, x))
			}
			var s float64
			for c := range l.c {
				s += math.Exp(l.at(c, y, x) - m)
			}
			loss += m + math.Log(s) - l.at(int(mask[y*l.w+x]), y, x)
		}
	}
	return loss
}

// TestSegNetMatchesNaive runs a small net's training graph (logits and
// loss) and inference graph (logits) on random images and compares them
// with the transcription. Non-square images catch a swapped height and
// width; widths that differ per level catch a wrong skip or channel count.
//
// It does so for the reference, with a deep level, with a stem, and with
// both (then the images are 16×32, as the net pools four times).
func TestSegNetMatchesNaive(t *testing.T) {
	for _, tt := range []struct {
		name       string
		deep, stem int
		h, w       int
	}{
		{"reference", 0, 0, 8, 12},
		{"deep", 7, 0, 8, 16},
		{"stem", 0, 5, 8, 16},
		{"deep and stem", 7, 5, 16, 32},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := SegNetConfig{Input: [3]int{3, tt.h, tt.w}, Classes: 5, Widths: [3]int{4, 6, 8}, Deep: tt.deep, Stem: tt.stem, Seed: 3}
			segNetMatchesNaive(t, cfg)
		})
	}
}

func segNetMatchesNaive(t *testing.T, cfg SegNetConfig) {
	s, err := NewSegNet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 3
	d := randomSegmentation(cfg, n, 4)
	var want []chw
	var wantLoss float64
	per := cfg.Input[0] * cfg.Input[1] * cfg.Input[2]
	hw := cfg.Input[1] * cfg.Input[2]
	for i := range n {
		x := chw{cfg.Input[0], cfg.Input[1], cfg.Input[2], make([]float64, per)}
		for j, v := range d.Images[i*per : (i+1)*per] {
			x.v[j] = float64(v)
		}
		l := naiveSegNet(s, x)
		want = append(want, l)
		wantLoss += naivePixelXent(l, d.Masks[i*hw:(i+1)*hw])
	}
	wantLoss /= float64(n * hw)

	// float32 against float64 through seven layers: relative 1e-4 of the
	// logits' scale is about 100 float32 ulps, far above rounding and far
	// below any wrong weight or pixel.
	const tol = 1e-4
	scale := 0.0
	for _, l := range want {
		for _, v := range l.v {
			scale = max(scale, math.Abs(v))
		}
	}
	for _, train := range []bool{true, false} {
		gr, err := s.Graph(n, train)
		if err != nil {
			t.Fatal(err)
		}
		inputs := make([]*tensor.Dense, len(gr.Inputs))
		for i, in := range gr.Inputs {
			inputs[i] = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(in.Shape()...))
		}
		idx := []int{0, 1, 2}
		if train {
			s.Feeder(d)(inputs, idx)
		} else {
			s.feed(d, inputs, idx)
		}
		if err := gr.Run(inputs...); err != nil {
			t.Fatal(err)
		}
		got := gr.Outputs[0].Value().Data().([]float32)
		for i, l := range want {
			for j, v := range l.v {
				if g := float64(got[i*len(l.v)+j]); math.Abs(g-v) > tol*scale {
					t.Fatalf("train %v: image %d logit %d: %v, naive %v", train, i, j, g, v)
				}
			}
		}
		if train {
			loss, err := scalarOf(gr.Loss.Value())
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(loss-wantLoss) > 1e-5*wantLoss {
				t.Fatalf("loss %v, naive %v", loss, wantLoss)
			}
		}
	}
	t.Logf("logits up to %.3g agree within %.3g", scale, tol*scale)
}

// randomSegmentation returns n images of random pixels with random masks.
func randomSegmentation(cfg SegNetConfig, n int, seed uint64) *Segmentation {
	rng := rand.New(rand.NewPCG(seed, 9))
	d := &Segmentation{Shape: cfg.Input}
	d.Images = make([]float32, n*cfg.Input[0]*cfg.Input[1]*cfg.Input[2])
	for i := range d.Images {
		d.Images[i] = rng.Float32()
	}
	d.Masks = make([]uint8, n*cfg.Input[1]*cfg.Input[2])
	for i := range d.Masks {
		d.Masks[i] = uint8(rng.IntN(cfg.Classes))
	}
	return d
}
