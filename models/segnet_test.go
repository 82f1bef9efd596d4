package models

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// TestSegNetParams: the reference net has PyTorch's parameters, tensor by
// tensor (torch_reference.py's SegNet(13).named_parameters(), flattened),
// and as many in all. By hand, weights + biases per layer:
//
//	e1  conv 3→16, 3×3:    16·3·9  =  432 + 16 =   448
//	e2  conv 16→32, 3×3:   32·16·9 = 4608 + 32 =  4640
//	e3  conv 32→64, 3×3:   64·32·9 = 18432 + 64 = 18496
//	u2  deconv 64→32, 2×2: 64·32·4 = 8192 + 32 =  8224
//	d2  conv 64→32, 3×3:   32·64·9 = 18432 + 32 = 18464
//	u1  deconv 32→16, 2×2: 32·16·4 = 2048 + 16 =  2064
//	d1  conv 32→16, 3×3:   16·32·9 = 4608 + 16 =  4624
//	out conv 16→13, 1×1:   13·16   =  208 + 13 =   221
//	                                      total = 57181
//
// (sum(p.numel() for p in SegNet().parameters()) printed 57181.)
func TestSegNetParams(t *testing.T) {
	s, err := NewSegNet(ReferenceSegNet(13, 128, 1))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name  string
		shape []int
	}{
		{"e1.w", []int{16, 3 * 9}}, {"e1.b", []int{16}},
		{"e2.w", []int{32, 16 * 9}}, {"e2.b", []int{32}},
		{"e3.w", []int{64, 32 * 9}}, {"e3.b", []int{64}},
		{"u2.w", []int{64, 32 * 4}}, {"u2.b", []int{32}},
		{"d2.w", []int{32, 64 * 9}}, {"d2.b", []int{32}},
		{"u1.w", []int{32, 16 * 4}}, {"u1.b", []int{16}},
		{"d1.w", []int{16, 32 * 9}}, {"d1.b", []int{16}},
		{"out.w", []int{13, 16}}, {"out.b", []int{13}},
	}
	ps := s.Params()
	if len(ps) != len(want) {
		t.Fatalf("%d parameters, want %d", len(ps), len(want))
	}
	for i, w := range want {
		if ps[i].Name != w.name || !slices.Equal([]int(ps[i].Value.Shape()), w.shape) {
			t.Errorf("parameter %d is %s %v, want %s %v", i, ps[i].Name, ps[i].Value.Shape(), w.name, w.shape)
		}
	}
	if n := Count(ps); n != 57181 {
		t.Errorf("%d parameters, PyTorch's SegNet has 57181", n)
	}
}

// TestSegNetDeep: a fourth level of 128 channels adds, weights + biases,
//
//	e4  conv 64→128, 3×3:   128·64·9 = 73728 + 128 = 73856
//	u3  deconv 128→64, 2×2: 128·64·4 = 32768 +  64 = 32832
//	d3  conv 128→64, 3×3:   64·128·9 = 73728 +  64 = 73792
//
// 180480 parameters to the reference's 57181, after them, which start
// where the reference's do. The net maps 16×16 pages to 16×16 masks, and
// learns the rectangles as TestSegNetTrains's reference does.
func TestSegNetDeep(t *testing.T) {
	cfg := ReferenceSegNet(13, 128, 1)
	ref, err := NewSegNet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Deep = 128
	deep, err := NewSegNet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n := Count(deep.Params()); n != 57181+180480 {
		t.Errorf("%d parameters, want 57181 + 180480", n)
	}
	sameParams(t, ref.Params(), deep.Params()[:len(ref.Params())])
	var names []string
	for _, p := range deep.Params()[len(ref.Params()):] {
		names = append(names, p.Name)
	}
	if want := []string{"e4.w", "e4.b", "u3.w", "u3.b", "d3.w", "d3.b"}; !slices.Equal(names, want) {
		t.Errorf("the deep parameters are %v, want %v", names, want)
	}

	c := ReferenceSegNet(4, 16, 1)
	c.Deep = 16
	s, st, test := trainRectangles(t, c)
	defer s.Close()
	gr, _ := s.Graph(8, false)
	if sh := gr.Named["b4"].Shape(); !slices.Equal([]int(sh), []int{8, 16, 2, 2}) {
		t.Errorf("the deep level is %v, want 8×16×2×2", sh)
	}
	pred, err := s.Predict(test, 16)
	if err != nil {
		t.Fatal(err)
	}
	if acc := pixelAccuracy(pred, test.Masks); acc < 0.9 || st.Losses[len(st.Losses)-1] > st.Losses[0]/4 {
		t.Errorf("losses %.3f … %.3f, test pixel accuracy %.3f; want the loss down to a quarter and 0.9", st.Losses[0], st.Losses[len(st.Losses)-1], acc)
	}
}

