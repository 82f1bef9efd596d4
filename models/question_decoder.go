package models

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds the question decoder of issue 16's last part: an LSTM
// that reads a fixed vector (a reasoner's question vector q) and writes a
// question's words back, so that a point between two question vectors
// can be read as text.
//
// q sets the LSTM's initial state, h₀ = tanh(q·Wh + bh) and c₀ = tanh(q·Wc
// + bc), as the captioner's pooled image feature does; q is not fed again
// at every step (the fused decoder op has no per-example input besides
// the words, and one dense layer per state already reaches every gate).
// The words are the ids of a question vocabulary whose id 0 is padding:
// padding doubles as the start token (the first step's input) and the end
// token (the output after the last word), so the decoder needs no word
// of its own and its vocabulary is the encoder's. A question of Length
// tokens is decoded in Length+1 steps, the last one writing the end.
//
// Training is teacher-forced through the captioner's fused decoder op
// (captioner_decoder.go, without attention); greedy decoding runs
// lstmCell one step at a time, whose arithmetic the op reproduces bit for
// bit, so decoding a training question with its own tokens forced in
// gives the logits of the training graph.

// QuestionDecoderConfig describes a question decoder.
type QuestionDecoderConfig struct {
	// Input is the length of the vector decoded from (a reasoner's
	// TextConfig.Hidden).
	Input int `json:"input"`
	// Words is the vocabulary size, padding (id 0) included.
	Words int `json:"words"`
	// Length is the most words a question has; the decoder runs Length+1
	// steps, the last for the end.
	Length int `json:"length"`
	// Embed and Hidden are the word embedding's and the LSTM's sizes.
	Embed  int `json:"embed"`
	Hidden int `json:"hidden"`
	// Seed draws the initial weights.
	Seed uint64 `json:"seed"`
}

// steps is the number of decoder steps: every word and the end.
func (c QuestionDecoderConfig) steps() int { return c.Length + 1 }

// QuestionDecoder is an LSTM decoder from a fixed vector to a question's
// word ids. It is a Model: train it with Train and its Feeder. It is not
// safe for concurrent use (graphs are cached and reused).
type QuestionDecoder struct {
	Config QuestionDecoderConfig
	ps     *ParamSet
	initH  [2]*Param
	initC  [2]*Param
	embed  *Param
	lstm   [3]*Param // Wx, Wh, b
	out    [2]*Param
	graphs map[[2]int]*Graph
}

// NewQuestionDecoder validates cfg and draws the initial weights from
// cfg.Seed.
func NewQuestionDecoder(cfg QuestionDecoderConfig) (*QuestionDecoder, error) {
	if cfg.Input < 1 || cfg.Words < 2 || cfg.Length < 1 || cfg.Embed < 1 || cfg.Hidden < 1 {
		return nil, fmt.Errorf("models: a question decoder needs input ≥ 1, words ≥ 2 (id 0 is padding and the end), length ≥ 1, embed ≥ 1 and hidden ≥ 1; got %+v", cfg)
	}
	d := &QuestionDecoder{Config: cfg, ps: NewParamSet(cfg.Seed), graphs: map[[2]int]*Graph{}}
	ps, h := d.ps, cfg.Hidden
	d.initH = [2]*Param{ps.Glorot("qdec.init_h.w", cfg.Input, h, cfg.Input, h), ps.Zeros("qdec.init_h.b", h)}
	d.initC = [2]*Param{ps.Glorot("qdec.init_c.w", cfg.Input, h, cfg.Input, h), ps.Zeros("qdec.init_c.b", h)}
	d.embed = ps.Glorot("qdec.embed", cfg.Words, cfg.Embed, cfg.Words, cfg.Embed)
	d.lstm = [3]*Param{ps.Glorot("qdec.lstm.wx", cfg.Embed, 4*h, cfg.Embed, 4*h),
		ps.Glorot("qdec.lstm.wh", h, 4*h, h, 4*h), ps.Zeros("qdec.lstm.b", 4*h)}
	// A forget-gate bias of 1 keeps early gradients flowing (Jozefowicz et
	// al. 2015), as in the captioner.
	for i := h; i < 2*h; i++ {
		d.lstm[2].Data()[i] = 1
	}
	d.out = [2]*Param{ps.Glorot("qdec.out.w", h, cfg.Words, h, cfg.Words), ps.Zeros("qdec.out.b", cfg.Words)}
	return d, nil
}

