package models

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// VAEConfig describes a convolutional variational autoencoder.
type VAEConfig struct {
	// Input is channels, height, width.
	Input [3]int `json:"input"`
	// Conv lists the channels of the encoder's 4×4 stride-2 convolutions
	// (padding 1, each halving height and width, each followed by a ReLU);
	// the decoder mirrors them with transposed convolutions.
	Conv []int `json:"conv"`
	// Hidden is the width of the dense ReLU layer on each side of z.
	Hidden int `json:"hidden"`
	// Latent is the size of z.
	Latent int `json:"latent"`
	// Beta weighs the KL term: loss = recon + β·KL (β = 1 is the ELBO).
	Beta float64 `json:"beta"`
	// Likelihood is the observation model, Bernoulli or Gaussian; Sigma
	// is the Gaussian's fixed standard deviation.
	Likelihood string  `json:"likelihood"`
	Sigma      float64 `json:"sigma,omitempty"`
	// Seed draws the initial weights.
	Seed uint64 `json:"seed"`
}

// ReferenceVAE is the VAE of the benchmarks for c×h×w images: two (28×28)
// or three (56×56) stride-2 convolutions down to 7×7, hidden 128, a
// 10-dimensional z, β = 1 and a Bernoulli observation model.
func ReferenceVAE(input [3]int, seed uint64) VAEConfig {
	conv := []int{16, 32}
	if input[1] >= 56 {
		conv = []int{16, 32, 32}
	}
	return VAEConfig{Input: input, Conv: conv, Hidden: 128, Latent: 10, Beta: 1, Likelihood: Bernoulli, Seed: seed}
}

// VAE is a convolutional variational autoencoder: encoder → (μ, log σ²) →
// z = μ + σ·ε → decoder → logits of p(x|z). ε is an input, drawn by the
// caller from a seeded generator, so training is deterministic.
type VAE struct {
	Config VAEConfig
	ps     *ParamSet
	enc    [][2]*Param
	encFC  [2]*Param
	mu, lv [2]*Param
	decFC  [2]*Param
	decIn  [2]*Param // dense layer to the first feature map
	dec    [][2]*Param
	h, w   int // the smallest feature map
	graphs map[[2]int]*Graph
}

// NewVAE validates cfg and draws the initial weights.
func NewVAE(cfg VAEConfig) (*VAE, error) {
	if cfg.Input[0] <= 0 || cfg.Hidden <= 0 || cfg.Latent <= 0 || len(cfg.Conv) == 0 {
		return nil, fmt.Errorf("models: VAE needs an input shape, convolutions, a hidden width and a latent size: %+v", cfg)
	}
	if !(cfg.Beta >= 0) {
		return nil, fmt.Errorf("models: VAE β %v: want β ≥ 0", cfg.Beta)
	}
	if cfg.Likelihood != Bernoulli && cfg.Likelihood != Gaussian {
		return nil, fmt.Errorf("models: VAE observation model %q: want %s or %s", cfg.Likelihood, Bernoulli, Gaussian)
	}
	if cfg.Likelihood == Gaussian && !(cfg.Sigma > 0) {
		return nil, fmt.Errorf("models: gaussian observation model needs sigma > 0, got %v", cfg.Sigma)
	}
	v := &VAE{Config: cfg, ps: NewParamSet(cfg.Seed), graphs: map[[2]int]*Graph{}}
	h, w := cfg.Input[1], cfg.Input[2]
	in := cfg.Input[0]
	for l, out := range cfg.Conv {
		if h%2 != 0 || w%2 != 0 {
			return nil, fmt.Errorf("models: VAE input %d×%d cannot be halved %d times", cfg.Input[1], cfg.Input[2], len(cfg.Conv))
		}
		h, w = h/2, w/2
		name := fmt.Sprintf("enc.conv%d", l+1)
		v.enc = append(v.enc, [2]*Param{v.ps.He(name+".w", in*16, out, in*16), v.ps.Zeros(name+".b", out)})
		in = out
	}
	v.h, v.w = h, w
	flat := in * h * w
	v.encFC = [2]*Param{v.ps.He("enc.dense.w", flat, flat, cfg.Hidden), v.ps.Zeros("enc.dense.b", cfg.Hidden)}
	v.mu = [2]*Param{v.ps.Glorot("enc.mu.w", cfg.Hidden, cfg.Latent, cfg.Hidden, cfg.Latent), v.ps.Zeros("enc.mu.b", cfg.Latent)}
	v.lv = [2]*Param{v.ps.Glorot("enc.logvar.w", cfg.Hidden, cfg.Latent, cfg.Hidden, cfg.Latent), v.ps.Zeros("enc.logvar.b", cfg.Latent)}
	v.decFC = [2]*Param{v.ps.He("dec.dense.w", cfg.Latent, cfg.Latent, cfg.Hidden), v.ps.Zeros("dec.dense.b", cfg.Hidden)}
	v.decIn = [2]*Param{v.ps.He("dec.map.w", cfg.Hidden, cfg.Hidden, flat), v.ps.Zeros("dec.map.b", flat)}
	for l := len(cfg.Conv) - 1; l >= 0; l-- {
		out := cfg.Input[0]
		if l > 0 {
			out = cfg.Conv[l-1]
		}
		name := fmt.Sprintf("dec.deconv%d", len(cfg.Conv)-l)
		// A transposed convolution's fan-in is in·K·K/stride².
		v.dec = append(v.dec, [2]*Param{v.ps.He(name+".w", cfg.Conv[l]*4, cfg.Conv[l], out*16), v.ps.Zeros(name+".b", out)})
	}
	return v, nil
}

