package models

import (
	"fmt"
	"math"
	"sort"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Token ids every captioner vocabulary starts with.
const (
	PadID   = 0 // after the end: no loss
	StartID = 1 // the decoder's first input
	EndID   = 2 // the decoder's last output
	UnkID   = 3 // a word not in the vocabulary
)

// CaptionerConfig describes an image captioner: a CNN encoder to a grid of
// feature vectors, an LSTM decoder with word embeddings, and (with
// Attention) soft additive attention over the grid at every step.
type CaptionerConfig struct {
	// Input is channels, height, width.
	Input [3]int `json:"input"`
	// Conv lists the channels of the 3×3 convolutions, each followed by a
	// ReLU and 2×2 max pooling; the last one's output is the grid.
	Conv []int `json:"conv"`
	// Stride is the first convolution's stride: 2 halves a large image
	// (a 128×128 page) at a quarter of the first layer's cost, learning
	// how, where pooling the image first would average small text away.
	// 0 and 1 mean 1.
	Stride int `json:"stride,omitempty"`
	// Positions adds a learned vector per grid cell to the grid's
	// features, so that attention can seek a place (the next column of a
	// page) and not only a look: a small convolutional stack's features
	// say little of where they are.
	Positions bool `json:"positions,omitempty"`
	Vocab     int  `json:"vocab"`
	Embed     int  `json:"embed"`
	Hidden    int  `json:"hidden"`
	// Att is the attention layer's width.
	Att int `json:"att"`
	// Steps is the number of decoder steps: the longest caption in
	// tokens, <end> included.
	Steps int `json:"steps"`
	// Attention: false gives the baseline that starts from the pooled
	// image feature and never looks at the image again.
	Attention bool `json:"attention"`
	// Lambda weighs the doubly stochastic penalty λ·Σ_l(1 − Σ_t α_tl)².
	Lambda float64 `json:"lambda"`
	Seed   uint64  `json:"seed"`
}

// ReferenceCaptioner is the reference captioner for 56×56 images: conv 16, 32, 64 to a 7×7×64 grid, embeddings 32,
// hidden 128, attention 64. Its λ is 0: with six words over 49 grid
// cells, Σ_t α_tl = 1 is out of reach and the penalty only pulls attention
// toward uniform (on relations, λ = 0.01 lowered canonical exact match
// from 0.96 to 0.83 and attention correctness from 0.20 to 0.15).
func ReferenceCaptioner(vocab, steps int, attention bool, seed uint64) CaptionerConfig {
	return CaptionerConfig{Input: [3]int{3, 56, 56}, Conv: []int{16, 32, 64}, Vocab: vocab, Embed: 32, Hidden: 128, Att: 64,
		Steps: steps, Attention: attention, Lambda: 0, Seed: seed}
}

// Captioner is a CNN-LSTM captioner (Show, Attend and Tell).
type Captioner struct {
	Config  CaptionerConfig
	ps      *ParamSet
	conv    [][2]*Param
	embed   *Param
	initH   [2]*Param
	initC   [2]*Param
	attF    [2]*Param
	attH    [2]*Param
	attV    *Param
	lstm    [3]*Param // Wx (word), Wh, b
	lstmCtx *Param    // Wx (attention context)
	out     [2]*Param
	pos     *Param // L×C, with Positions
	graphs  map[[2]int]*Graph
	L, C    int // grid locations and feature size
}

// NewCaptioner validates cfg and draws the initial weights.
func NewCaptioner(cfg CaptionerConfig) (*Captioner, error) {
	if cfg.Vocab <= UnkID || cfg.Embed <= 0 || cfg.Hidden <= 0 || cfg.Steps <= 0 || len(cfg.Conv) == 0 || (cfg.Attention && cfg.Att <= 0) {
		return nil, fmt.Errorf("models: captioner needs a vocabulary (> 4 tokens), embedding, hidden and attention widths, steps and convolutions: %+v", cfg)
	}
	if cfg.Lambda < 0 {
		return nil, fmt.Errorf("models: captioner λ %v: want λ ≥ 0", cfg.Lambda)
	}
	if cfg.Stride < 0 || cfg.Stride > 2 {
		return nil, fmt.Errorf("models: captioner stride %d: want 1 or 2 (0 means 1)", cfg.Stride)
	}
	h, w := cfg.Input[1], cfg.Input[2]
	if cfg.stride() == 2 {
		if h%2 != 0 || w%2 != 0 {
			return nil, fmt.Errorf("models: input %d×%d cannot be halved by a stride of 2", h, w)
		}
		h, w = h/2, w/2
	}
	for range cfg.Conv {
		if h%2 != 0 || w%2 != 0 {
			return nil, fmt.Errorf("models: input %d×%d cannot be halved %d times by pooling", cfg.Input[1], cfg.Input[2], len(cfg.Conv))
		}
		h, w = h/2, w/2
	}
	c := &Captioner{Config: cfg, ps: NewParamSet(cfg.Seed), graphs: map[[2]int]*Graph{}, L: h * w, C: cfg.Conv[len(cfg.Conv)-1]}
	in := cfg.Input[0]
	for l, out := range cfg.Conv {
		name := fmt.Sprintf("enc.conv%d", l+1)
		c.conv = append(c.conv, [2]*Param{c.ps.He(name+".w", in*9, out, in*9), c.ps.Zeros(name+".b", out)})
		in = out
	}
	c.embed = c.ps.Glorot("dec.embed", cfg.Vocab, cfg.Embed, cfg.Vocab, cfg.Embed)
	c.initH = [2]*Param{c.ps.Glorot("dec.init_h.w", c.C, cfg.Hidden, c.C, cfg.Hidden), c.ps.Zeros("dec.init_h.b", cfg.Hidden)}
	c.initC = [2]*Param{c.ps.Glorot("dec.init_c.w", c.C, cfg.Hidden, c.C, cfg.Hidden), c.ps.Zeros("dec.init_c.b", cfg.Hidden)}
	lstmIn := cfg.Embed
	if cfg.Attention {
		c.attF = [2]*Param{c.ps.Glorot("att.f.w", c.C, cfg.Att, c.C, cfg.Att), c.ps.Zeros("att.f.b", cfg.Att)}
		c.attH = [2]*Param{c.ps.Glorot("att.h.w", cfg.Hidden, cfg.Att, cfg.Hidden, cfg.Att), c.ps.Zeros("att.h.b", cfg.Att)}
		c.attV = c.ps.Glorot("att.v", cfg.Att, 1, cfg.Att)
		lstmIn += c.C
	}
	// The LSTM's input weights come in two blocks, for the word and for
	// the attention context: the blocks of one matrix over [word | ctx].
	c.lstm = [3]*Param{c.ps.Glorot("dec.lstm.wx", lstmIn, 4*cfg.Hidden, cfg.Embed, 4*cfg.Hidden),
		c.ps.Glorot("dec.lstm.wh", cfg.Hidden, 4*cfg.Hidden, cfg.Hidden, 4*cfg.Hidden), c.ps.Zeros("dec.lstm.b", 4*cfg.Hidden)}
	if cfg.Attention {
		c.lstmCtx = c.ps.Glorot("dec.lstm.wctx", lstmIn, 4*cfg.Hidden, c.C, 4*cfg.Hidden)
	}
	// A forget-gate bias of 1 keeps early gradients flowing (Jozefowicz et al. 2015).
	for i := cfg.Hidden; i < 2*cfg.Hidden; i++ {
		c.lstm[2].Data()[i] = 1
	}
	c.out = [2]*Param{c.ps.Glorot("dec.out.w", cfg.Hidden, cfg.Vocab, cfg.Hidden, cfg.Vocab), c.ps.Zeros("dec.out.b", cfg.Vocab)}
	if cfg.Positions {
		c.pos = c.ps.Glorot("enc.pos", c.C, c.C, c.L, c.C)
	}
	return c, nil
}

// stride is the first convolution's stride, 1 or 2.
func (cfg CaptionerConfig) stride() int { return max(cfg.Stride, 1) }

// Params returns the parameters in creation order.
func (c *Captioner) Params() []*Param { return c.ps.Params }

func (c *Captioner) nodeMap(nodes []*G.Node) map[*Param]*G.Node {
	m := map[*Param]*G.Node{}
	for i, p := range c.Params() {
		m[p] = nodes[i]
	}
	return m
}

// encoded is the encoder's output inside a graph.
type encoded struct {
	feats, pf, h, c *G.Node
}

func (c *Captioner) encode(x *G.Node, n int, node map[*Param]*G.Node) (encoded, error) {
	var e encoded
	h := x
	var err error
	for l, cv := range c.conv {
		stride := 1
		if l == 0 {
			stride = c.Config.stride()
		}
		if h, err = conv2d(h, node[cv[0]], node[cv[1]], 3, 1, stride, l > 0); err != nil {
			return e, err
		}
		if h, err = reluPool2(h); err != nil {
			return e, err
		}
	}
	if h, err = G.Reshape(h, tensor.Shape{n, c.C, c.L}); err != nil {
		return e, err
	}
	if e.feats, err = G.Transpose(h, 0, 2, 1); err != nil { // n×L×C
		return e, err
	}
	if c.pos != nil {
		if e.feats, err = addPositions(e.feats, node[c.pos]); err != nil {
			return e, err
		}
	}
	mean, err := G.Mean(e.feats, 1)
	if err != nil {
		return e, err
	}
	if e.h, err = G.Tanh(must(dense(mean, node[c.initH[0]], node[c.initH[1]]))); err != nil {
		return e, err
	}
	if e.c, err = G.Tanh(must(dense(mean, node[c.initC[0]], node[c.initC[1]]))); err != nil {
		return e, err
	}
	if c.Config.Attention {
		flat := must(G.Reshape(e.feats, tensor.Shape{n * c.L, c.C}))
		pf := must(dense(flat, node[c.attF[0]], node[c.attF[1]]))
		if e.pf, err = G.Reshape(pf, tensor.Shape{n, c.L, c.Config.Att}); err != nil {
			return e, err
		}
	}
	return e, nil
}

// addPositions adds pos (L×C) to every example's grid features (n×L×C),
// broadcast over the batch as dense adds its bias to every row.
func addPositions(feats, pos *G.Node) (*G.Node, error) {
	s := feats.Shape()
	n, l, c := s[0], s[1], s[2]
	flat, err := G.Reshape(feats, tensor.Shape{n, l * c})
	if err != nil {
		return nil, err
	}
	sum, err := G.BroadcastAdd(flat, must(G.Reshape(pos, tensor.Shape{l * c})), nil, []byte{0})
	if err != nil {
		return nil, err
	}
	return G.Reshape(sum, tensor.Shape{n, l, c})
}

// step is one decoder step: from the state and the input tokens to the
// next state, the logits of the next token and (with attention) α.
func (c *Captioner) step(e encoded, h, cell, ids *G.Node, node map[*Param]*G.Node) (hN, cN, logits, alpha *G.Node, err error) {
	x, err := embed(node[c.embed], ids)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	xs := []*G.Node{x}
	w := LSTMWeights{Wx: []*G.Node{node[c.lstm[0]]}, Wh: node[c.lstm[1]], B: node[c.lstm[2]]}
	if c.Config.Attention {
		hp := must(dense(h, node[c.attH[0]], node[c.attH[1]]))
		both, err := attend(e.feats, e.pf, hp, node[c.attV])
		if err != nil {
			return nil, nil, nil, nil, err
		}
		n := h.Shape()[0]
		ctxAlpha, err := unpack(both, tensor.Shape{n, c.C}, tensor.Shape{n, c.L})
		if err != nil {
			return nil, nil, nil, nil, err
		}
		alpha = ctxAlpha[1]
		xs = append(xs, ctxAlpha[0])
		w.Wx = append(w.Wx, node[c.lstmCtx])
	}
	if hN, cN, err = lstmCell(xs, h, cell, w); err != nil {
		return nil, nil, nil, nil, err
	}
	logits, err = dense(hN, node[c.out[0]], node[c.out[1]])
	return hN, cN, logits, alpha, err
}

// Graph builds (and caches) the teacher-forced graph for batches of n.
// Inputs: the images (n×C×H×W); the input tokens, step-major (Steps·n ids:
// step t's tokens for every example, then step t+1's); and, when training,
// the one-hot next tokens ((Steps·n)×Vocab, all-zero rows after <end>).
// Outputs: each step's logits, n×Vocab. The loss is the
// cross-entropy summed over real tokens and divided by Steps·n, plus
// λ/n·Σ_l(1 − Σ_t α_tl)² with attention.
func (c *Captioner) Graph(n int, train bool) (*Graph, error) {
	key := [2]int{n, 0}
	if train {
		key[1] = 1
	}
	if gr, ok := c.graphs[key]; ok {
		return gr, nil
	}
	cfg := c.Config
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(n, cfg.Input[0], cfg.Input[1], cfg.Input[2]), G.WithName("x"))
	ids := G.NewVector(g, tensor.Float32, G.WithShape(cfg.Steps*n), G.WithName("ids"))
	gr := &Graph{G: g, Inputs: []*G.Node{x, ids}, Named: map[string]*G.Node{}}
	gr.Nodes = bind(g, c.Params())
	node := c.nodeMap(gr.Nodes)
	e, err := c.encode(x, n, node)
	if err != nil {
		return nil, err
	}
	// The decoder's Steps steps are one op (see captioner_decoder.go); it
	// computes what step unrolled Steps times computes.
	dg := decGeom{T: cfg.Steps, N: n, V: cfg.Vocab, E: cfg.Embed, H: cfg.Hidden, Att: cfg.Attention, L: c.L, C: c.C, A: cfg.Att}
	var in [diCount]*G.Node
	in[diH0], in[diC0], in[diIDs], in[diEmbed] = e.h, e.c, ids, node[c.embed]
	in[diWx], in[diWh], in[diB], in[diOutW], in[diOutB] = node[c.lstm[0]], node[c.lstm[1]], node[c.lstm[2]], node[c.out[0]], node[c.out[1]]
	if cfg.Attention {
		in[diFeats], in[diPF], in[diAttHW], in[diAttHB], in[diAttV], in[diWctx] = e.feats, e.pf, node[c.attH[0]], node[c.attH[1]], node[c.attV], node[c.lstmCtx]
	}
	packed, err := decoder(dg, in)
	if err != nil {
		return nil, err
	}
	var all, alphas *G.Node // (Steps·n)×Vocab logits, step-major; α, Steps×n×L
	if cfg.Attention {
		both, err := unpack(packed, tensor.Shape{cfg.Steps * n, cfg.Vocab}, tensor.Shape{cfg.Steps, n, c.L})
		if err != nil {
			return nil, err
		}
		all, alphas = both[0], both[1]
	} else if all, err = G.Reshape(packed, tensor.Shape{cfg.Steps * n, cfg.Vocab}); err != nil {
		return nil, err
	}
	for t := range cfg.Steps {
		gr.Outputs = append(gr.Outputs, must(segment(all, t*n*cfg.Vocab, (t+1)*n*cfg.Vocab, n, cfg.Vocab)))
	}
	if train {
		y := G.NewMatrix(g, tensor.Float32, G.WithShape(cfg.Steps*n, cfg.Vocab), G.WithName("y"))
		gr.Inputs = append(gr.Inputs, y)
		// The mean over all Steps·n rows (the mean of the steps' means).
		if gr.Loss, err = softmaxXent(all, y); err != nil {
			return nil, err
		}
		if cfg.Attention && cfg.Lambda > 0 {
			sum := must(G.Sum(alphas, 0)) // Σ_t α_t, n×L
			gap := must(G.Sub(constLike(sum, 1), sum))
			pen := must(G.Sum(must(G.Square(gap))))
			pen = must(G.HadamardProd(pen, constLike(pen, cfg.Lambda/float64(n))))
			if gr.Loss, err = G.Add(gr.Loss, pen); err != nil {
				return nil, err
			}
		}
	}
	c.graphs[key] = gr
	return gr, nil
}