// TestSegNetStem: a stem of 8 channels over the reference adds, weights +
// biases,
//
//	e0  conv 3→8, 3×3:      8·3·9 =  216 + 8 =  224
//	u0  deconv 16→8, 2×2:  16·8·4 =  512 + 8 =  520
//	d0  conv 16→8, 3×3:    8·16·9 = 1152 + 8 = 1160
//
// and changes two: e1 takes the stem's 8 channels instead of the image's 3
// (16·8·9 − 16·3·9 = +720), and the logits come from the stem's 8 instead
// of 16 (13·8 − 13·16 = −104): 57181 + 2520 parameters. The levels below
// it run at half the resolution, and the net learns the rectangles.
func TestSegNetStem(t *testing.T) {
	cfg := ReferenceSegNet(13, 128, 1)
	cfg.Deep, cfg.Stem = 0, 8
	s, err := NewSegNet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n := Count(s.Params()); n != 57181+2520 {
		t.Errorf("%d parameters, want 57181 + 2520", n)
	}
	var names []string
	for _, p := range s.Params()[16:] {
		names = append(names, p.Name)
	}
	if want := []string{"e0.w", "e0.b", "u0.w", "u0.b", "d0.w", "d0.b"}; !slices.Equal(names, want) {
		t.Errorf("the stem's parameters are %v, want %v", names, want)
	}

	c := ReferenceSegNet(4, 16, 1)
	c.Stem = 8
	net, st, test := trainRectangles(t, c)
	defer net.Close()
	gr, _ := net.Graph(8, false)
	for name, want := range map[string][]int{"s0": {8, 8, 16, 16}, "s1": {8, 16, 8, 8}, "d0": {8, 8, 16, 16}} {
		if sh := gr.Named[name].Shape(); !slices.Equal([]int(sh), want) {
			t.Errorf("%s is %v, want %v", name, sh, want)
		}
	}
	pred, err := net.Predict(test, 16)
	if err != nil {
		t.Fatal(err)
	}
	if acc := pixelAccuracy(pred, test.Masks); acc < 0.9 || st.Losses[len(st.Losses)-1] > st.Losses[0]/4 {
		t.Errorf("losses %.3f … %.3f, test pixel accuracy %.3f; want the loss down to a quarter and 0.9", st.Losses[0], st.Losses[len(st.Losses)-1], acc)
	}
}

// TestSegNetInit: every tensor is uniform in ±1/√fanIn with PyTorch's
// fanIn (a transposed convolution's is its output channels × 4): its
// largest magnitude lies within the bound and near it. n uniform draws on
// [−a, a] all stay below a·(1−q) with probability (1−q)ⁿ; q is chosen per
// tensor so that this is 1e-6 (q ≈ 0.0017 for u2's 8192 weights, 0.65 for
// out's 13 biases), and the seed is fixed, so the test does not flake.
// A transposed convolution's fanIn taken from its input channels instead
// (u2: 1/√256 rather than 1/√128) fails it.
func TestSegNetInit(t *testing.T) {
	s, err := NewSegNet(ReferenceSegNet(13, 128, 1))
	if err != nil {
		t.Fatal(err)
	}
	fanIn := map[string]int{"e1": 3 * 9, "e2": 16 * 9, "e3": 32 * 9, "u2": 32 * 4, "d2": 64 * 9, "u1": 16 * 4, "d1": 32 * 9, "out": 16}
	for _, p := range s.Params() {
		bound := 1 / math.Sqrt(float64(fanIn[strings.Split(p.Name, ".")[0]]))
		var m float64
		for _, v := range p.Data() {
			m = max(m, math.Abs(float64(v)))
		}
		q := 1 - math.Pow(1e-6, 1/float64(p.Size()))
		if m > bound || m < (1-q)*bound {
			t.Errorf("%s: largest magnitude %.4f, want in [%.4f, %.4f] (1/√fanIn = %.4f)", p.Name, m, (1-q)*bound, bound, bound)
		}
	}
}

