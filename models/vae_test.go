package models

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestReconNLLGradient(t *testing.T) {
	for _, tc := range []struct {
		model string
		sigma float64
	}{{Bernoulli, 0}, {Gaussian, 0.3}} {
		t.Run(tc.model, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 1))
			gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
				l := G.NewTensor(g, tensor.Float64, 4, G.WithValue(randTensor(rng, 2, 2, 3, 3)), G.WithName("l"))
				xt := randTensor(rng, 2, 2, 3, 3)
				for i, v := range xt.Data().([]float64) {
					xt.Data().([]float64)[i] = (v + 1) / 2 // targets in [0, 1]
				}
				x := G.NewTensor(g, tensor.Float64, 4, G.WithValue(xt), G.WithName("x"))
				nll := G.Must(reconNLL(l, x, tc.model, tc.sigma))
				return G.Nodes{l}, projectSum(g, rng, nll)
			})
		})
	}
}

func TestKLNormalGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 1))
	gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
		mu := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, 3, 4)), G.WithName("mu"))
		lv := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, 3, 4)), G.WithName("lv"))
		return G.Nodes{mu, lv}, projectSum(g, rng, G.Must(klNormal(mu, lv)))
	})
}

// The values the fused ops compute, against the formulas written out.
func TestReconAndKLValues(t *testing.T) {
	g := G.NewGraph()
	lt := tensor.New(tensor.WithShape(1, 1, 1, 3), tensor.WithBacking([]float64{-40, 0, 2}))
	xt := tensor.New(tensor.WithShape(1, 1, 1, 3), tensor.WithBacking([]float64{1, 0.5, 0}))
	l := G.NewTensor(g, tensor.Float64, 4, G.WithValue(lt), G.WithName("l"))
	x := G.NewTensor(g, tensor.Float64, 4, G.WithValue(xt), G.WithName("x"))
	bern := G.Must(reconNLL(l, x, Bernoulli, 0))
	gauss := G.Must(reconNLL(l, x, Gaussian, 2))
	mu := G.NewMatrix(g, tensor.Float64, G.WithValue(tensor.New(tensor.WithShape(1, 2), tensor.WithBacking([]float64{1, -2}))), G.WithName("mu"))
	lv := G.NewMatrix(g, tensor.Float64, G.WithValue(tensor.New(tensor.WithShape(1, 2), tensor.WithBacking([]float64{0, math.Log(4)}))), G.WithName("lv"))
	kl := G.Must(klNormal(mu, lv))
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	softplus := func(v float64) float64 { return math.Log(1 + math.Exp(v)) }
	wantB := (softplus(-40) + 40) + softplus(0) + softplus(2) // −x·l adds 40 for the first pixel
	wantG := 0.0
	for i, lv := range []float64{-40, 0, 2} {
		d := []float64{1, 0.5, 0}[i] - lv
		wantG += d*d/8 + math.Log(2*math.Sqrt(2*math.Pi))
	}
	wantKL := 0.5 * ((1 + 1 - 1 - 0) + (4 + 4 - 1 - math.Log(4)))
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"bernoulli", bern.Value().Data().([]float64)[0], wantB},
		{"gaussian", gauss.Value().Data().([]float64)[0], wantG},
		{"kl", kl.Value().Data().([]float64)[0], wantKL},
	} {
		if math.Abs(c.got-c.want) > 1e-9*max(1, math.Abs(c.want)) {
			t.Errorf("%s: got %.12g, want %.12g", c.name, c.got, c.want)
		}
	}
}

// toyImages are 8×8 images of a lit square in one of four corners, one of
// three channels: twelve clusters a tiny VAE separates quickly.
func toyImages(n int, seed uint64) (*Images, []int) {
	rng := rand.New(rand.NewPCG(seed, 2))
	im := &Images{Shape: [3]int{3, 8, 8}, X: make([]float32, n*192)}
	labels := make([]int, n)
	for i := range n {
		ch, corner := rng.IntN(3), rng.IntN(4)
		labels[i] = ch*4 + corner
		img := im.Image(i)
		oy, ox := (corner/2)*4, (corner%2)*4
		for y := oy; y < oy+4; y++ {
			for x := ox; x < ox+4; x++ {
				img[ch*64+y*8+x] = 1
			}
		}
	}
	return im, labels
}

