package models

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ReasonerArch is a visual-question-answering architecture. It marshals as
// its name ("rn", "cnn-mlp", "state-rn", "state-mlp", "question-only"); the
// zero value is no architecture, which NewReasoner refuses.
type ReasonerArch int

// The reasoner architectures (Santoro et al. 2017, "A simple neural network
// module for relational reasoning").
const (
	// RN is the Relation Network on pixels: a convolutional stem to a 5×5
	// grid of 25 objects, g over every ordered pair of objects with the
	// question, summed, then f.
	RN ReasonerArch = iota + 1
	// CNNMLP is the paper's baseline on the same stem: the grid flattened
	// with the question, a dense layer, then f. With Text it is the CLEVR
	// paper's CNN+LSTM baseline.
	CNNMLP
	// StateRN is the Relation Network on state descriptions: g over the
	// pairs of the scene's ground-truth objects (no pixels).
	StateRN
	// StateMLP is CNNMLP's twin on state descriptions: the objects
	// flattened with the question, a dense layer, then f.
	StateMLP
	// QuestionOnly is f over the question alone, with no image and no
	// state: it measures how much the questions alone give away.
	QuestionOnly
)

// ReasonerArchs lists every architecture, in order.
var ReasonerArchs = []ReasonerArch{RN, CNNMLP, StateRN, StateMLP, QuestionOnly}

var reasonerArchNames = [...]string{RN: "rn", CNNMLP: "cnn-mlp", StateRN: "state-rn", StateMLP: "state-mlp", QuestionOnly: "question-only"}

// String returns the architecture's name.
func (a ReasonerArch) String() string {
	if a < RN || int(a) >= len(reasonerArchNames) {
		return fmt.Sprintf("ReasonerArch(%d)", int(a))
	}
	return reasonerArchNames[a]
}

// ParseReasonerArch returns the architecture named name, or an error
// naming the known ones.
func ParseReasonerArch(name string) (ReasonerArch, error) {
	for _, a := range ReasonerArchs {
		if a.String() == name {
			return a, nil
		}
	}
	names := make([]string, len(ReasonerArchs))
	for i, a := range ReasonerArchs {
		names[i] = a.String()
	}
	return 0, fmt.Errorf("models: unknown reasoner architecture %q; known: %s", name, strings.Join(names, ", "))
}