// Close releases the cached graphs.
func (c *Captioner) Close() {
	for k, gr := range c.graphs {
		gr.Close()
		delete(c.graphs, k)
	}
}

// CaptionData are images with their captions as token ids: <start>, the
// words, <end>, then <pad> up to Steps+1 tokens.
type CaptionData struct {
	X      []float32
	Shape  [3]int
	Tokens [][]int
}

// Len is the number of examples.
func (d *CaptionData) Len() int { return len(d.Tokens) }

// Image returns example i's pixels.
func (d *CaptionData) Image(i int) []float32 {
	per := d.Shape[0] * d.Shape[1] * d.Shape[2]
	return d.X[i*per : (i+1)*per]
}

// Feeder returns a teacher-forcing feeder of d into the training graphs.
func (c *Captioner) Feeder(d *CaptionData) Feeder {
	steps, v := c.Config.Steps, c.Config.Vocab
	per := d.Shape[0] * d.Shape[1] * d.Shape[2]
	return func(inputs []*tensor.Dense, idx []int) {
		xs := inputs[0].Data().([]float32)
		ids := inputs[1].Data().([]float32)
		n := len(idx)
		for j, i := range idx {
			copy(xs[j*per:(j+1)*per], d.Image(i))
			for t := range steps {
				ids[t*n+j] = float32(d.Tokens[i][t])
			}
		}
		if len(inputs) > 2 {
			y := inputs[2].Data().([]float32)
			clear(y)
			for j, i := range idx {
				for t := range steps {
					if next := d.Tokens[i][t+1]; next != PadID {
						y[(t*n+j)*v+next] = 1
					}
				}
			}
		}
	}
}

