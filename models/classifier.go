package models

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ClassifierArch is a classifier architecture: one of three ways to
// predict several labels at once. It marshals as its name ("multilabel",
// "combo", "perlabel"); the zero value is no architecture, which
// NewClassifier refuses.
type ClassifierArch int

// The classifier architectures.
const (
	// MultiLabel is one CNN with one softmax head per label: logits add up.
	MultiLabel ClassifierArch = iota + 1
	// Combo is one CNN with one softmax over every combination of labels:
	// logits multiply, and a combination never seen in training never has
	// a positive example.
	Combo
	// PerLabel is one CNN per label, each with its own head.
	PerLabel
)

var classifierArchNames = [...]string{MultiLabel: "multilabel", Combo: "combo", PerLabel: "perlabel"}

// String returns the architecture's name.
func (a ClassifierArch) String() string {
	if a < MultiLabel || int(a) >= len(classifierArchNames) {
		return fmt.Sprintf("ClassifierArch(%d)", int(a))
	}
	return classifierArchNames[a]
}

// ParseClassifierArch returns the architecture named name, or an error
// naming the known ones.
func ParseClassifierArch(name string) (ClassifierArch, error) {
	for a := MultiLabel; int(a) < len(classifierArchNames); a++ {
		if classifierArchNames[a] == name {
			return a, nil
		}
	}
	return 0, fmt.Errorf("models: unknown classifier architecture %q; want %s, %s or %s", name, MultiLabel, Combo, PerLabel)
}