// Params returns the parameters in creation order. A checkpoint of them
// (NewCheckpoint, Restore) is a checkpoint of the decoder.
func (d *QuestionDecoder) Params() []*Param { return d.ps.Params }

func (d *QuestionDecoder) nodeMap(nodes []*G.Node) map[*Param]*G.Node {
	m := map[*Param]*G.Node{}
	for i, p := range d.Params() {
		m[p] = nodes[i]
	}
	return m
}

// initState returns h₀ and c₀ of the vectors q (n×Input).
func (d *QuestionDecoder) initState(q *G.Node, node map[*Param]*G.Node) (h, c *G.Node, err error) {
	if h, err = dense(q, node[d.initH[0]], node[d.initH[1]]); err != nil {
		return nil, nil, err
	}
	if c, err = dense(q, node[d.initC[0]], node[d.initC[1]]); err != nil {
		return nil, nil, err
	}
	if h, err = G.Tanh(h); err != nil {
		return nil, nil, err
	}
	c, err = G.Tanh(c)
	return h, c, err
}

// logits builds the teacher-forced decoder on q (n×Input) and the
// step-major input ids (Steps·n) and returns the logits of every step,
// step-major ((Steps·n)×Words). It works in q's dtype.
func (d *QuestionDecoder) logits(q, ids *G.Node, n int, node map[*Param]*G.Node) (*G.Node, error) {
	cfg := d.Config
	h0, c0, err := d.initState(q, node)
	if err != nil {
		return nil, err
	}
	var in [diCount]*G.Node
	in[diH0], in[diC0], in[diIDs], in[diEmbed] = h0, c0, ids, node[d.embed]
	in[diWx], in[diWh], in[diB] = node[d.lstm[0]], node[d.lstm[1]], node[d.lstm[2]]
	in[diOutW], in[diOutB] = node[d.out[0]], node[d.out[1]]
	dg := decGeom{T: cfg.steps(), N: n, V: cfg.Words, E: cfg.Embed, H: cfg.Hidden}
	packed, err := decoder(dg, in)
	if err != nil {
		return nil, err
	}
	return G.Reshape(packed, tensor.Shape{cfg.steps() * n, cfg.Words})
}

// Graph builds (and caches) the teacher-forced graph for batches of n.
// Inputs: the vectors (n×Input); the input ids, step-major (Steps·n ids,
// Steps = Length+1: step t's id for every example, then step t+1's; step
// 0's is padding, the start); and, when training, the one-hot next ids
// ((Steps·n)×Words). Output: the logits of every step, step-major
// ((Steps·n)×Words). The loss is the mean cross-entropy over all Steps·n
// rows: the words, the end, and padding after the end, which the decoder
// learns to follow with padding. (The rows after the end are trained, not
// masked with all-zero targets, because softmaxXent's gradient assumes
// every target row sums to 1: an all-zero row has no loss but gets the
// gradient softmax/N.)
func (d *QuestionDecoder) Graph(n int, train bool) (*Graph, error) {
	key := [2]int{n, 0}
	if train {
		key[1] = 1
	}
	if gr, ok := d.graphs[key]; ok {
		return gr, nil
	}
	cfg := d.Config
	g := G.NewGraph()
	q := G.NewMatrix(g, tensor.Float32, G.WithShape(n, cfg.Input), G.WithName("q"))
	ids := G.NewVector(g, tensor.Float32, G.WithShape(cfg.steps()*n), G.WithName("ids"))
	gr := &Graph{G: g, Inputs: []*G.Node{q, ids}, Named: map[string]*G.Node{}}
	gr.Nodes = bind(g, d.Params())
	all, err := d.logits(q, ids, n, d.nodeMap(gr.Nodes))
	if err != nil {
		return nil, err
	}
	gr.Outputs = []*G.Node{all}
	if train {
		y := G.NewMatrix(g, tensor.Float32, G.WithShape(cfg.steps()*n, cfg.Words), G.WithName("y"))
		gr.Inputs = append(gr.Inputs, y)
		if gr.Loss, err = softmaxXent(all, y); err != nil {
			return nil, err
		}
	}
	d.graphs[key] = gr
	return gr, nil
}