// stepGraph is the decoder alone for batches of n, used to decode one
// token at a time: inputs feats (n×L×C), pf (n×L×Att), h, c, ids;
// outputs h', c', log-softmax of the logits, α (nil without attention).
func (c *Captioner) stepGraph(n int) (*Graph, error) {
	key := [2]int{n, 3}
	if gr, ok := c.graphs[key]; ok {
		return gr, nil
	}
	cfg := c.Config
	g := G.NewGraph()
	feats := G.NewTensor(g, tensor.Float32, 3, G.WithShape(n, c.L, c.C), G.WithName("feats"))
	pf := G.NewTensor(g, tensor.Float32, 3, G.WithShape(n, c.L, max(cfg.Att, 1)), G.WithName("pf"))
	h := G.NewMatrix(g, tensor.Float32, G.WithShape(n, cfg.Hidden), G.WithName("h"))
	cell := G.NewMatrix(g, tensor.Float32, G.WithShape(n, cfg.Hidden), G.WithName("c"))
	ids := G.NewVector(g, tensor.Float32, G.WithShape(n), G.WithName("ids"))
	gr := &Graph{G: g, Inputs: []*G.Node{feats, pf, h, cell, ids}, Named: map[string]*G.Node{}}
	gr.Nodes = bind(g, c.Params())
	hN, cN, logits, alpha, err := c.step(encoded{feats: feats, pf: pf}, h, cell, ids, c.nodeMap(gr.Nodes))
	if err != nil {
		return nil, err
	}
	gr.Outputs = []*G.Node{hN, cN, logits}
	if alpha != nil {
		gr.Outputs = append(gr.Outputs, alpha)
	}
	c.graphs[key] = gr
	return gr, nil
}