// Params returns the parameters in creation order.
func (v *VAE) Params() []*Param { return v.ps.Params }

// Graph builds (and caches) the graph for batches of n. Inputs: the images
// (n×C×H×W, values in [0, 1]) and the noise ε (n×Latent). Outputs, per
// example: μ, log σ², the decoder's logits of x from z, the reconstruction
// term −log p(x|z) and the KL term KL(q(z|x) ‖ N(0, I)), both in nats. The
// loss is the batch mean of recon + β·KL.
func (v *VAE) Graph(n int, train bool) (*Graph, error) {
	key := [2]int{n, 0}
	if train {
		key[1] = 1
	}
	if gr, ok := v.graphs[key]; ok {
		return gr, nil
	}
	g := G.NewGraph()
	in := v.Config.Input
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(n, in[0], in[1], in[2]), G.WithName("x"))
	eps := G.NewMatrix(g, tensor.Float32, G.WithShape(n, v.Config.Latent), G.WithName("eps"))
	gr := &Graph{G: g, Inputs: []*G.Node{x, eps}, Named: map[string]*G.Node{}}
	gr.Nodes = bind(g, v.Params())
	node := v.nodeMap(gr.Nodes)
	mu, lv, err := v.encode(x, node)
	if err != nil {
		return nil, err
	}
	std, err := G.Exp(must(G.HadamardProd(lv, constLike(lv, 0.5))))
	if err != nil {
		return nil, err
	}
	z, err := G.Add(mu, must(G.HadamardProd(std, eps)))
	if err != nil {
		return nil, err
	}
	logits, err := v.decode(z, n, node)
	if err != nil {
		return nil, err
	}
	recon, err := reconNLL(logits, x, v.Config.Likelihood, v.Config.Sigma)
	if err != nil {
		return nil, err
	}
	kl, err := klNormal(mu, lv)
	if err != nil {
		return nil, err
	}
	gr.Outputs = []*G.Node{mu, lv, logits, recon, kl}
	gr.Named["z"] = z
	if train {
		total := recon
		if v.Config.Beta != 0 {
			if total, err = G.Add(recon, must(G.HadamardProd(kl, constLike(kl, v.Config.Beta)))); err != nil {
				return nil, err
			}
		}
		if gr.Loss, err = G.Mean(total); err != nil {
			return nil, err
		}
	}
	v.graphs[key] = gr
	return gr, nil
}