// Close releases the cached graphs.
func (d *QuestionDecoder) Close() {
	for k, gr := range d.graphs {
		gr.Close()
		delete(d.graphs, k)
	}
}

// Check returns an error saying what is wrong if q (NQ×Input vectors) and
// tokens (NQ×Length ids, padded with 0 at the end, as VQA.Tokens) do not
// fit the decoder: lengths, an id out of range, a word after padding or a
// question of only padding.
func (d *QuestionDecoder) Check(q []float32, tokens []int) error {
	cfg := d.Config
	if len(q)%cfg.Input != 0 {
		return fmt.Errorf("models: %d vector values are not a whole number of vectors of %d", len(q), cfg.Input)
	}
	nq := len(q) / cfg.Input
	if len(tokens) != nq*cfg.Length {
		return fmt.Errorf("models: %d vectors want %d questions of %d token ids (%d ids), got %d ids", nq, nq, cfg.Length, nq*cfg.Length, len(tokens))
	}
	for i := range nq {
		padded := false
		for t, id := range tokens[i*cfg.Length:][:cfg.Length] {
			switch {
			case id < 0 || id >= cfg.Words:
				return fmt.Errorf("models: question %d, token %d is id %d; want 0 (padding) to %d", i, t, id, cfg.Words-1)
			case id == 0:
				padded = true
			case padded:
				return fmt.Errorf("models: question %d, token %d is word %d after padding; pad with 0 only at the end", i, t, id)
			}
		}
		if tokens[i*cfg.Length] == 0 {
			return fmt.Errorf("models: question %d is all padding; want at least one word", i)
		}
	}
	return nil
}

// Feeder returns a teacher-forcing feeder of the vectors q (NQ×Input) and
// their questions' tokens (NQ×Length, as Check wants them) into the
// decoder's graphs. It panics if they do not pass Check (a programmer
// error: call Check first).
func (d *QuestionDecoder) Feeder(q []float32, tokens []int) Feeder {
	if err := d.Check(q, tokens); err != nil {
		panic(err)
	}
	cfg := d.Config
	L, V, in := cfg.Length, cfg.Words, cfg.Input
	return func(inputs []*tensor.Dense, idx []int) {
		qs := inputs[0].Data().([]float32)
		ids := inputs[1].Data().([]float32)
		n := len(idx)
		for j, i := range idx {
			copy(qs[j*in:(j+1)*in], q[i*in:(i+1)*in])
			row := tokens[i*L : (i+1)*L]
			ids[j] = 0 // the start
			for t := 1; t < cfg.steps(); t++ {
				ids[t*n+j] = float32(row[t-1])
			}
		}
		if len(inputs) > 2 {
			y := inputs[2].Data().([]float32)
			clear(y)
			for j, i := range idx {
				row := tokens[i*L : (i+1)*L]
				for t := range cfg.steps() {
					next := 0 // the end, and padding after it
					if t < L {
						next = row[t]
					}
					y[(t*n+j)*V+next] = 1
				}
			}
		}
	}
}

// decodeBatch is the most vectors Decode runs at once.
const decodeBatch = 256

// stepGraph is one decoder step for batches of n: inputs h, c (n×Hidden)
// and ids (n); outputs h', c' and the logits (n×Words).
func (d *QuestionDecoder) stepGraph(n int) (*Graph, error) {
	key := [2]int{n, 2}
	if gr, ok := d.graphs[key]; ok {
		return gr, nil
	}
	cfg := d.Config
	g := G.NewGraph()
	h := G.NewMatrix(g, tensor.Float32, G.WithShape(n, cfg.Hidden), G.WithName("h"))
	c := G.NewMatrix(g, tensor.Float32, G.WithShape(n, cfg.Hidden), G.WithName("c"))
	ids := G.NewVector(g, tensor.Float32, G.WithShape(n), G.WithName("ids"))
	gr := &Graph{G: g, Inputs: []*G.Node{h, c, ids}, Named: map[string]*G.Node{}}
	gr.Nodes = bind(g, d.Params())
	node := d.nodeMap(gr.Nodes)
	x, err := embed(node[d.embed], ids)
	if err != nil {
		return nil, err
	}
	w := LSTMWeights{Wx: []*G.Node{node[d.lstm[0]]}, Wh: node[d.lstm[1]], B: node[d.lstm[2]]}
	hN, cN, err := lstmCell([]*G.Node{x}, h, c, w)
	if err != nil {
		return nil, err
	}
	logits, err := dense(hN, node[d.out[0]], node[d.out[1]])
	if err != nil {
		return nil, err
	}
	gr.Outputs = []*G.Node{hN, cN, logits}
	d.graphs[key] = gr
	return gr, nil
}