func toyVAE(t testing.TB) *VAE {
	v, err := NewVAE(VAEConfig{Input: [3]int{3, 8, 8}, Conv: []int{8, 16}, Hidden: 32, Latent: 4, Beta: 1, Likelihood: Bernoulli, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVAELearnsAndIsDeterministic(t *testing.T) {
	im, _ := toyImages(256, 1)
	run := func(epochs int) (*VAE, *State) {
		v := toyVAE(t)
		st, err := Train(context.Background(), v, im.Len(), v.Feeder(im, 9, 0), TrainConfig{Epochs: epochs, Batch: 32, LR: 5e-3, Seed: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return v, st
	}
	v, st := run(50)
	first, last := st.Losses[0], st.Losses[len(st.Losses)-1]
	if !(last < 0.1*first) {
		t.Errorf("−ELBO per image fell only from %.2f to %.2f nats", first, last)
	}
	// A second run's first epochs are the first run's, bit for bit.
	_, again := run(3)
	if !slices.Equal(st.Losses[:3], again.Losses) {
		t.Errorf("two runs with one seed differ: %v vs %v", st.Losses[:3], again.Losses)
	}
	// Reconstructions from μ put the lit square where it was.
	var mus [][]float32
	right := 0
	err := Predict(v, 12, 12, v.EvalFeeder(im, 1, true), func(i int, out [][]float32) {
		mus = append(mus, slices.Clone(out[0]))
		img, rec := im.Image(i), v.Mean(out[2])
		ok := true
		for k := range img {
			if math.Abs(float64(img[k]-rec[k])) > 0.5 {
				ok = false
			}
		}
		if ok {
			right++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if right < 10 {
		t.Errorf("%d of 12 reconstructions within 0.5 of every pixel, want at least 10", right)
	}
	// The decoder graph gives the same images as the full graph from μ.
	dec, err := v.Decode(mus, 5)
	if err != nil {
		t.Fatal(err)
	}
	err = Predict(v, 12, 4, v.EvalFeeder(im, 1, true), func(i int, out [][]float32) {
		if d := maxAbsDiff(dec[i], v.Mean(out[2])); d > 1e-5 {
			t.Errorf("image %d: decoder alone differs from the full graph by %g", i, d)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

func maxAbsDiff(a, b []float32) float64 {
	var m float64
	for i := range a {
		m = max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}

func TestVAEConfigErrors(t *testing.T) {
	good := VAEConfig{Input: [3]int{3, 8, 8}, Conv: []int{4}, Hidden: 8, Latent: 2, Beta: 1, Likelihood: Bernoulli}
	for name, mod := range map[string]func(*VAEConfig){
		"odd size":   func(c *VAEConfig) { c.Input = [3]int{3, 6, 6}; c.Conv = []int{4, 4} },
		"no latent":  func(c *VAEConfig) { c.Latent = 0 },
		"bad model":  func(c *VAEConfig) { c.Likelihood = "poisson" },
		"gauss σ 0":  func(c *VAEConfig) { c.Likelihood = Gaussian },
		"negative β": func(c *VAEConfig) { c.Beta = -1 },
		"no conv":    func(c *VAEConfig) { c.Conv = nil },
	} {
		c := good
		mod(&c)
		if _, err := NewVAE(c); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := NewVAE(good); err != nil {
		t.Errorf("good config: %v", err)
	}
}

func BenchmarkVAE(b *testing.B) {
	v, err := NewVAE(ReferenceVAE([3]int{3, 28, 28}, 1))
	if err != nil {
		b.Fatal(err)
	}
	const n, batch = 16 * 64, 64
	rng := rand.New(rand.NewPCG(1, 1))
	im := &Images{Shape: [3]int{3, 28, 28}, X: make([]float32, n*3*28*28)}
	for i := range im.X {
		im.X[i] = rng.Float32()
	}
	feed := v.Feeder(im, 1, 0)
	if _, err := Train(context.Background(), v, n, feed, TrainConfig{Steps: 5, Batch: batch, LR: 1e-3}, nil); err != nil {
		b.Fatal(err)
	}
	steps := 0
	for b.Loop() {
		if _, err := Train(context.Background(), v, n, feed, TrainConfig{Steps: 20, Batch: batch, LR: 1e-3, Seed: uint64(steps)}, nil); err != nil {
			b.Fatal(err)
		}
		steps += 20
	}
	b.ReportMetric(float64(steps*batch)/b.Elapsed().Seconds(), "samples/s")
}