// encoderGraph is the encoder alone for batches of n: outputs feats, pf
// (absent without attention), h₀, c₀.
func (c *Captioner) encoderGraph(n int) (*Graph, error) {
	key := [2]int{n, 2}
	if gr, ok := c.graphs[key]; ok {
		return gr, nil
	}
	cfg := c.Config
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(n, cfg.Input[0], cfg.Input[1], cfg.Input[2]), G.WithName("x"))
	gr := &Graph{G: g, Inputs: []*G.Node{x}, Named: map[string]*G.Node{}}
	gr.Nodes = bind(g, c.Params())
	e, err := c.encode(x, n, c.nodeMap(gr.Nodes))
	if err != nil {
		return nil, err
	}
	pf := e.pf
	if pf == nil {
		pf = G.NewTensor(g, tensor.Float32, 3, G.WithShape(n, c.L, 1), G.WithName("nopf"), G.WithInit(G.Zeroes()))
	}
	gr.Outputs = []*G.Node{e.feats, pf, e.h, e.c}
	c.graphs[key] = gr
	return gr, nil
}

// Decoded is one generated caption: its tokens (without <start> and
// <end>), their total log-probability, and for each token the attention
// over the grid when it was emitted (nil without attention).
type Decoded struct {
	Tokens  []int
	LogProb float64
	Alphas  [][]float32
}