// initGraph is the initial state for batches of n: input q (n×Input);
// outputs h₀, c₀.
func (d *QuestionDecoder) initGraph(n int) (*Graph, error) {
	key := [2]int{n, 3}
	if gr, ok := d.graphs[key]; ok {
		return gr, nil
	}
	g := G.NewGraph()
	q := G.NewMatrix(g, tensor.Float32, G.WithShape(n, d.Config.Input), G.WithName("q"))
	gr := &Graph{G: g, Inputs: []*G.Node{q}, Named: map[string]*G.Node{}}
	gr.Nodes = bind(g, d.Params())
	h, c, err := d.initState(q, d.nodeMap(gr.Nodes))
	if err != nil {
		return nil, err
	}
	gr.Outputs = []*G.Node{h, c}
	d.graphs[key] = gr
	return gr, nil
}

// Decode decodes the n vectors q (n×Input, vector-major) greedily: from
// each vector's initial state, every step feeds the previous step's most
// likely id (ties to the lower id) until the end (id 0) or Length words.
// Each result is a question's word ids without the end, at most Length of
// them (empty if the end comes first). It is a pure function of the
// weights, q and n.
func (d *QuestionDecoder) Decode(q []float32, n int) ([][]int, error) {
	cfg := d.Config
	if n < 0 || len(q) != n*cfg.Input {
		return nil, fmt.Errorf("models: decode %d vectors of %d from %d values; want %d", n, cfg.Input, len(q), max(n, 0)*cfg.Input)
	}
	out := make([][]int, n)
	if n == 0 {
		return out, nil
	}
	batch := min(n, decodeBatch)
	ig, err := d.initGraph(batch)
	if err != nil {
		return nil, err
	}
	sg, err := d.stepGraph(batch)
	if err != nil {
		return nil, err
	}
	qIn := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(batch, cfg.Input))
	ins := []*tensor.Dense{
		tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(batch, cfg.Hidden)),
		tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(batch, cfg.Hidden)),
		tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(batch)),
	}
	done := make([]bool, batch)
	for lo := 0; lo < n; lo += batch {
		// The last batch repeats its last vector: rows decode independently.
		for j := range batch {
			i := min(lo+j, n-1)
			copy(qIn.Data().([]float32)[j*cfg.Input:], q[i*cfg.Input:(i+1)*cfg.Input])
		}
		if err := ig.Run(qIn); err != nil {
			return nil, err
		}
		copy(ins[0].Data().([]float32), ig.Outputs[0].Value().Data().([]float32))
		copy(ins[1].Data().([]float32), ig.Outputs[1].Value().Data().([]float32))
		ids := ins[2].Data().([]float32)
		clear(ids) // the start
		clear(done)
		for range cfg.Length {
			if err := sg.Run(ins...); err != nil {
				return nil, err
			}
			logits := sg.Outputs[2].Value().Data().([]float32)
			open := false
			for j := range batch {
				best := argmax(logits[j*cfg.Words : (j+1)*cfg.Words])
				ids[j] = float32(best)
				if done[j] {
					continue
				}
				if best == 0 {
					done[j] = true
					continue
				}
				if lo+j < n {
					out[lo+j] = append(out[lo+j], best)
				}
				open = true
			}
			if !open {
				break
			}
			copy(ins[0].Data().([]float32), sg.Outputs[0].Value().Data().([]float32))
			copy(ins[1].Data().([]float32), sg.Outputs[1].Value().Data().([]float32))
		}
	}
	for i, o := range out {
		if o == nil {
			out[i] = []int{}
		}
	}
	return out, nil
}