// MarshalText returns the architecture's name; the zero value and other
// numbers are an error.
func (a ReasonerArch) MarshalText() ([]byte, error) {
	if a < RN || int(a) >= len(reasonerArchNames) {
		return nil, fmt.Errorf("models: no reasoner architecture %d", int(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText reads an architecture's name.
func (a *ReasonerArch) UnmarshalText(b []byte) error {
	v, err := ParseReasonerArch(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// pixels reports whether the architecture reads images.
func (a ReasonerArch) pixels() bool { return a == RN || a == CNNMLP }

// states reports whether the architecture reads state descriptions.
func (a ReasonerArch) states() bool { return a == StateRN || a == StateMLP }

// relational reports whether the architecture has a g over object pairs.
func (a ReasonerArch) relational() bool { return a == RN || a == StateRN }

// scene reports whether the architecture reads a scene (pixels or state).
func (a ReasonerArch) scene() bool { return a.pixels() || a.states() }

// ReasonerConfig describes one reasoner.
type ReasonerConfig struct {
	// Arch is the architecture; the zero value is refused.
	Arch ReasonerArch `json:"arch"`
	// Input is the pixel models' channels, height and width (3, 75, 75).
	Input [3]int `json:"input,omitempty"`
	// Objects is the state models' number of objects per scene (6). A
	// scene with fewer objects is padded with all-zero rows, and g's sum
	// then includes the pairs with absent objects (a caller that needs
	// them told apart gives each row a "present" feature).
	Objects int `json:"objects,omitempty"`
	// ObjectSize is the state models' number of features per object.
	ObjectSize int `json:"object_size,omitempty"`
	// Question is the length of the question vector (18); with Text it is
	// Text.Hidden, and 0 is taken to mean that.
	Question int `json:"question"`
	// Answers is the number of answer classes (10).
	Answers int `json:"answers"`
	// Seed draws the initial weights and the dropout masks.
	Seed uint64 `json:"seed"`
	// Text, when set, makes questions word ids read by an LSTM (see
	// TextConfig and question.go); nil means Question-long float vectors.
	Text *TextConfig `json:"text,omitempty"`
	// Width is the width of g's and f's dense layers (and of the MLP
	// baselines' layer); 0 means 256, the reference's.
	Width int `json:"width,omitempty"`
	// MaskAbsent, for state-rn, leaves the pairs of absent objects (the
	// all-zero rows a scene with fewer than Objects objects is padded
	// with) out of g's sum; false sums over all Objects² pairs, as the
	// reference does.
	MaskAbsent bool `json:"mask_absent,omitempty"`
	// Dropout is the dropout rate after f's second layer: 0 means the
	// reference's 0.5, a negative value none, and otherwise it must be
	// below 1.
	Dropout float64 `json:"dropout,omitempty"`
	// Aux, with Text, adds an auxiliary head: a dense layer from q to Aux
	// logits, trained with a softmax cross-entropy against VQA.Aux (each
	// question's target distribution, such as its program's arguments)
	// weighted by AuxWeight and added to the answer's loss. It tells the
	// model more than the answers do; 0 means no head.
	Aux int `json:"aux,omitempty"`
	// AuxWeight weighs the auxiliary loss; 0 means 1.
	AuxWeight float64 `json:"aux_weight,omitempty"`
	// QScale, with Text, multiplies q by this factor where g (or the MLP
	// baselines' layer, or f) reads it; 0 means 1. A text question's q is
	// dense (the LSTM's 128 states in [−1, 1]) where the objects are
	// mostly one-hot, so each Adam step moves C·q (the question's part of
	// g's first layer) by up to lr·Σ|q_k|, tens of times what it moves an
	// object's part; a scale near 1/√Hidden brings the two to one size.
	QScale float64 `json:"q_scale,omitempty"`
	// Gate, for state-rn with text questions, scales each object feature
	// by 1 + s with s = G·q before g reads the objects (gate.go): FiLM's
	// multiplicative conditioning on the state description. G starts at
	// zero. False is the reference, which feeds q to g's first layer only.
	Gate bool `json:"gate,omitempty"`
}

// The reference architecture's sizes (torch_reference.py, after Santoro
// et al.): a stem of four stride-2 3×3 convolutions of 24 channels, every
// dense layer of g and f 256 wide, dropout 0.5 after f's second layer, and
// batch norm as PyTorch's (momentum 0.1, ε 1e-5).
const (
	stemLayers   = 4
	stemChannels = 24
	reasonWidth  = 256
	dropoutP     = 0.5
	bnMomentum   = 0.1
	bnEps        = 1e-5
)

// ReferenceReasoner returns the reference sizes for arch: pixels 3×75×75
// (rn, cnn-mlp) or 6 objects of 10 features (state-rn, state-mlp; a caller
// may change ObjectSize to fit its state encoding) or neither
// (question-only), an 18-element question and 10 answers.
func ReferenceReasoner(arch ReasonerArch, seed uint64) ReasonerConfig {
	cfg := ReasonerConfig{Arch: arch, Question: 18, Answers: 10, Seed: seed}
	switch {
	case arch.states():
		cfg.Objects, cfg.ObjectSize = 6, 10
	case arch.pixels():
		cfg.Input = [3]int{3, 75, 75}
	}
	return cfg
}

// stemOut returns the side of the stem's output for an input side:
// ⌈side/2⌉ per stride-2 layer (kernel 3, padding 1).
func stemOut(side int) int {
	for range stemLayers {
		side = (side+2-3)/2 + 1
	}
	return side
}

// Reasoner is a visual-question-answering net of one of the
// architectures. Its graphs are cached per batch size; a Reasoner is not
// safe for concurrent use.
type Reasoner struct {
	// Config is the configuration the reasoner was made from; changing it
	// afterwards changes nothing.
	Config ReasonerConfig
	ps     *ParamSet
	// stem: per layer conv w, conv b, bn γ, bn β, running mean, running var.
	stem [][6]*Param
	// text: the question encoder's embeddings and LSTM (with Text).
	text textParams
	// g (relational): four dense layers, the first over [o_i, o_j, q].
	g [4][2]*Param
	// fc (cnn-mlp, state-mlp): the dense layer over the flattened grid or
	// state and the question.
	fcX, fcQ, fcB *Param
	// f: three dense layers, dropout after the second.
	f [3][2]*Param
	// aux: the auxiliary head from q (with Config.Aux).
	aux [2]*Param
	// gate: G, Question×ObjectSize (with Config.Gate).
	gate *Param
	// frozen marks the parameters Adam leaves alone (running statistics).
	frozen map[*Param]bool
	graphs map[[2]int]*reasonerGraph
}

// reasonerGraph is a cached graph and its relation op, whose last forward
// pass PairStrengths reads.
type reasonerGraph struct {
	*Graph
	rel *relationOp
}

// NewReasoner validates cfg and draws the initial weights from cfg.Seed
// as PyTorch initialises the reference (torch_reference.py and the public
// implementation keep its defaults): every convolution's and dense
// layer's weights and biases uniform in ±1/√fanIn, batch norm γ 1 and
// β 0, running mean 0 and variance 1. (He initialisation, which the
// classifiers use, sums 625 pairs of unit-scale g outputs into a first
// loss of about 650 at the reference sizes; this starts near ln 10.) With
// Text, it sets Config.Question to Text.Hidden and draws the encoder's
// weights as question.go says.
func NewReasoner(cfg ReasonerConfig) (*Reasoner, error) {
	if cfg.Text != nil {
		tc := *cfg.Text // a copy: the caller's may change afterwards
		if err := tc.check(); err != nil {
			return nil, err
		}
		if cfg.Question != 0 && cfg.Question != tc.Hidden {
			return nil, fmt.Errorf("models: with text questions the question vector is the LSTM's state: question %d must be 0 or hidden %d", cfg.Question, tc.Hidden)
		}
		cfg.Text, cfg.Question = &tc, tc.Hidden
	}
	if cfg.Question <= 0 || cfg.Answers < 2 {
		return nil, fmt.Errorf("models: reasoner needs a question length ≥ 1 and ≥ 2 answers, got %d and %d", cfg.Question, cfg.Answers)
	}
	if cfg.MaskAbsent && cfg.Arch != StateRN {
		return nil, fmt.Errorf("models: mask_absent leaves out padded objects' pairs in state-rn's g; %v has none", cfg.Arch)
	}
	if cfg.Dropout >= 1 || math.IsNaN(cfg.Dropout) {
		return nil, fmt.Errorf("models: dropout rate %v: want below 1 (0 for the reference's %v, negative for none)", cfg.Dropout, dropoutP)
	}
	if cfg.Aux < 0 || cfg.Aux > 0 && cfg.Text == nil || cfg.AuxWeight < 0 || math.IsNaN(cfg.AuxWeight) {
		return nil, fmt.Errorf("models: auxiliary head of %d targets weighing %v: want 0 targets, or some with text questions and a weight ≥ 0", cfg.Aux, cfg.AuxWeight)
	}
	if cfg.QScale < 0 || cfg.QScale > 0 && cfg.Text == nil || math.IsNaN(cfg.QScale) {
		return nil, fmt.Errorf("models: q scale %v: want 0 (none), or above 0 with text questions", cfg.QScale)
	}
	if cfg.Gate && (cfg.Arch != StateRN || cfg.Text == nil) {
		return nil, fmt.Errorf("models: the question gate scales state-rn's objects by a text question's q; %v%s has no such objects or q", cfg.Arch, map[bool]string{true: " without text questions"}[cfg.Text == nil])
	}
	if cfg.Width < 0 {
		return nil, fmt.Errorf("models: reasoner width %d: want ≥ 1, or 0 for %d", cfg.Width, reasonWidth)
	}
	switch {
	case cfg.Arch.pixels():
		if cfg.Input[0] <= 0 || cfg.Input[1] <= 0 || cfg.Input[2] <= 0 {
			return nil, fmt.Errorf("models: %v needs an input shape (channels, height, width), got %v", cfg.Arch, cfg.Input)
		}
		if cfg.Objects != 0 || cfg.ObjectSize != 0 {
			return nil, fmt.Errorf("models: %v reads pixels; objects %d and object size %d must be 0", cfg.Arch, cfg.Objects, cfg.ObjectSize)
		}
	case cfg.Arch.states():
		if cfg.Objects <= 0 || cfg.ObjectSize <= 0 {
			return nil, fmt.Errorf("models: %v needs objects ≥ 1 and an object size ≥ 1, got %d and %d", cfg.Arch, cfg.Objects, cfg.ObjectSize)
		}
		if cfg.Input != [3]int{} {
			return nil, fmt.Errorf("models: %v reads no pixels; input %v must be empty", cfg.Arch, cfg.Input)
		}
	case cfg.Arch == QuestionOnly:
		if cfg.Input != [3]int{} || cfg.Objects != 0 || cfg.ObjectSize != 0 {
			return nil, fmt.Errorf("models: question-only reads no scene; input %v, objects %d and object size %d must be empty", cfg.Input, cfg.Objects, cfg.ObjectSize)
		}
	default:
		_, err := cfg.Arch.MarshalText()
		return nil, fmt.Errorf("%w; want one of %v", err, ReasonerArchs)
	}
	r := &Reasoner{Config: cfg, ps: NewParamSet(cfg.Seed), frozen: map[*Param]bool{}, graphs: map[[2]int]*reasonerGraph{}}
	ps := r.ps
	w := r.width()
	if cfg.Arch.pixels() {
		in := cfg.Input[0]
		for l := range stemLayers {
			name := fmt.Sprintf("stem%d.", l+1)
			bound := 1 / math.Sqrt(float64(in*9))
			layer := [6]*Param{
				ps.Uniform(name+"conv.w", bound, stemChannels, in*9),
				ps.Uniform(name+"conv.b", bound, stemChannels),
				ps.add(name+"bn.gamma", []int{stemChannels}, func() float32 { return 1 }),
				ps.Zeros(name+"bn.beta", stemChannels),
				ps.Zeros(name+"bn.mean", stemChannels),
				ps.add(name+"bn.var", []int{stemChannels}, func() float32 { return 1 }),
			}
			r.frozen[layer[4]], r.frozen[layer[5]] = true, true
			r.stem = append(r.stem, layer)
			in = stemChannels
		}
	}
	if cfg.Text != nil {
		r.text = newTextParams(ps, cfg.Text)
	}
	fIn := w
	switch {
	case cfg.Arch.relational():
		d := r.objectSize()
		in := 2*d + cfg.Question
		for l := range r.g {
			name := fmt.Sprintf("g%d.", l+1)
			r.g[l] = linear(ps, name, in, w)
			in = w
		}
	case cfg.Arch == QuestionOnly:
		fIn = cfg.Question
	default:
		flat := r.objects() * r.objectSize()
		if cfg.Arch == CNNMLP {
			flat = r.objects() * stemChannels // the grid, without coordinates
		}
		in := flat + cfg.Question
		// One layer over [grid, q], its weight in two blocks (fanIn is
		// the whole input's).
		bound := 1 / math.Sqrt(float64(in))
		r.fcX = ps.Uniform("fc.wx", bound, flat, w)
		r.fcQ = ps.Uniform("fc.wq", bound, cfg.Question, w)
		r.fcB = ps.Uniform("fc.b", bound, w)
	}
	r.f[0] = linear(ps, "f1.", fIn, w)
	r.f[1] = linear(ps, "f2.", w, w)
	r.f[2] = linear(ps, "f3.", w, cfg.Answers)
	if cfg.Aux > 0 {
		r.aux = linear(ps, "q.aux.", cfg.Question, cfg.Aux)
	}
	if cfg.Gate {
		// Last, and drawing nothing: every other weight is the ungated
		// net's.
		r.gate = ps.Zeros("gate.w", cfg.Question, r.objectSize())
	}
	return r, nil
}

// linear adds a dense layer's weight (in×out) and bias, initialised as
// PyTorch's nn.Linear: uniform in ±1/√in.
func linear(ps *ParamSet, name string, in, out int) [2]*Param {
	bound := 1 / math.Sqrt(float64(in))
	return [2]*Param{ps.Uniform(name+"w", bound, in, out), ps.Uniform(name+"b", bound, out)}
}

// dropout is the dropout rate: the config's, 0.5 for its zero value.
func (r *Reasoner) dropout() float64 {
	if r.Config.Dropout == 0 {
		return dropoutP
	}
	return r.Config.Dropout
}

// width is g's and f's width.
func (r *Reasoner) width() int {
	if r.Config.Width == 0 {
		return reasonWidth
	}
	return r.Config.Width
}

// objects is the number of objects g pairs: the stem's grid cells, or the
// state's objects.
func (r *Reasoner) objects() int {
	if r.Config.Arch.states() {
		return r.Config.Objects
	}
	return stemOut(r.Config.Input[1]) * stemOut(r.Config.Input[2])
}

// objectSize is the length of one object's vector: a grid cell's channels
// and its (x, y), or the state's features.
func (r *Reasoner) objectSize() int {
	if r.Config.Arch.states() {
		return r.Config.ObjectSize
	}
	return stemChannels + 2
}

// dataInputs is the number of graph inputs that carry data: the scene
// (unless question-only) and the questions.
func (r *Reasoner) dataInputs() int {
	if r.Config.Arch.scene() {
		return 2
	}
	return 1
}

// Params returns every tensor a checkpoint must keep, in a fixed order:
// the weights and batch norm's running statistics (which training updates
// in the forward pass, and Adam leaves alone).
func (r *Reasoner) Params() []*Param { return r.ps.Params }

// Graph builds (and caches) the graph for batches of n. Inputs: the images
// (n×C×H×W) or state descriptions (n×Objects×ObjectSize), none for
// question-only; the questions, n×Question, or with Text their ids,
// step-major (Length·n: step t's ids for every question, then step t+1's;
// padding, id 0, tells the LSTM to keep its state); and, when training,
// the one-hot answers (n×Answers) and the dropout mask (n×Width, each
// element 0 or 2: dropout 0.5 with PyTorch's scaling). Outputs: the answer
// logits (n×Answers) and, with Text, the question vectors (n×Hidden). A
// training graph normalises with the batch's statistics and updates the
// running ones each run; an inference graph uses the running statistics
// and no dropout. Parameters that training does not differentiate (the
// running statistics) have a nil entry in Nodes.
func (r *Reasoner) Graph(n int, train bool) (*Graph, error) {
	gr, err := r.graph(n, train)
	if err != nil {
		return nil, err
	}
	return gr.Graph, nil
}

func (r *Reasoner) graph(n int, train bool) (*reasonerGraph, error) {
	if n <= 0 {
		return nil, fmt.Errorf("models: reasoner graph for batches of %d: want ≥ 1", n)
	}
	key := [2]int{n, 0}
	if train {
		key[1] = 1
	}
	if gr, ok := r.graphs[key]; ok {
		return gr, nil
	}
	g := G.NewGraph()
	nodes := make([]*G.Node, len(r.Params()))
	for i, p := range r.Params() {
		if !r.frozen[p] {
			nodes[i] = G.NodeFromAny(g, p.Value, G.WithName(p.Name))
		}
	}
	gr, err := r.assemble(g, n, train, tensor.Float32, nodes)
	if err != nil {
		return nil, err
	}
	r.graphs[key] = gr
	return gr, nil
}

// assemble builds the reasoner on g for batches of n with inputs of dtype
// dt, from the parameters' nodes (one per Params entry, nil for those not
// differentiated). The graphs are float32; gradient checks assemble a
// float64 one from float64 copies of the parameters.
func (r *Reasoner) assemble(g *G.ExprGraph, n int, train bool, dt tensor.Dtype, nodes []*G.Node) (*reasonerGraph, error) {
	cfg := r.Config
	gr := &reasonerGraph{Graph: &Graph{G: g, Named: map[string]*G.Node{}, Nodes: nodes}}
	node := map[*Param]*G.Node{}
	for i, p := range r.Params() {
		if nodes[i] != nil {
			node[p] = nodes[i]
		}
	}
	var x *G.Node
	switch {
	case cfg.Arch.pixels():
		x = G.NewTensor(g, dt, 4, G.WithShape(n, cfg.Input[0], cfg.Input[1], cfg.Input[2]), G.WithName("x"))
	case cfg.Arch.states():
		x = G.NewTensor(g, dt, 3, G.WithShape(n, cfg.Objects, cfg.ObjectSize), G.WithName("x"))
	}
	if x != nil {
		gr.Inputs = append(gr.Inputs, x)
	}
	var q *G.Node
	var err error
	if cfg.Text != nil {
		ids := G.NewVector(g, dt, G.WithShape(cfg.Text.Length*n), G.WithName("tokens"))
		gr.Inputs = append(gr.Inputs, ids)
		if q, err = r.encodeQuestions(ids, node); err != nil {
			return nil, err
		}
	} else {
		q = G.NewMatrix(g, dt, G.WithShape(n, cfg.Question), G.WithName("q"))
		gr.Inputs = append(gr.Inputs, q)
	}
	gr.Named["question"] = q
	qIn := q // what g, the MLP's layer or f reads
	if s := cfg.QScale; s != 0 && s != 1 {
		var c *G.Node
		if dt == tensor.Float64 {
			c = G.NewConstant(s)
		} else {
			c = G.NewConstant(float32(s))
		}
		if qIn, err = G.Mul(q, c); err != nil {
			return nil, err
		}
	}
	h := x
	for l, layer := range r.stem {
		if h, err = conv2d(h, node[layer[0]], node[layer[1]], 3, 1, 2, l > 0); err != nil {
			return nil, err
		}
		if h, err = bnRelu(h, node[layer[2]], node[layer[3]], layer[4], layer[5], train); err != nil {
			return nil, err
		}
		gr.Named[fmt.Sprintf("stem%d", l+1)] = h
	}
	switch cfg.Arch {
	case RN, StateRN:
		obj := h
		if cfg.Arch == RN {
			if obj, err = gridObjects(h); err != nil {
				return nil, err
			}
		}
		if r.gate != nil {
			s, err := G.Mul(qIn, node[r.gate])
			if err != nil {
				return nil, err
			}
			if obj, err = gateObjects(obj, s); err != nil {
				return nil, err
			}
		}
		gr.Named["objects"] = obj
		var ws [8]*G.Node
		for l, p := range r.g {
			ws[2*l], ws[2*l+1] = node[p[0]], node[p[1]]
		}
		if h, gr.rel, err = relation(obj, qIn, ws, cfg.Arch == RN || r.gate != nil, cfg.Text != nil, train, cfg.MaskAbsent); err != nil {
			return nil, err
		}
	case CNNMLP, StateMLP:
		flat, err := G.Reshape(h, tensor.Shape{n, h.Shape().TotalSize() / n})
		if err != nil {
			return nil, err
		}
		a, err := G.Mul(flat, node[r.fcX])
		if err != nil {
			return nil, err
		}
		b, err := G.Mul(qIn, node[r.fcQ])
		if err != nil {
			return nil, err
		}
		if h, err = G.Add(a, b); err != nil {
			return nil, err
		}
		if h, err = G.BroadcastAdd(h, node[r.fcB], nil, []byte{0}); err != nil {
			return nil, err
		}
		if h, err = G.Rectify(h); err != nil {
			return nil, err
		}
	case QuestionOnly:
		h = qIn
	}
	gr.Named["g"] = h
	for l := range 2 {
		if h, err = dense(h, node[r.f[l][0]], node[r.f[l][1]]); err != nil {
			return nil, err
		}
		if h, err = G.Rectify(h); err != nil {
			return nil, err
		}
	}
	var mask *G.Node
	if train {
		mask = G.NewMatrix(g, dt, G.WithShape(n, r.width()), G.WithName("dropout"))
		if h, err = G.HadamardProd(h, mask); err != nil {
			return nil, err
		}
	}
	logits, err := dense(h, node[r.f[2][0]], node[r.f[2][1]])
	if err != nil {
		return nil, err
	}
	gr.Outputs = []*G.Node{logits}
	if cfg.Text != nil {
		gr.Outputs = append(gr.Outputs, q)
	}
	if train {
		y := G.NewMatrix(g, dt, G.WithShape(n, cfg.Answers), G.WithName("y"))
		gr.Inputs = append(gr.Inputs, y, mask)
		if gr.Loss, err = softmaxXent(logits, y); err != nil {
			return nil, err
		}
		if cfg.Aux > 0 {
			if gr.Loss, err = r.auxLoss(gr, q, node, dt); err != nil {
				return nil, err
			}
		}
	}
	return gr, nil
}

// auxLoss adds the auxiliary head on q to a training graph: its target
// input (n×Aux) and the answer's loss plus AuxWeight times the head's.
func (r *Reasoner) auxLoss(gr *reasonerGraph, q *G.Node, node map[*Param]*G.Node, dt tensor.Dtype) (*G.Node, error) {
	g, n := q.Graph(), q.Shape()[0]
	t := G.NewMatrix(g, dt, G.WithShape(n, r.Config.Aux), G.WithName("aux"))
	gr.Inputs = append(gr.Inputs, t)
	logits, err := dense(q, node[r.aux[0]], node[r.aux[1]])
	if err != nil {
		return nil, err
	}
	loss, err := softmaxXent(logits, t)
	if err != nil {
		return nil, err
	}
	w := r.Config.AuxWeight
	if w == 0 {
		w = 1
	}
	var scale *G.Node
	if dt == tensor.Float64 {
		scale = G.NewConstant(w)
	} else {
		scale = G.NewConstant(float32(w))
	}
	if loss, err = G.Mul(loss, scale); err != nil {
		return nil, err
	}
	return G.Add(gr.Loss, loss)
}

// Close releases the cached graphs.
func (r *Reasoner) Close() {
	for k, gr := range r.graphs {
		gr.Close()
		delete(r.graphs, k)
	}
}

// VQA is a reasoner's data: images (or state descriptions) and questions
// about them. Several questions may share an image.
type VQA struct {
	// Images holds the pixel models' NImages images, each C×H×W, channels
	// first, values in [0, 1].
	Images []float32
	// Shape is C, H, W of Images.
	Shape [3]int
	// Objects holds the state models' NImages state descriptions, each
	// Objects×ObjectSize.
	Objects []float32
	// Image holds, per question, the index of its image. It also counts
	// the questions (Len), so question-only data, which have no images,
	// still give one entry per question; its values are then unused.
	Image []int
	// Questions holds NQ question vectors, each ReasonerConfig.Question
	// long; unused (and may be nil) with Text.
	Questions []float32
	// Tokens holds, with Text, NQ questions of Text.Length word ids each,
	// question-major: ids in [0, Text.Words), padded with 0 at the end, at
	// least one word per question.
	Tokens []int
	// Answers holds, per question, its answer class in [0, Answers); it may
	// be nil for prediction.
	Answers []int
	// Aux holds, for a reasoner with an auxiliary head, each question's
	// Aux-long target distribution (question-major; an all-zero row adds
	// nothing to the loss). Training needs it; prediction does not.
	Aux []float32
}

// Len returns the number of questions.
func (q *VQA) Len() int { return len(q.Image) }

// Check returns an error saying what is wrong if q does not fit the
// reasoner: sizes, image indices or answers out of range, or (with Text)
// tokens of the wrong length, ids out of range, a word after padding or a
// question of padding alone. Question-only reasoners read no images:
// Images, Shape and Objects are not checked, nor the values of Image.
func (r *Reasoner) Check(q *VQA) error {
	cfg := r.Config
	nq := q.Len()
	if cfg.Text != nil {
		if err := r.checkTokens(q); err != nil {
			return err
		}
	} else if len(q.Questions) != nq*cfg.Question {
		return fmt.Errorf("models: %d questions of %d values want %d question values, got %d", nq, cfg.Question, nq*cfg.Question, len(q.Questions))
	}
	if q.Answers != nil && len(q.Answers) != nq {
		return fmt.Errorf("models: %d questions but %d answers", nq, len(q.Answers))
	}
	for i, a := range q.Answers {
		if a < 0 || a >= cfg.Answers {
			return fmt.Errorf("models: question %d has answer %d; want 0 to %d", i, a, cfg.Answers-1)
		}
	}
	if q.Aux != nil && len(q.Aux) != nq*cfg.Aux {
		return fmt.Errorf("models: %d questions with %d auxiliary targets want %d target values, got %d", nq, cfg.Aux, nq*cfg.Aux, len(q.Aux))
	}
	if !cfg.Arch.scene() {
		return nil
	}
	var per, data int
	if cfg.Arch.pixels() {
		if q.Shape != cfg.Input {
			return fmt.Errorf("models: images of shape %v; %v wants %v", q.Shape, cfg.Arch, cfg.Input)
		}
		per, data = cfg.Input[0]*cfg.Input[1]*cfg.Input[2], len(q.Images)
	} else {
		per, data = cfg.Objects*cfg.ObjectSize, len(q.Objects)
	}
	if data%per != 0 {
		return fmt.Errorf("models: %d values are not a whole number of %v inputs of %d values", data, cfg.Arch, per)
	}
	images := data / per
	for i, im := range q.Image {
		if im < 0 || im >= images {
			return fmt.Errorf("models: question %d refers to image %d; there are %d", i, im, images)
		}
	}
	return nil
}

// dropoutSalt separates the dropout masks' random stream from the weights'.
const dropoutSalt = 0xd509_0a7c_5eed_0001

// dropoutMask fills mask with step's dropout mask: each element 0 or
// 1/(1−p) = 2, kept with probability 1/2, drawn from (seed, step) alone.
func dropoutMask(mask []float32, seed uint64, step int) {
	dropoutMaskP(mask, seed, step, dropoutP)
}

// dropoutMaskP is dropoutMask at rate p: each element 0 with probability
// p, else 1/(1−p); p ≤ 0 keeps every element (1). At p = 0.5 it draws
// dropoutMask's bits.
func dropoutMaskP(mask []float32, seed uint64, step int, p float64) {
	if p <= 0 {
		for i := range mask {
			mask[i] = 1
		}
		return
	}
	rng := rand.New(rand.NewPCG(seed^dropoutSalt, uint64(step)))
	if p != 0.5 {
		scale := float32(1 / (1 - p))
		for i := range mask {
			mask[i] = 0
			if rng.Float64() >= p {
				mask[i] = scale
			}
		}
		return
	}
	for i := 0; i < len(mask); i += 64 {
		bits := rng.Uint64()
		for j := i; j < min(i+64, len(mask)); j++ {
			mask[j] = float32(bits&1) * (1 / (1 - dropoutP))
			bits >>= 1
		}
	}
}

// Feeder feeds training graphs with the questions at the given indices:
// their images or states (none for question-only), questions (or their
// token ids, with Text), one-hot answers and a dropout mask.
// The mask of the k-th batch fed is a pure function of (Config.Seed,
// start+k): start is the number of steps already made, so that a resumed
// run draws the masks an uninterrupted one would. The feeder panics if q
// does not fit the reasoner (see Check).
func (r *Reasoner) Feeder(q *VQA, start int) Feeder {
	if err := r.Check(q); err != nil {
		panic(err)
	}
	step := start
	data := r.dataInputs()
	return func(inputs []*tensor.Dense, idx []int) {
		r.feed(q, inputs, idx)
		if len(inputs) <= data {
			return
		}
		if q.Answers == nil {
			panic(errors.New("models: training a reasoner needs answers"))
		}
		y := inputs[data].Data().([]float32)
		clear(y)
		for j, i := range idx {
			y[j*r.Config.Answers+q.Answers[i]] = 1
		}
		dropoutMaskP(inputs[data+1].Data().([]float32), r.Config.Seed, step, r.dropout())
		step++
		if k := r.Config.Aux; k > 0 {
			if q.Aux == nil {
				panic(errors.New("models: training a reasoner with an auxiliary head needs its targets (VQA.Aux)"))
			}
			t := inputs[data+2].Data().([]float32)
			for j, i := range idx {
				copy(t[j*k:][:k], q.Aux[i*k:][:k])
			}
		}
	}
}

// feed fills the data inputs: images or states (unless question-only),
// then questions or, with Text, their ids step-major.
func (r *Reasoner) feed(q *VQA, inputs []*tensor.Dense, idx []int) {
	cfg := r.Config
	if cfg.Arch.scene() {
		src, per := q.Objects, cfg.Objects*cfg.ObjectSize
		if cfg.Arch.pixels() {
			src, per = q.Images, cfg.Input[0]*cfg.Input[1]*cfg.Input[2]
		}
		xs := inputs[0].Data().([]float32)
		for j, i := range idx {
			im := q.Image[i]
			copy(xs[j*per:(j+1)*per], src[im*per:(im+1)*per])
		}
		inputs = inputs[1:]
	}
	qs := inputs[0].Data().([]float32)
	if tc := cfg.Text; tc != nil {
		n := len(idx)
		for j, i := range idx {
			for t, id := range q.Tokens[i*tc.Length:][:tc.Length] {
				qs[t*n+j] = float32(id)
			}
		}
		return
	}
	for j, i := range idx {
		copy(qs[j*cfg.Question:(j+1)*cfg.Question], q.Questions[i*cfg.Question:(i+1)*cfg.Question])
	}
}

// Predict returns each question's most likely answer, computed in
// inference mode (running statistics, no dropout) batch questions at a
// time.
func (r *Reasoner) Predict(q *VQA, batch int) ([]int, error) {
	if err := r.Check(q); err != nil {
		return nil, err
	}
	pred := make([]int, q.Len())
	feed := func(inputs []*tensor.Dense, idx []int) { r.feed(q, inputs, idx) }
	err := Predict(r, q.Len(), batch, feed, func(i int, out [][]float32) { pred[i] = argmax(out[0]) })
	return pred, err
}

// PairStrengths returns, for the questions at idx, the L2 norm of each
// object pair's g output, computed in inference mode: pairs are ordered
// i·k+j over the k objects (the grid cells row-major for rn, the state's
// objects for state-rn), pair i·k+j being [o_i, o_j, q]. cnn-mlp has no
// pairs: an error.
func (r *Reasoner) PairStrengths(q *VQA, idx []int) ([][]float32, error) {
	if !r.Config.Arch.relational() {
		return nil, fmt.Errorf("models: %v has no object pairs; pair strengths need rn or state-rn", r.Config.Arch)
	}
	if err := r.Check(q); err != nil {
		return nil, err
	}
	if len(idx) == 0 {
		return nil, nil
	}
	for _, i := range idx {
		if i < 0 || i >= q.Len() {
			return nil, fmt.Errorf("models: question %d of %d", i, q.Len())
		}
	}
	gr, err := r.graph(len(idx), false)
	if err != nil {
		return nil, err
	}
	inputs := make([]*tensor.Dense, len(gr.Inputs))
	for i, in := range gr.Inputs {
		inputs[i] = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(in.Shape()...))
	}
	r.feed(q, inputs, idx)
	if err := gr.Run(inputs...); err != nil {
		return nil, err
	}
	return gr.rel.pairNorms()
}