// Grid is the attention grid's height and width.
func (c *Captioner) Grid() (h, w int) {
	h, w = c.Config.Input[1]/c.Config.stride(), c.Config.Input[2]/c.Config.stride()
	for range c.Config.Conv {
		h, w = h/2, w/2
	}
	return h, w
}

// Decode captions images with beam search of the given width (1 is
// greedy decoding). The result is a pure function of the weights and
// images: ties between equal scores go to the lower token id.
func (c *Captioner) Decode(d *CaptionData, idx []int, beam int) ([]Decoded, error) {
	return c.DecodeWith(d, idx, DecodeOptions{Beam: beam})
}

// DecodeOptions configure DecodeWith. The zero value is greedy decoding
// with every token allowed.
type DecodeOptions struct {
	// Beam is the beam width; below 1 it is 1 (greedy decoding).
	Beam int
	// Allow, if not nil, constrains decoding (to a grammar, say): before
	// each step it is called for every hypothesis with the tokens it has
	// emitted so far (without <start>), the steps left (this one
	// included: 1 at the last step), and allowed, one entry per
	// vocabulary id, true for every id but PadID and StartID. It clears
	// the ids that may not come next; EndID ends the caption. It must be a
	// pure function of its arguments for decoding to stay one, and it
	// must not keep prefix or allowed, which are reused.
	Allow func(prefix []int, left int, allowed []bool)
}

