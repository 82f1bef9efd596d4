package models

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// toyCaptions are 8×8 images with one lit 4×4 quadrant in one of three
// channels, captioned "<channel> <quadrant>" (ids 4–6 and 7–10).
func toyCaptions(n int, seed uint64) *CaptionData {
	rng := rand.New(rand.NewPCG(seed, 4))
	d := &CaptionData{Shape: [3]int{3, 8, 8}, X: make([]float32, n*192)}
	for i := range n {
		ch, q := rng.IntN(3), rng.IntN(4)
		img := d.Image(i)
		oy, ox := (q/2)*4, (q%2)*4
		for y := oy; y < oy+4; y++ {
			for x := ox; x < ox+4; x++ {
				img[ch*64+y*8+x] = 1
			}
		}
		d.Tokens = append(d.Tokens, []int{StartID, 4 + ch, 7 + q, EndID})
	}
	return d
}

func toyCaptioner(t testing.TB, attention bool) *Captioner {
	c, err := NewCaptioner(CaptionerConfig{Input: [3]int{3, 8, 8}, Conv: []int{8, 16}, Vocab: 11, Embed: 8, Hidden: 32, Att: 16,
		Steps: 3, Attention: attention, Lambda: 1, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCaptionerLearns(t *testing.T) {
	train, test := toyCaptions(384, 1), toyCaptions(60, 2)
	for _, attention := range []bool{true, false} {
		c := toyCaptioner(t, attention)
		st, err := Train(context.Background(), c, train.Len(), c.Feeder(train), TrainConfig{Epochs: 12, Batch: 32, LR: 1e-2, Seed: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		idx := make([]int, test.Len())
		for i := range idx {
			idx[i] = i
		}
		for _, beam := range []int{1, 3} {
			out, err := c.Decode(test, idx, beam)
			if err != nil {
				t.Fatal(err)
			}
			right := 0
			for i, d := range out {
				if slices.Equal(d.Tokens, test.Tokens[i][1:3]) {
					right++
				}
				if attention && len(d.Alphas) != len(d.Tokens) {
					t.Fatalf("%d attention maps for %d tokens", len(d.Alphas), len(d.Tokens))
				}
				if !attention && d.Alphas != nil {
					t.Fatal("attention maps from the no-attention baseline")
				}
			}
			if right < 57 {
				t.Errorf("attention %v, beam %d: %d of 60 captions right (losses %v)", attention, beam, right, st.Losses)
			}
		}
	}
}

func TestCaptionerIsDeterministic(t *testing.T) {
	train := toyCaptions(128, 1)
	var losses [][]float64
	for range 2 {
		c := toyCaptioner(t, true)
		st, err := Train(context.Background(), c, train.Len(), c.Feeder(train), TrainConfig{Epochs: 2, Batch: 32, LR: 1e-2, Seed: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, st.Losses)
	}
	if !slices.Equal(losses[0], losses[1]) {
		t.Errorf("two runs differ: %v", losses)
	}
}

// BenchmarkCaptioner trains the reference captioner: 56×56 inputs, a 7×7×64 grid, hidden
// 128, attention 64, vocabulary 16, captions of 6 tokens after <start>,
// batch 64, 16 distinct batches cycled as the script does.
func BenchmarkCaptioner(b *testing.B) {
	const nb, batch, steps = 16, 64, 6
	c, err := NewCaptioner(ReferenceCaptioner(16, steps, true, 1))
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	d := &CaptionData{Shape: [3]int{3, 56, 56}, X: make([]float32, nb*batch*3*56*56)}
	for i := range d.X {
		d.X[i] = rng.Float32()
	}
	for range nb * batch {
		tok := []int{StartID}
		for range steps {
			tok = append(tok, rng.IntN(16))
		}
		d.Tokens = append(d.Tokens, tok)
	}
	feed := c.Feeder(d)
	if _, err := Train(context.Background(), c, d.Len(), feed, TrainConfig{Steps: 10, Batch: batch, LR: 1e-3}, nil); err != nil {
		b.Fatal(err)
	}
	steps2 := 0
	for b.Loop() {
		if _, err := Train(context.Background(), c, d.Len(), feed, TrainConfig{Steps: 30, Batch: batch, LR: 1e-3, Seed: uint64(steps2)}, nil); err != nil {
			b.Fatal(err)
		}
		steps2 += 30
	}
	b.ReportMetric(float64(steps2*batch)/b.Elapsed().Seconds(), "captions/s")
}

// TestDecodeWithConstraint checks the decoding hook on an untrained
// captioner: what it refuses never comes out, it sees the prefix and the
// steps left, and a constraint that refuses everything is an error.
func TestDecodeWithConstraint(t *testing.T) {
	c := toyCaptioner(t, true)
	defer c.Close()
	c.Config.Steps = 5 // the hook's step count; the step graph does not depend on it
	test := toyCaptions(6, 3)
	idx := []int{0, 1, 2, 3, 4, 5}
	// Exactly "7 8 9 10" then the end, whatever the weights say.
	script := []int{7, 8, 9, 10, EndID}
	only := func(prefix []int, left int, allowed []bool) {
		if len(prefix)+left != 5 {
			t.Errorf("prefix %v with %d steps left: want 5 in all", prefix, left)
		}
		for tok := range allowed {
			allowed[tok] = allowed[tok] && tok == script[len(prefix)]
		}
	}
	// Never EndID, never an odd id: the caption runs to the last step.
	even := func(_ []int, _ int, allowed []bool) {
		for tok := range allowed {
			allowed[tok] = allowed[tok] && tok%2 == 0 && tok != EndID
		}
	}
	for _, beam := range []int{1, 3} {
		out, err := c.DecodeWith(test, idx, DecodeOptions{Beam: beam, Allow: only})
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range out {
			if !slices.Equal(d.Tokens, script[:4]) {
				t.Errorf("beam %d, image %d: scripted decoding gave %v, want %v", beam, i, d.Tokens, script[:4])
			}
		}
		out, err = c.DecodeWith(test, idx, DecodeOptions{Beam: beam, Allow: even})
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range out {
			if len(d.Tokens) != 5 {
				t.Errorf("beam %d, image %d: %v, want 5 tokens (no end allowed)", beam, i, d.Tokens)
			}
			for _, tok := range d.Tokens {
				if tok%2 != 0 || tok == PadID || tok == StartID {
					t.Errorf("beam %d, image %d: %v holds a refused token", beam, i, d.Tokens)
				}
			}
		}
		_, err = c.DecodeWith(test, idx, DecodeOptions{Beam: beam, Allow: func(_ []int, _ int, allowed []bool) { clear(allowed) }})
		if err == nil || !strings.Contains(err.Error(), "allows no token at step 1 of 5") {
			t.Errorf("beam %d: a constraint refusing everything gave %v", beam, err)
		}
	}
}

// TestDecodeWithoutConstraint checks that DecodeWith with no hook is
// Decode, and that greedy decoding is beam 1.
func TestDecodeWithoutConstraint(t *testing.T) {
	c := toyCaptioner(t, true)
	defer c.Close()
	test := toyCaptions(8, 3)
	idx := []int{0, 1, 2, 3, 4, 5, 6, 7}
	for _, beam := range []int{0, 1, 2} {
		a, err := c.Decode(test, idx, beam)
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.DecodeWith(test, idx, DecodeOptions{Beam: beam, Allow: func([]int, int, []bool) {}})
		if err != nil {
			t.Fatal(err)
		}
		for i := range a {
			if !slices.Equal(a[i].Tokens, b[i].Tokens) || a[i].LogProb != b[i].LogProb {
				t.Errorf("beam %d, image %d: %v (%v) without a hook, %v (%v) with one allowing all", beam, i, a[i].Tokens, a[i].LogProb, b[i].Tokens, b[i].LogProb)
			}
		}
	}
}

// TestCaptionerStride checks the first convolution's stride: the grid it
// gives, and the strides refused.
func TestCaptionerStride(t *testing.T) {
	tests := []struct {
		input, stride int
		grid          int // 0: refused
	}{
		{16, 0, 4}, {16, 1, 4}, {16, 2, 2}, {128, 2, 16}, {16, 3, 0}, {16, -1, 0}, {12, 2, 0},
	}
	for _, tt := range tests {
		c, err := NewCaptioner(CaptionerConfig{Input: [3]int{3, tt.input, tt.input}, Conv: []int{4, 4}, Vocab: 8, Embed: 4, Hidden: 8, Att: 4,
			Steps: 3, Attention: true, Stride: tt.stride, Seed: 1})
		if tt.grid == 0 {
			if err == nil {
				t.Errorf("input %d, stride %d: accepted", tt.input, tt.stride)
			}
			continue
		}
		if err != nil {
			t.Fatalf("input %d, stride %d: %v", tt.input, tt.stride, err)
		}
		if h, w := c.Grid(); h != tt.grid || w != tt.grid || c.L != tt.grid*tt.grid {
			t.Errorf("input %d, stride %d: grid %d×%d (%d cells), want %d×%d", tt.input, tt.stride, h, w, c.L, tt.grid, tt.grid)
		}
		if tt.input == 16 {
			out, err := c.Decode(toyCaptionsSized(2, tt.input), []int{0, 1}, 2)
			if err != nil || len(out) != 2 {
				t.Errorf("input %d, stride %d: decoding: %v", tt.input, tt.stride, err)
			}
		}
		c.Close()
	}
}

// toyCaptionsSized are n blank size×size images with a two-word caption.
func toyCaptionsSized(n, size int) *CaptionData {
	d := &CaptionData{Shape: [3]int{3, size, size}, X: make([]float32, n*3*size*size)}
	for range n {
		d.Tokens = append(d.Tokens, []int{StartID, 4, 5, EndID})
	}
	return d
}

// BenchmarkCaptionerPages trains the captioner the captioning kind sizes
// for 128×128 pages (conv 16, 32, 64; 77 decoder steps, 20 words; batch
// 16), with and without the stride-2 first convolution.
func BenchmarkCaptionerPages(b *testing.B) {
	for _, stride := range []int{1, 2} {
		b.Run(fmt.Sprintf("stride=%d", stride), func(b *testing.B) {
			cfg := ReferenceCaptioner(20, 77, true, 1)
			cfg.Input, cfg.Stride = [3]int{3, 128, 128}, stride
			benchCaptionerPages(b, cfg)
		})
	}
}

// BenchmarkCaptionerPages256 trains captioners for 256×256 pages (the
// full suite's: 112 decoder steps, batch 16) behind the stride-2 first
// convolution: conv 16, 32, 64 give a 16×16 grid, and a fourth
// convolution of 64 gives 8×8, as bench/caption sizes it
// (caption.MaxGrid).
func BenchmarkCaptionerPages256(b *testing.B) {
	for _, conv := range [][]int{{16, 32, 64}, {16, 32, 64, 64}} {
		b.Run(fmt.Sprintf("conv=%d", len(conv)), func(b *testing.B) {
			cfg := ReferenceCaptioner(20, 112, true, 1)
			cfg.Input, cfg.Stride, cfg.Positions, cfg.Conv = [3]int{3, 256, 256}, 2, true, conv
			benchCaptionerPages(b, cfg)
		})
	}
}

// benchCaptionerPages trains a captioner of cfg on random pages and
// captions of cfg.Steps words, at batch 16, reporting pages/s.
func benchCaptionerPages(b *testing.B, cfg CaptionerConfig) {
	const nb, batch = 4, 16
	c, err := NewCaptioner(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	d := &CaptionData{Shape: cfg.Input, X: make([]float32, nb*batch*cfg.Input[0]*cfg.Input[1]*cfg.Input[2])}
	for i := range d.X {
		d.X[i] = rng.Float32()
	}
	for range nb * batch {
		tok := []int{StartID}
		for range cfg.Steps {
			tok = append(tok, 4+rng.IntN(cfg.Vocab-4))
		}
		d.Tokens = append(d.Tokens, tok)
	}
	feed := c.Feeder(d)
	if _, err := Train(context.Background(), c, d.Len(), feed, TrainConfig{Steps: 1, Batch: batch, LR: 1e-3}, nil); err != nil {
		b.Fatal(err)
	}
	pages := 0
	for b.Loop() {
		if _, err := Train(context.Background(), c, d.Len(), feed, TrainConfig{Steps: nb, Batch: batch, LR: 1e-3}, nil); err != nil {
			b.Fatal(err)
		}
		pages += nb * batch
	}
	b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
}

// TestBeamPicksFinished sets the output layer so that scores do not
// depend on the image and the best-scoring hypothesis when the beam
// finishes is still open: the decoder must return a finished one.
func TestBeamPicksFinished(t *testing.T) {
	c := toyCaptioner(t, true)
	defer c.Close()
	c.Config.Steps = 5
	for _, p := range c.Params() {
		switch p.Name {
		case "dec.out.w":
			clear(p.Data())
		case "dec.out.b":
			clear(p.Data())
			p.Data()[5], p.Data()[6] = 5, 5 // log p ≈ −0.7 each; <end> ≈ −5.7
		}
	}
	allow := func(prefix []int, _ int, allowed []bool) {
		only := map[int][]int{0: {4}, 1: {EndID, 5}, 2: {EndID, 6}}[len(prefix)]
		for tok := range allowed {
			allowed[tok] = allowed[tok] && (only == nil || slices.Contains(only, tok))
		}
	}
	// Beam 2: "4 <end>" and "4 5 <end>" finish at step 3 while "4 5 6"
	// (the best score so far) is open; the best finished one is "4".
	out, err := c.DecodeWith(toyCaptions(1, 1), []int{0}, DecodeOptions{Beam: 2, Allow: allow})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out[0].Tokens, []int{4}) {
		t.Errorf("decoded %v (log p %v), want the finished [4]", out[0].Tokens, out[0].LogProb)
	}
}