// MarshalText returns the architecture's name; the zero value and other
// numbers are an error.
func (a ClassifierArch) MarshalText() ([]byte, error) {
	if a < MultiLabel || int(a) >= len(classifierArchNames) {
		return nil, fmt.Errorf("models: no classifier architecture %d", int(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText reads an architecture's name.
func (a *ClassifierArch) UnmarshalText(b []byte) error {
	v, err := ParseClassifierArch(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// ClassifierConfig describes a multi-label CNN classifier.
type ClassifierConfig struct {
	Arch ClassifierArch `json:"arch"`
	// Input is channels, height, width.
	Input [3]int `json:"input"`
	// Heads holds the number of classes of each label.
	Heads []int `json:"heads"`
	// Conv lists the channels of the 3×3 convolutions (padding 1), each
	// followed by a ReLU and 2×2 max pooling.
	Conv []int `json:"conv"`
	// Hidden is the width of the dense ReLU layer before the heads.
	Hidden int `json:"hidden"`
	// Seed draws the initial weights.
	Seed uint64 `json:"seed"`
}

// ReferenceCNN is the reference classifier: 28×28×3 → conv16 → pool →
// conv32 → pool → dense64 → two 3-way heads.
func ReferenceCNN(arch ClassifierArch, seed uint64) ClassifierConfig {
	return ClassifierConfig{Arch: arch, Input: [3]int{3, 28, 28}, Heads: []int{3, 3}, Conv: []int{16, 32}, Hidden: 64, Seed: seed}
}

// Classifier is a CNN classifier of one of the three architectures.
type Classifier struct {
	Config ClassifierConfig
	ps     *ParamSet
	trunks []trunk
	graphs map[[2]int]*Graph
}

type trunk struct {
	conv   [][2]*Param // weights, bias
	hidden [2]*Param
	heads  [][2]*Param
}

// NewClassifier validates cfg and draws the initial weights.
func NewClassifier(cfg ClassifierConfig) (*Classifier, error) {
	if len(cfg.Heads) == 0 || cfg.Hidden <= 0 || cfg.Input[0] <= 0 {
		return nil, fmt.Errorf("models: classifier needs heads, a hidden width and an input shape: %+v", cfg)
	}
	h, w := cfg.Input[1], cfg.Input[2]
	for range cfg.Conv {
		if h%2 != 0 || w%2 != 0 {
			return nil, fmt.Errorf("models: input %d×%d cannot be halved %d times by pooling", cfg.Input[1], cfg.Input[2], len(cfg.Conv))
		}
		h, w = h/2, w/2
	}
	var headSets [][]int
	switch cfg.Arch {
	case MultiLabel:
		headSets = [][]int{cfg.Heads}
	case Combo:
		k := 1
		for _, n := range cfg.Heads {
			k *= n
		}
		headSets = [][]int{{k}}
	case PerLabel:
		for _, n := range cfg.Heads {
			headSets = append(headSets, []int{n})
		}
	default:
		return nil, fmt.Errorf("models: unknown architecture %v; want %s, %s or %s", cfg.Arch, MultiLabel, Combo, PerLabel)
	}
	c := &Classifier{Config: cfg, ps: NewParamSet(cfg.Seed), graphs: map[[2]int]*Graph{}}
	for t, heads := range headSets {
		var tr trunk
		in := cfg.Input[0]
		for l, out := range cfg.Conv {
			name := fmt.Sprintf("t%d.conv%d", t, l+1)
			tr.conv = append(tr.conv, [2]*Param{c.ps.He(name+".w", in*9, out, in*9), c.ps.Zeros(name+".b", out)})
			in = out
		}
		flat := in * h * w
		tr.hidden = [2]*Param{c.ps.He(fmt.Sprintf("t%d.dense.w", t), flat, flat, cfg.Hidden), c.ps.Zeros(fmt.Sprintf("t%d.dense.b", t), cfg.Hidden)}
		for k, n := range heads {
			name := fmt.Sprintf("t%d.head%d", t, k)
			tr.heads = append(tr.heads, [2]*Param{c.ps.Glorot(name+".w", cfg.Hidden, n, cfg.Hidden, n), c.ps.Zeros(name+".b", n)})
		}
		c.trunks = append(c.trunks, tr)
	}
	return c, nil
}

// Params returns the parameters in creation order.
func (c *Classifier) Params() []*Param { return c.ps.Params }

// OutputSizes returns the number of logits of each output, in order.
func (c *Classifier) OutputSizes() []int {
	var out []int
	for _, tr := range c.trunks {
		for _, h := range tr.heads {
			out = append(out, h[1].Size())
		}
	}
	return out
}

// Graph builds (and caches) the graph for batches of n. Inputs: the images
// (n×C×H×W), then, when training, one one-hot target matrix per output.
// Outputs: the logits of each output. Named: "t0.conv1" … each
// convolution's output before its ReLU.
func (c *Classifier) Graph(n int, train bool) (*Graph, error) {
	key := [2]int{n, 0}
	if train {
		key[1] = 1
	}
	if gr, ok := c.graphs[key]; ok {
		return gr, nil
	}
	g := G.NewGraph()
	in := c.Config.Input
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(n, in[0], in[1], in[2]), G.WithName("x"))
	gr := &Graph{G: g, Inputs: []*G.Node{x}, Named: map[string]*G.Node{}}
	gr.Nodes = bind(g, c.Params())
	node := map[*Param]*G.Node{}
	for i, p := range c.Params() {
		node[p] = gr.Nodes[i]
	}
	for t, tr := range c.trunks {
		h := x
		var err error
		for l, cv := range tr.conv {
			if h, err = conv2d(h, node[cv[0]], node[cv[1]], 3, 1, 1, l > 0); err != nil {
				return nil, err
			}
			gr.Named[fmt.Sprintf("t%d.conv%d", t, l+1)] = h // before the ReLU
			if h, err = reluPool2(h); err != nil {
				return nil, err
			}
		}
		s := h.Shape()
		if h, err = G.Reshape(h, tensor.Shape{n, s.TotalSize() / n}); err != nil {
			return nil, err
		}
		if h, err = dense(h, node[tr.hidden[0]], node[tr.hidden[1]]); err != nil {
			return nil, err
		}
		if h, err = G.Rectify(h); err != nil {
			return nil, err
		}
		for _, hd := range tr.heads {
			logits, err := dense(h, node[hd[0]], node[hd[1]])
			if err != nil {
				return nil, err
			}
			gr.Outputs = append(gr.Outputs, logits)
		}
	}
	if train {
		for k, o := range gr.Outputs {
			y := G.NewMatrix(g, tensor.Float32, G.WithShape(o.Shape()...), G.WithName(fmt.Sprintf("y%d", k)))
			gr.Inputs = append(gr.Inputs, y)
			l, err := softmaxXent(o, y)
			if err != nil {
				return nil, err
			}
			if gr.Loss == nil {
				gr.Loss = l
			} else if gr.Loss, err = G.Add(gr.Loss, l); err != nil {
				return nil, err
			}
		}
	}
	c.graphs[key] = gr
	return gr, nil
}

// Close releases the cached graphs.
func (c *Classifier) Close() {
	for k, gr := range c.graphs {
		gr.Close()
		delete(c.graphs, k)
	}
}

// Examples are images with integer labels: the classifier's data.
type Examples struct {
	// X holds N images, channels first, values in [0, 1].
	X []float32
	// Shape is channels, height, width.
	Shape [3]int
	// Labels holds each example's label values, one per head.
	Labels [][]int
}

// Len is the number of examples.
func (e *Examples) Len() int { return len(e.Labels) }

// Feeder returns a feeder of ex into this classifier's graphs: images and,
// for training graphs, one-hot targets (combined into one index for Combo).
func (c *Classifier) Feeder(ex *Examples) Feeder {
	per := ex.Shape[0] * ex.Shape[1] * ex.Shape[2]
	return func(inputs []*tensor.Dense, idx []int) {
		xs := inputs[0].Data().([]float32)
		for j, i := range idx {
			copy(xs[j*per:(j+1)*per], ex.X[i*per:(i+1)*per])
		}
		for k, in := range inputs[1:] {
			y := in.Data().([]float32)
			clear(y)
			width := in.Shape()[1]
			for j, i := range idx {
				y[j*width+c.target(ex.Labels[i], k)] = 1
			}
		}
	}
}

// target is the class index of output k for the given labels.
func (c *Classifier) target(labels []int, k int) int {
	switch c.Config.Arch {
	case Combo:
		idx := 0
		for h, n := range c.Config.Heads {
			idx = idx*n + labels[h]
		}
		return idx
	default:
		return labels[k]
	}
}

// PredictLabels returns the predicted value of every label of every example.
func (c *Classifier) PredictLabels(ex *Examples, batch int) ([][]int, error) {
	pred := make([][]int, ex.Len())
	err := Predict(c, ex.Len(), batch, c.Feeder(ex), func(i int, out [][]float32) {
		labels := make([]int, len(c.Config.Heads))
		if c.Config.Arch == Combo {
			idx := argmax(out[0])
			for h := len(c.Config.Heads) - 1; h >= 0; h-- {
				labels[h] = idx % c.Config.Heads[h]
				idx /= c.Config.Heads[h]
			}
		} else {
			for h := range labels {
				labels[h] = argmax(out[h])
			}
		}
		pred[i] = labels
	})
	return pred, err
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// Activations runs the inference graph on the examples idx and returns a
// copy of every named activation (see Graph), each len(idx)×C×H×W.
func (c *Classifier) Activations(ex *Examples, idx []int) (map[string]*tensor.Dense, error) {
	gr, err := c.Graph(len(idx), false)
	if err != nil {
		return nil, err
	}
	in := c.Config.Input
	x := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(len(idx), in[0], in[1], in[2]))
	c.Feeder(ex)([]*tensor.Dense{x}, idx)
	if err := gr.Run(x); err != nil {
		return nil, err
	}
	out := map[string]*tensor.Dense{}
	for name, n := range gr.Named {
		out[name] = n.Value().(*tensor.Dense).Clone().(*tensor.Dense)
	}
	return out, nil
}