// DecodeWith captions images as Decode does, with the options' beam
// width and constraint. With a constraint, a hypothesis whose every next
// token is refused is dropped; if every hypothesis is, decoding fails.
func (c *Captioner) DecodeWith(d *CaptionData, idx []int, o DecodeOptions) ([]Decoded, error) {
	beam := max(o.Beam, 1)
	enc, err := c.encoderGraph(1)
	if err != nil {
		return nil, err
	}
	st, err := c.stepGraph(beam)
	if err != nil {
		return nil, err
	}
	cfg := c.Config
	x := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(1, cfg.Input[0], cfg.Input[1], cfg.Input[2]))
	ins := make([]*tensor.Dense, 5)
	for k, in := range st.Inputs {
		ins[k] = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(in.Shape()...))
	}
	out := make([]Decoded, len(idx))
	for k, i := range idx {
		copy(x.Data().([]float32), d.Image(i))
		if err := enc.Run(x); err != nil {
			return nil, err
		}
		// Every beam row starts from the same encoding.
		for j := range 4 {
			src := enc.Outputs[j].Value().Data().([]float32)
			dst := ins[j].Data().([]float32)
			for b := range beam {
				copy(dst[b*len(src):], src)
			}
		}
		res, err := c.beamSearch(st, ins, beam, o.Allow)
		if err != nil {
			return nil, err
		}
		out[k] = res
	}
	return out, nil
}