func TestNewSegNetRefuses(t *testing.T) {
	ref := func(change func(*SegNetConfig)) SegNetConfig {
		c := ReferenceSegNet(13, 128, 1)
		change(&c)
		return c
	}
	tests := []struct {
		name string
		cfg  SegNetConfig
		want string
	}{
		{"no input", ref(func(c *SegNetConfig) { c.Input = [3]int{} }), "input shape"},
		{"no channels", ref(func(c *SegNetConfig) { c.Input[0] = 0 }), "positive sizes"},
		{"height not divisible by 4", ref(func(c *SegNetConfig) { c.Input[1] = 126 }), "divisible by 4, e.g. 128×128"},
		{"width not divisible by 4", ref(func(c *SegNetConfig) { c.Input[2] = 130 }), "divisible by 4, e.g. 128×132"},
		{"one class", ref(func(c *SegNetConfig) { c.Classes = 1 }), "2 to 256 classes"},
		{"too many classes for bytes", ref(func(c *SegNetConfig) { c.Classes = 257 }), "2 to 256 classes"},
		{"no widths", ref(func(c *SegNetConfig) { c.Widths = [3]int{} }), "width 0 is 0"},
		{"negative width", ref(func(c *SegNetConfig) { c.Widths[2] = -1 }), "width 2 is -1"},
		{"negative deep level", ref(func(c *SegNetConfig) { c.Deep = -1 }), "deep level of -1 channels"},
		{"deep, height not divisible by 8", ref(func(c *SegNetConfig) { c.Deep, c.Input[1] = 8, 124 }), "divisible by 8, e.g. 128×128"},
		{"negative stem", ref(func(c *SegNetConfig) { c.Stem = -8 }), "stem of -8 channels"},
		{"stem, width not divisible by 8", ref(func(c *SegNetConfig) { c.Stem, c.Input[2] = 8, 132 }), "divisible by 8, e.g. 128×136 (the net pools three times)"},
		{"deep and stem, 8 but not 16", ref(func(c *SegNetConfig) { c.Deep, c.Stem, c.Input[1] = 128, 8, 120 }), "divisible by 16, e.g. 128×128 (the net pools four times)"},
		{"too few class weights", ref(func(c *SegNetConfig) { c.ClassWeights = []float64{1, 2} }), "2 class weights for 13 classes"},
		{"negative class weight", ref(func(c *SegNetConfig) { c.ClassWeights = slices.Repeat([]float64{-1}, 13) }), "class 0 has weight -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSegNet(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := NewSegNet(ReferenceSegNet(13, 128, 1)); err != nil {
		t.Fatalf("the reference config: %v", err)
	}
}

func TestSegNetCheck(t *testing.T) {
	cfg := SegNetConfig{Input: [3]int{3, 8, 12}, Classes: 5, Widths: [3]int{2, 2, 2}}
	s, err := NewSegNet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*Segmentation)
		want   string
	}{
		{"fits", func(*Segmentation) {}, ""},
		{"no masks (prediction)", func(d *Segmentation) { d.Masks = nil }, ""},
		{"no images", func(d *Segmentation) { d.Images, d.Masks = nil, nil }, ""},
		{"wrong shape", func(d *Segmentation) { d.Shape = [3]int{3, 12, 8} }, "wants [3 8 12]"},
		{"partial image", func(d *Segmentation) { d.Images = d.Images[1:] }, "whole number"},
		{"pixel above 1 (bytes?)", func(d *Segmentation) { d.Images[300] = 255 }, "image 1 has value 255 at 12; want values in [0, 1]"},
		{"negative pixel", func(d *Segmentation) { d.Images[0] = -0.5 }, "want values in [0, 1]"},
		{"NaN pixel", func(d *Segmentation) { d.Images[5] = float32(math.NaN()) }, "value NaN"},
		{"masks missing one", func(d *Segmentation) { d.Masks = d.Masks[1:] }, "want 288 mask values, got 287"},
		{"class out of range", func(d *Segmentation) { d.Masks[96+2*12+7] = 5 }, "mask 1 has class 5 at x 7, y 2; want 0 to 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := randomSegmentation(cfg, 3, 1)
			tt.change(d)
			err := s.Check(d)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	// Predict ignores masks, so bad ones do not stop it; bad images do.
	d := randomSegmentation(cfg, 3, 1)
	d.Masks[0] = 200
	if _, err := s.Predict(d, 2); err != nil {
		t.Errorf("Predict with a bad mask: %v", err)
	}
	d.Images[0] = 2
	if _, err := s.Predict(d, 2); err == nil {
		t.Error("Predict accepted a pixel of 2")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Feeder accepted data that does not fit")
			}
		}()
		s.Feeder(d)
	}()
}