// DecoderGraph builds (and caches) the decoder alone for batches of n:
// input z (n×Latent), output the logits of x.
func (v *VAE) DecoderGraph(n int) (*Graph, error) {
	key := [2]int{n, 2}
	if gr, ok := v.graphs[key]; ok {
		return gr, nil
	}
	g := G.NewGraph()
	z := G.NewMatrix(g, tensor.Float32, G.WithShape(n, v.Config.Latent), G.WithName("z"))
	gr := &Graph{G: g, Inputs: []*G.Node{z}, Named: map[string]*G.Node{}}
	gr.Nodes = bind(g, v.Params())
	logits, err := v.decode(z, n, v.nodeMap(gr.Nodes))
	if err != nil {
		return nil, err
	}
	gr.Outputs = []*G.Node{logits}
	v.graphs[key] = gr
	return gr, nil
}

func (v *VAE) nodeMap(nodes []*G.Node) map[*Param]*G.Node {
	m := map[*Param]*G.Node{}
	for i, p := range v.Params() {
		m[p] = nodes[i]
	}
	return m
}

func (v *VAE) encode(x *G.Node, node map[*Param]*G.Node) (mu, lv *G.Node, err error) {
	h := x
	for l, cv := range v.enc {
		if h, err = conv2d(h, node[cv[0]], node[cv[1]], 4, 1, 2, l > 0); err != nil {
			return nil, nil, err
		}
		if h, err = G.Rectify(h); err != nil {
			return nil, nil, err
		}
	}
	n := x.Shape()[0]
	if h, err = G.Reshape(h, tensor.Shape{n, h.Shape().TotalSize() / n}); err != nil {
		return nil, nil, err
	}
	if h, err = dense(h, node[v.encFC[0]], node[v.encFC[1]]); err != nil {
		return nil, nil, err
	}
	if h, err = G.Rectify(h); err != nil {
		return nil, nil, err
	}
	if mu, err = dense(h, node[v.mu[0]], node[v.mu[1]]); err != nil {
		return nil, nil, err
	}
	lv, err = dense(h, node[v.lv[0]], node[v.lv[1]])
	return mu, lv, err
}

func (v *VAE) decode(z *G.Node, n int, node map[*Param]*G.Node) (*G.Node, error) {
	h, err := dense(z, node[v.decFC[0]], node[v.decFC[1]])
	if err != nil {
		return nil, err
	}
	if h, err = G.Rectify(h); err != nil {
		return nil, err
	}
	if h, err = dense(h, node[v.decIn[0]], node[v.decIn[1]]); err != nil {
		return nil, err
	}
	if h, err = G.Rectify(h); err != nil {
		return nil, err
	}
	c := v.Config.Conv[len(v.Config.Conv)-1]
	if h, err = G.Reshape(h, tensor.Shape{n, c, v.h, v.w}); err != nil {
		return nil, err
	}
	oh, ow := v.h, v.w
	for l, dc := range v.dec {
		oh, ow = oh*2, ow*2
		if h, err = deconv2d(h, node[dc[0]], node[dc[1]], 4, 1, 2, oh, ow); err != nil {
			return nil, err
		}
		if l < len(v.dec)-1 {
			if h, err = G.Rectify(h); err != nil {
				return nil, err
			}
		}
	}
	return h, nil
}

// klNormal is KL(N(μ, diag σ²) ‖ N(0, I)) per row, in nats:
// ½·Σ_d (μ² + σ² − 1 − log σ²).
func klNormal(mu, lv *G.Node) (*G.Node, error) {
	sq, err := G.Square(mu)
	if err != nil {
		return nil, err
	}
	ev, err := G.Exp(lv)
	if err != nil {
		return nil, err
	}
	s := must(G.Sub(must(G.Add(sq, ev)), must(G.Add(lv, constLike(lv, 1)))))
	sum, err := G.Sum(s, 1)
	if err != nil {
		return nil, err
	}
	return G.HadamardProd(sum, constLike(sum, 0.5))
}

// constLike is the scalar constant v in n's element type.
func constLike(n *G.Node, v float64) *G.Node {
	if n.Dtype() == tensor.Float64 {
		return G.NewConstant(v)
	}
	return G.NewConstant(float32(v))
}