type hyp struct {
	tokens []int
	alphas [][]float32
	score  float64
	row    int // the beam row holding its state
}

func (c *Captioner) beamSearch(st *Graph, ins []*tensor.Dense, beam int, allow func([]int, int, []bool)) (Decoded, error) {
	cfg := c.Config
	alive := []hyp{{row: 0}}
	var done []hyp
	H, V := cfg.Hidden, cfg.Vocab
	hBuf := make([]float32, beam*H)
	cBuf := make([]float32, beam*H)
	allowed := make([]bool, V)
	for t := 0; t < cfg.Steps && len(alive) > 0; t++ {
		ids := ins[4].Data().([]float32)
		for b := range ids {
			ids[b] = StartID
		}
		for b, hy := range alive {
			if len(hy.tokens) > 0 {
				ids[b] = float32(hy.tokens[len(hy.tokens)-1])
			}
		}
		if err := st.Run(ins...); err != nil {
			return Decoded{}, err
		}
		hOut := st.Outputs[0].Value().Data().([]float32)
		cOut := st.Outputs[1].Value().Data().([]float32)
		logits := st.Outputs[2].Value().Data().([]float32)
		var alpha []float32
		if len(st.Outputs) > 3 {
			alpha = st.Outputs[3].Value().Data().([]float32)
		}
		type cand struct {
			from, tok int
			score     float64
		}
		var cands []cand
		for b, hy := range alive {
			row := logits[b*V : (b+1)*V]
			lse := logSumExp(row)
			for tok := range allowed {
				allowed[tok] = tok != PadID && tok != StartID
			}
			if allow != nil {
				allow(hy.tokens, cfg.Steps-t, allowed)
			}
			for tok := range V {
				if !allowed[tok] {
					continue
				}
				cands = append(cands, cand{b, tok, hy.score + float64(row[tok]) - lse})
			}
		}
		if len(cands) == 0 && len(done) == 0 {
			return Decoded{}, fmt.Errorf("models: the decoding constraint allows no token at step %d of %d", t+1, cfg.Steps)
		}
		sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
		var next []hyp
		for _, cd := range cands {
			if len(next) >= beam || len(done) >= beam {
				break
			}
			parent := alive[cd.from]
			hy := hyp{tokens: append(append([]int(nil), parent.tokens...), cd.tok), score: cd.score,
				alphas: append([][]float32(nil), parent.alphas...)}
			if alpha != nil {
				hy.alphas = append(hy.alphas, append([]float32(nil), alpha[cd.from*c.L:(cd.from+1)*c.L]...))
			}
			if cd.tok == EndID || t == cfg.Steps-1 {
				done = append(done, hy)
				continue
			}
			hy.row = len(next)
			copy(hBuf[hy.row*H:(hy.row+1)*H], hOut[cd.from*H:(cd.from+1)*H])
			copy(cBuf[hy.row*H:(hy.row+1)*H], cOut[cd.from*H:(cd.from+1)*H])
			next = append(next, hy)
		}
		copy(ins[2].Data().([]float32), hBuf)
		copy(ins[3].Data().([]float32), cBuf)
		alive = next
		if len(done) >= beam {
			break
		}
	}
	done = append(done, alive...)
	best := done[0]
	for _, hy := range done[1:] {
		if hy.score > best.score {
			best = hy
		}
	}
	d := Decoded{LogProb: best.score}
	for k, tok := range best.tokens {
		if tok == EndID {
			break
		}
		d.Tokens = append(d.Tokens, tok)
		if best.alphas != nil {
			d.Alphas = append(d.Alphas, best.alphas[k])
		}
	}
	if math.IsNaN(d.LogProb) {
		return d, fmt.Errorf("models: decoding produced NaN scores")
	}
	return d, nil
}