// rectangles returns n side×side images, each a gray noisy background
// with up to three filled rectangles in red, green or blue, and masks
// that are a function of the pixels: class 1 where red, 2 where green,
// 3 where blue, 0 elsewhere.
func rectangles(n, side int, seed uint64) *Segmentation {
	rng := rand.New(rand.NewPCG(seed, 13))
	hw := side * side
	d := &Segmentation{Shape: [3]int{3, side, side}, Images: make([]float32, n*3*hw), Masks: make([]uint8, n*hw)}
	for i := range n {
		im, mask := d.Images[i*3*hw:(i+1)*3*hw], d.Masks[i*hw:(i+1)*hw]
		for p := range hw {
			g := 0.3 + 0.2*rng.Float32()
			im[p], im[hw+p], im[2*hw+p] = g, g, g
		}
		for range 1 + rng.IntN(3) {
			class := 1 + rng.IntN(3)
			x0, y0 := rng.IntN(side-3), rng.IntN(side-3)
			x1, y1 := x0+3+rng.IntN(side-x0-2), y0+3+rng.IntN(side-y0-2)
			for y := y0; y < min(y1, side); y++ {
				for x := x0; x < min(x1, side); x++ {
					p := y*side + x
					for c := range 3 {
						im[c*hw+p] = 0.1 * rng.Float32()
					}
					im[(class-1)*hw+p] = 0.8 + 0.2*rng.Float32()
					mask[p] = uint8(class)
				}
			}
		}
	}
	return d
}

// pixelAccuracy returns the fraction of pixels where pred is truth.
func pixelAccuracy(pred, truth []uint8) float64 {
	right := 0
	for i, p := range pred {
		if p == truth[i] {
			right++
		}
	}
	return float64(right) / float64(len(pred))
}

// TestSegNetTrains: on colored rectangles, whose classes a pixel's color
// gives away, the loss falls and pixel accuracy on pages it has not seen
// rises well above always answering the most common class.
func TestSegNetTrains(t *testing.T) {
	cfg := ReferenceSegNet(4, 16, 1)
	s, st, test := trainRectangles(t, cfg)
	defer s.Close()
	pred, err := s.Predict(test, 16)
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]int, cfg.Classes)
	for _, m := range test.Masks {
		counts[m]++
	}
	majority := float64(slices.Max(counts)) / float64(len(test.Masks))
	acc := pixelAccuracy(pred, test.Masks)
	t.Logf("losses %.3f … %.3f; test pixel accuracy %.3f, majority class %.3f", st.Losses[0], st.Losses[len(st.Losses)-1], acc, majority)
	if last := st.Losses[len(st.Losses)-1]; last > st.Losses[0]/4 {
		t.Errorf("loss fell from %.3f to %.3f only; want a quarter or less", st.Losses[0], last)
	}
	if acc < majority+(1-majority)*0.8 {
		t.Errorf("test pixel accuracy %.3f; want 80%% of the way from the majority class's %.3f to 1", acc, majority)
	}
}

// trainRectangles trains a segnet of cfg for 20 epochs on 64 pages of
// colored rectangles and returns it, its state and 32 unseen test pages.
func trainRectangles(t *testing.T, cfg SegNetConfig) (*SegNet, *State, *Segmentation) {
	t.Helper()
	s, err := NewSegNet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	train, test := rectangles(64, 16, 1), rectangles(32, 16, 2)
	st, err := Train(context.Background(), s, train.Len(), s.Feeder(train), TrainConfig{Epochs: 20, Batch: 8, LR: 3e-3, Seed: 1}, nil)
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	return s, st, test
}

// trainSegNet trains a fresh small net for steps updates (or continues
// from ck), returning it and its state.
func trainSegNet(t *testing.T, d *Segmentation, steps int, ck *Checkpoint) (*SegNet, *State) {
	t.Helper()
	s, err := NewSegNet(SegNetConfig{Input: d.Shape, Classes: 4, Widths: [3]int{4, 6, 8}, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	var st *State
	if ck != nil {
		if st, err = ck.Restore(s.Params()); err != nil {
			t.Fatal(err)
		}
	}
	st, err = Train(context.Background(), s, d.Len(), s.Feeder(d), TrainConfig{Steps: steps, Batch: 4, LR: 1e-3, Seed: 5}, st)
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

// TestSegNetResume: 3 steps, a checkpoint through a file, then 4 more
// (crossing an epoch) give the bits of 7 uninterrupted steps; the
// restored net predicts as the one saved, logits to the bit.
func TestSegNetResume(t *testing.T) {
	d := rectangles(20, 12, 3)
	whole, _ := trainSegNet(t, d, 7, nil)
	half, st := trainSegNet(t, d, 3, nil)
	ck, err := NewCheckpoint("segnet", half.Config, half.Params(), st)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "s.ckpt")
	if err := ck.Save(path); err != nil {
		t.Fatal(err)
	}
	if ck, err = LoadCheckpoint(path); err != nil {
		t.Fatal(err)
	}
	if ck.Kind != "segnet" || !strings.Contains(string(ck.Config), `"widths":[4,6,8]`) {
		t.Fatalf("checkpoint kind %q, config %s", ck.Kind, ck.Config)
	}
	restored, err := NewSegNet(SegNetConfig{Input: d.Shape, Classes: 4, Widths: [3]int{4, 6, 8}, Seed: 99})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ck.Restore(restored.Params()); err != nil {
		t.Fatal(err)
	}
	sameParams(t, half.Params(), restored.Params())
	a, b := segLogits(t, half, d), segLogits(t, restored, d)
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("logit %d: saved %v, restored %v", i, a[i], b[i])
		}
	}
	resumed, _ := trainSegNet(t, d, 7, ck)
	sameParams(t, whole.Params(), resumed.Params())
	// The run moved the weights: otherwise the comparisons prove nothing.
	fresh, err := NewSegNet(whole.Config)
	if err != nil {
		t.Fatal(err)
	}
	if p, q := fresh.Params()[0].Data()[0], whole.Params()[0].Data()[0]; p == q {
		t.Fatal("7 steps left the first weight where it started")
	}
}