// must unwraps a graph-building step whose only failure is a shape
// mismatch that the caller has already ruled out.
func must(n *G.Node, err error) *G.Node {
	if err != nil {
		panic(fmt.Sprintf("models: building a graph: %v", err))
	}
	return n
}

// Close releases the cached graphs.
func (v *VAE) Close() {
	for k, gr := range v.graphs {
		gr.Close()
		delete(v.graphs, k)
	}
}

// Images are N images, channels first, values in [0, 1]: a VAE's data.
type Images struct {
	X     []float32
	Shape [3]int
}

// Len is the number of images.
func (im *Images) Len() int { return len(im.X) / (im.Shape[0] * im.Shape[1] * im.Shape[2]) }

// Image returns image i's pixels.
func (im *Images) Image(i int) []float32 {
	per := im.Shape[0] * im.Shape[1] * im.Shape[2]
	return im.X[i*per : (i+1)*per]
}

// Feeder returns a feeder of images into this VAE's graphs with fresh
// noise ε ~ N(0, I) for every call: call c (counting from start, so a
// resumed run passes the steps it has made) draws from PCG(seed, c).
func (v *VAE) Feeder(im *Images, seed uint64, start int) Feeder {
	call := start
	return func(inputs []*tensor.Dense, idx []int) {
		fillImages(inputs[0], im, idx)
		rng := rand.New(rand.NewPCG(seed, uint64(call)))
		for j := range inputs[1].Data().([]float32) {
			inputs[1].Data().([]float32)[j] = float32(rng.NormFloat64())
		}
		call++
	}
}

// EvalFeeder feeds images with noise that depends only on the seed and
// each image's index, so scores do not depend on the batch size. With
// zeroNoise, z = μ: deterministic reconstructions.
func (v *VAE) EvalFeeder(im *Images, seed uint64, zeroNoise bool) Feeder {
	z := v.Config.Latent
	return func(inputs []*tensor.Dense, idx []int) {
		fillImages(inputs[0], im, idx)
		eps := inputs[1].Data().([]float32)
		for j, i := range idx {
			row := eps[j*z : (j+1)*z]
			if zeroNoise {
				clear(row)
				continue
			}
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			for k := range row {
				row[k] = float32(rng.NormFloat64())
			}
		}
	}
}

func fillImages(t *tensor.Dense, im *Images, idx []int) {
	xs := t.Data().([]float32)
	per := im.Shape[0] * im.Shape[1] * im.Shape[2]
	for j, i := range idx {
		copy(xs[j*per:(j+1)*per], im.Image(i))
	}
}

// Decode turns latent vectors into images (pixel values in [0, 1]): the
// Bernoulli model's means σ(l), or the Gaussian's means l clamped.
func (v *VAE) Decode(zs [][]float32, batch int) ([][]float32, error) {
	n := len(zs)
	if n == 0 {
		return nil, nil
	}
	batch = min(batch, n)
	gr, err := v.DecoderGraph(batch)
	if err != nil {
		return nil, err
	}
	in := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(batch, v.Config.Latent))
	out := make([][]float32, n)
	for lo := 0; lo < n; lo += batch {
		data := in.Data().([]float32)
		for j := 0; j < batch; j++ {
			z := zs[min(lo+j, n-1)]
			if len(z) != v.Config.Latent {
				return nil, fmt.Errorf("models: decode: z has %d values, want %d", len(z), v.Config.Latent)
			}
			copy(data[j*v.Config.Latent:], z)
		}
		if err := gr.Run(in); err != nil {
			return nil, err
		}
		logits := gr.Outputs[0].Value().Data().([]float32)
		per := len(logits) / batch
		for j := 0; j < batch && lo+j < n; j++ {
			out[lo+j] = v.Mean(logits[j*per : (j+1)*per])
		}
	}
	return out, nil
}

// Mean maps decoder logits to the mean image of p(x|z).
func (v *VAE) Mean(logits []float32) []float32 {
	out := make([]float32, len(logits))
	for i, l := range logits {
		if v.Config.Likelihood == Gaussian {
			out[i] = min(max(l, 0), 1)
		} else {
			out[i] = float32(sigmoid(float64(l)))
		}
	}
	return out
}