// segLogits returns the inference logits of every image of d.
func segLogits(t *testing.T, s *SegNet, d *Segmentation) []float32 {
	t.Helper()
	var out []float32
	feed := func(inputs []*tensor.Dense, idx []int) { s.feed(d, inputs, idx) }
	if err := Predict(s, d.Len(), 8, feed, func(_ int, o [][]float32) { out = append(out, o[0]...) }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSegNetDeterministicAcrossCores: one core or two, the same bits.
func TestSegNetDeterministicAcrossCores(t *testing.T) {
	d := rectangles(20, 12, 3)
	prev := runtime.GOMAXPROCS(1)
	one, _ := trainSegNet(t, d, 4, nil)
	runtime.GOMAXPROCS(max(prev, 2))
	two, _ := trainSegNet(t, d, 4, nil)
	runtime.GOMAXPROCS(prev)
	sameParams(t, one.Params(), two.Params())
}

// TestArgmaxPlanes: the first class wins ties.
func TestArgmaxPlanes(t *testing.T) {
	logits := []float32{
		1, 0, 5, -1, // class 0
		1, 2, 5, -2, // class 1
		0, 2, 6, -1, // class 2
	}
	got := make([]uint8, 4)
	argmaxPlanes(logits, got, 3, 4)
	if want := []uint8{0, 1, 2, 0}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// FuzzSegNetCheck: whatever the shape, lengths and values, Check returns
// an error or nil and never panics, and data it accepts feeds a training
// batch without panicking.
func FuzzSegNetCheck(f *testing.F) {
	f.Add(3, 8, 12, 288, 96, uint8(4), float32(0.5))
	f.Add(3, 8, 12, 287, 96, uint8(0), float32(0))
	f.Add(0, 0, 0, 0, 0, uint8(9), float32(2))
	f.Add(-3, 8, -12, 10, 5, uint8(255), float32(-1))
	cfg := SegNetConfig{Input: [3]int{3, 8, 12}, Classes: 5, Widths: [3]int{2, 2, 2}}
	s, err := NewSegNet(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, c, h, w, nImages, nMasks int, class uint8, v float32) {
		if nImages < 0 || nMasks < 0 || nImages > 1<<12 || nMasks > 1<<12 {
			return
		}
		d := &Segmentation{Shape: [3]int{c, h, w}, Images: make([]float32, nImages), Masks: make([]uint8, nMasks)}
		for i := range d.Images {
			d.Images[i] = v
		}
		for i := range d.Masks {
			d.Masks[i] = class
		}
		if err := s.Check(d); err != nil || d.Len() == 0 {
			return
		}
		gr, err := s.Graph(1, true)
		if err != nil {
			t.Fatal(err)
		}
		inputs := make([]*tensor.Dense, len(gr.Inputs))
		for i, in := range gr.Inputs {
			inputs[i] = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(in.Shape()...))
		}
		s.Feeder(d)(inputs, []int{d.Len() - 1})
	})
}

// ExampleReferenceSegNet: the reference net has PyTorch's SegNet's 57181
// parameters.
func ExampleReferenceSegNet() {
	s, err := NewSegNet(ReferenceSegNet(13, 128, 1))
	if err != nil {
		panic(err)
	}
	defer s.Close()
	fmt.Println(len(s.Params()), "tensors,", Count(s.Params()), "parameters")
	// Output: 16 tensors, 57181 parameters
}
