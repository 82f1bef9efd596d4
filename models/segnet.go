package models

import (
	"errors"
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// SegNetConfig describes one segmentation net: a small U-Net that gives
// every pixel of an image a class (torch_reference.py's segnet).
type SegNetConfig struct {
	// Input is the images' channels, height and width; height and width
	// must be divisible by 4 (two 2×2 poolings and two doublings), and by
	// twice that for each of Deep and Stem.
	Input [3]int `json:"input"`
	// Classes is the number of pixel classes (13 for webpages), 2 to 256
	// (masks hold one byte per pixel).
	Classes int `json:"classes"`
	// Widths are the encoder's channels at full, half and quarter
	// resolution (16, 32, 64); the decoder mirrors them.
	Widths [3]int `json:"widths"`
	// Deep, if not 0, is the channels of a fourth level at an eighth of
	// the resolution, which about doubles the receptive field (then
	// height and width must be divisible by 8); 0, the reference, has
	// none and is left out of the JSON.
	Deep int `json:"deep,omitempty"`
	// Stem, if not 0, is the channels of a level at the full resolution
	// above the others, which then run at half of it: the receptive
	// field about doubles in pixels, for about a third of the compute at
	// Widths (16, 32, 64) and a Stem of 8. 0, the reference, has none and
	// is left out of the JSON.
	Stem int `json:"stem,omitempty"`
	// Seed draws the initial weights.
	Seed uint64 `json:"seed"`
	// ClassWeights, if not nil, weighs each class's pixels in the loss
	// (one finite weight ≥ 0 per class, not all 0; see
	// MedianFrequencyWeights); nil weighs every class 1. It changes
	// training only, and is left out of the JSON when nil, so
	// configurations from before it read as unweighted.
	ClassWeights []float64 `json:"class_weights,omitempty"`
}

// ReferenceSegNet returns the reference net (torch_reference.py's segnet)
// for classes pixel classes and side×side RGB images: encoder widths 16,
// 32 and 64.
func ReferenceSegNet(classes, side int, seed uint64) SegNetConfig {
	return SegNetConfig{Input: [3]int{3, side, side}, Classes: classes, Widths: [3]int{16, 32, 64}, Seed: seed}
}

// SegNet is a U-Net for semantic segmentation, as torch_reference.py's
// SegNet:
//
//	s1 = relu(conv3×3(x))                    Widths[0] at H×W
//	s2 = relu(conv3×3(maxpool2(s1)))         Widths[1] at H/2×W/2
//	b  = relu(conv3×3(maxpool2(s2)))         Widths[2] at H/4×W/4
//	d2 = relu(conv3×3([deconv2×2(b), s2]))   Widths[1] at H/2×W/2
//	d1 = relu(conv3×3([deconv2×2(d2), s1]))  Widths[0] at H×W
//	logits = conv1×1(d1)                     Classes at H×W
//
// where deconv2×2 is a transposed convolution of kernel 2 and stride 2 and
// [a, b] stacks channels. With Config.Deep the bottleneck b is a level
// higher up instead:
//
//	s3 = relu(conv3×3(maxpool2(s2)))         Widths[2] at H/4×W/4
//	b4 = relu(conv3×3(maxpool2(s3)))         Deep at H/8×W/8
//	b  = relu(conv3×3([deconv2×2(b4), s3]))  Widths[2] at H/4×W/4
//
// With Config.Stem a level at the full resolution wraps the net, whose
// levels then run at half of it (x′ is what they take for x, d1′ what
// they give for d1):
//
//	s0 = relu(conv3×3(x))                    Stem at H×W
//	x′ = maxpool2(s0)                        Stem at H/2×W/2
//	d0 = relu(conv3×3([deconv2×2(d1′), s0])) Stem at H×W
//	logits = conv1×1(d0)                     Classes at H×W
//
// It trains on the per-pixel softmax
// cross-entropy, averaged over pixels. Its graphs are cached per batch
// size; a SegNet is not safe for concurrent use.
type SegNet struct {
	// Config is the configuration the net was made from; changing it
	// afterwards changes nothing.
	Config SegNetConfig
	ps     *ParamSet
	// layers holds each layer's weight and bias, in segLayers order.
	layers [len(segLayers)][2]*Param // the deep and stem layers nil without Config.Deep and Config.Stem
	graphs map[[2]int]*Graph
}

// The layers, in the order of their parameters.
const (
	segE1 = iota
	segE2
	segE3
	segU2
	segD2
	segU1
	segD1
	segOut
	// The deep level's, after the reference's so that they draw their
	// initial weights from the same stream positions.
	segE4
	segU3
	segD3
	// The stem's, last.
	segE0
	segU0
	segD0
)

var segLayers = [...]string{segE1: "e1", segE2: "e2", segE3: "e3", segU2: "u2", segD2: "d2", segU1: "u1", segD1: "d1", segOut: "out",
	segE4: "e4", segU3: "u3", segD3: "d3", segE0: "e0", segU0: "u0", segD0: "d0"}

// levels returns how many times the net cfg describes pools: two, and one
// more for each of Deep and Stem.
func (cfg SegNetConfig) levels() int {
	n := 2
	if cfg.Deep > 0 {
		n++
	}
	if cfg.Stem > 0 {
		n++
	}
	return n
}

// NewSegNet validates cfg and draws the initial weights from cfg.Seed as
// PyTorch initialises the reference: every weight and bias uniform in
// ±1/√fanIn, where a convolution's fanIn is its input channels × k², and a
// transposed convolution's (weights stored in×out×k×k) is its output
// channels × k², as PyTorch computes it. Convolution weights are stored
// out × in·k·k, transposed convolutions' in × out·k·k: PyTorch's tensors
// flattened.
func NewSegNet(cfg SegNetConfig) (*SegNet, error) {
	c, h, w := cfg.Input[0], cfg.Input[1], cfg.Input[2]
	if c <= 0 || h <= 0 || w <= 0 {
		return nil, fmt.Errorf("models: segnet needs an input shape (channels, height, width) of positive sizes, got %v", cfg.Input)
	}
	if cfg.Deep < 0 {
		return nil, fmt.Errorf("models: segnet deep level of %d channels; want 0 (none) or more", cfg.Deep)
	}
	if cfg.Stem < 0 {
		return nil, fmt.Errorf("models: segnet stem of %d channels; want 0 (none) or more", cfg.Stem)
	}
	if pools := cfg.levels(); h%(1<<pools) != 0 || w%(1<<pools) != 0 {
		f := 1 << pools
		return nil, fmt.Errorf("models: segnet input %d×%d: height and width must be divisible by %d, e.g. %d×%d (the net pools %s)", h, w, f, (h+f-1)/f*f, (w+f-1)/f*f, [...]string{2: "twice", 3: "three times", 4: "four times"}[pools])
	}
	if cfg.Classes < 2 || cfg.Classes > 256 {
		return nil, fmt.Errorf("models: segnet needs 2 to 256 classes (masks hold bytes), got %d", cfg.Classes)
	}
	if cfg.ClassWeights != nil {
		if err := checkClassWeights(cfg.ClassWeights, cfg.Classes); err != nil {
			return nil, fmt.Errorf("models: segnet: %w", err)
		}
	}
	for i, wd := range cfg.Widths {
		if wd <= 0 {
			return nil, fmt.Errorf("models: segnet widths %v: width %d is %d; want three positive channel counts, e.g. [16 32 64]", cfg.Widths, i, wd)
		}
	}
	s := &SegNet{Config: cfg, ps: NewParamSet(cfg.Seed), graphs: map[[2]int]*Graph{}}
	w1, w2, w3 := cfg.Widths[0], cfg.Widths[1], cfg.Widths[2]
	conv := func(l, in, out, k int) {
		bound := 1 / math.Sqrt(float64(in*k*k))
		s.layers[l] = [2]*Param{
			s.ps.Uniform(segLayers[l]+".w", bound, out, in*k*k),
			s.ps.Uniform(segLayers[l]+".b", bound, out),
		}
	}
	deconv := func(l, in, out int) {
		bound := 1 / math.Sqrt(float64(out*2*2))
		s.layers[l] = [2]*Param{
			s.ps.Uniform(segLayers[l]+".w", bound, in, out*2*2),
			s.ps.Uniform(segLayers[l]+".b", bound, out),
		}
	}
	in, top := c, w1 // the reference levels' input, and the channels under the logits
	if cfg.Stem > 0 {
		in, top = cfg.Stem, cfg.Stem
	}
	conv(segE1, in, w1, 3)
	conv(segE2, w1, w2, 3)
	conv(segE3, w2, w3, 3)
	deconv(segU2, w3, w2)
	conv(segD2, 2*w2, w2, 3)
	deconv(segU1, w2, w1)
	conv(segD1, 2*w1, w1, 3)
	conv(segOut, top, cfg.Classes, 1)
	if cfg.Deep > 0 {
		conv(segE4, w3, cfg.Deep, 3)
		deconv(segU3, cfg.Deep, w3)
		conv(segD3, 2*w3, w3, 3)
	}
	if cfg.Stem > 0 {
		conv(segE0, c, cfg.Stem, 3)
		deconv(segU0, w1, cfg.Stem)
		conv(segD0, 2*cfg.Stem, cfg.Stem, 3)
	}
	return s, nil
}

// Params returns the weights and biases of every layer, in the order
// e1, e2, e3, u2, d2, u1, d1, out, then, with Config.Deep, e4, u3, d3,
// then, with Config.Stem, e0, u0, d0 (each weight, then its bias).
func (s *SegNet) Params() []*Param { return s.ps.Params }

// Graph builds (and caches) the graph for batches of n. Inputs: the images
// (n×C×H×W) and, when training, the masks (n×H×W, each pixel's class id as
// a float32). Outputs: the logits (n×Classes×H×W). The loss is the
// per-pixel softmax cross-entropy averaged over the n·H·W pixels, or,
// with Config.ClassWeights, their weighted mean (see pixelXent).
func (s *SegNet) Graph(n int, train bool) (*Graph, error) {
	if n <= 0 {
		return nil, fmt.Errorf("models: segnet graph for batches of %d: want ≥ 1", n)
	}
	key := [2]int{n, 0}
	if train {
		key[1] = 1
	}
	if gr, ok := s.graphs[key]; ok {
		return gr, nil
	}
	cfg := s.Config
	c, h, w := cfg.Input[0], cfg.Input[1], cfg.Input[2]
	g := G.NewGraph()
	gr := &Graph{G: g, Named: map[string]*G.Node{}}
	gr.Nodes = bind(g, s.Params())
	node := map[*Param]*G.Node{}
	for i, p := range s.Params() {
		node[p] = gr.Nodes[i]
	}
	wb := func(l int) (*G.Node, *G.Node) { return node[s.layers[l][0]], node[s.layers[l][1]] }
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(n, c, h, w), G.WithName("x"))
	gr.Inputs = []*G.Node{x}

	var err error
	layer := func(name string, f func() (*G.Node, error)) *G.Node {
		if err != nil {
			return nil
		}
		var nd *G.Node
		if nd, err = f(); err != nil {
			err = fmt.Errorf("models: segnet %s: %w", name, err)
			return nil
		}
		gr.Named[name] = nd
		return nd
	}
	conv := func(l int, in *G.Node, needDx bool) func() (*G.Node, error) {
		return func() (*G.Node, error) {
			wt, b := wb(l)
			return convSame(in, wt, b, 3, true, needDx)
		}
	}
	in := x
	var s0 *G.Node
	if cfg.Stem > 0 {
		s0 = layer("s0", conv(segE0, x, false))
		in = layer("p0", func() (*G.Node, error) { return reluPool2(s0) })
	}
	s1 := layer("s1", conv(segE1, in, cfg.Stem > 0))
	p1 := layer("p1", func() (*G.Node, error) { return reluPool2(s1) })
	s2 := layer("s2", conv(segE2, p1, true))
	p2 := layer("p2", func() (*G.Node, error) { return reluPool2(s2) })
	b := layer("b", conv(segE3, p2, true))
	if cfg.Deep > 0 {
		s3 := b
		gr.Named["s3"] = s3
		p3 := layer("p3", func() (*G.Node, error) { return reluPool2(s3) })
		b4 := layer("b4", conv(segE4, p3, true))
		u3 := layer("u3", func() (*G.Node, error) {
			wt, bias := wb(segU3)
			return deconv2x2(b4, wt, bias)
		})
		c3 := layer("cat3", func() (*G.Node, error) { return concatChannels(u3, s3) })
		b = layer("b", conv(segD3, c3, true))
	}
	u2 := layer("u2", func() (*G.Node, error) {
		wt, bias := wb(segU2)
		return deconv2x2(b, wt, bias)
	})
	c2 := layer("cat2", func() (*G.Node, error) { return concatChannels(u2, s2) })
	d2 := layer("d2", conv(segD2, c2, true))
	u1 := layer("u1", func() (*G.Node, error) {
		wt, bias := wb(segU1)
		return deconv2x2(d2, wt, bias)
	})
	c1 := layer("cat1", func() (*G.Node, error) { return concatChannels(u1, s1) })
	d1 := layer("d1", conv(segD1, c1, true))
	top := d1
	if cfg.Stem > 0 {
		u0 := layer("u0", func() (*G.Node, error) {
			wt, bias := wb(segU0)
			return deconv2x2(d1, wt, bias)
		})
		c0 := layer("cat0", func() (*G.Node, error) { return concatChannels(u0, s0) })
		top = layer("d0", conv(segD0, c0, true))
	}
	logits := layer("logits", func() (*G.Node, error) {
		wt, bias := wb(segOut)
		return convSame(top, wt, bias, 1, false, true)
	})
	if err != nil {
		return nil, err
	}
	gr.Outputs = []*G.Node{logits}
	if train {
		y := G.NewTensor(g, tensor.Float32, 3, G.WithShape(n, h, w), G.WithName("masks"))
		gr.Inputs = append(gr.Inputs, y)
		if gr.Loss, err = pixelXent(logits, y, cfg.ClassWeights); err != nil {
			return nil, err
		}
	}
	s.graphs[key] = gr
	return gr, nil
}

// Close releases the cached graphs.
func (s *SegNet) Close() {
	for k, gr := range s.graphs {
		gr.Close()
		delete(s.graphs, k)
	}
}

// Segmentation is a segmentation net's data: images and, for training and
// scoring, their class masks.
type Segmentation struct {
	// Images holds the images, each C×H×W, channels first, values in
	// [0, 1].
	Images []float32
	// Shape is C, H, W of Images.
	Shape [3]int
	// Masks holds each image's H×W class ids in [0, Classes), row by
	// row; nil for prediction.
	Masks []uint8
}

// Len returns the number of images; 0 if Shape has a zero size.
func (d *Segmentation) Len() int {
	per := d.Shape[0] * d.Shape[1] * d.Shape[2]
	if per <= 0 {
		return 0
	}
	return len(d.Images) / per
}

// Check returns an error saying what is wrong if d does not fit the net:
// a shape other than Config.Input, a partial image, a pixel value outside
// [0, 1], a mask of the wrong length, or a class id ≥ Config.Classes.
func (s *SegNet) Check(d *Segmentation) error {
	if err := s.checkImages(d); err != nil {
		return err
	}
	if d.Masks == nil {
		return nil
	}
	cfg := s.Config
	n, hw := d.Len(), cfg.Input[1]*cfg.Input[2]
	if len(d.Masks) != n*hw {
		return fmt.Errorf("models: %d images of %d×%d want %d mask values, got %d", n, cfg.Input[1], cfg.Input[2], n*hw, len(d.Masks))
	}
	for i, m := range d.Masks {
		if int(m) >= cfg.Classes {
			return fmt.Errorf("models: mask %d has class %d at x %d, y %d; want 0 to %d", i/hw, m, i%hw%cfg.Input[2], i%hw/cfg.Input[2], cfg.Classes-1)
		}
	}
	return nil
}

// checkImages is Check without the masks.
func (s *SegNet) checkImages(d *Segmentation) error {
	cfg := s.Config
	if d.Shape != cfg.Input {
		return fmt.Errorf("models: images of shape %v; the segnet wants %v (channels, height, width)", d.Shape, cfg.Input)
	}
	per := cfg.Input[0] * cfg.Input[1] * cfg.Input[2]
	if len(d.Images)%per != 0 {
		return fmt.Errorf("models: %d image values are not a whole number of %v images (%d values each)", len(d.Images), cfg.Input, per)
	}
	for i, v := range d.Images {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("models: image %d has value %v at %d; want values in [0, 1]", i/per, v, i%per)
		}
	}
	return nil
}

// Feeder feeds training graphs with the images at the given indices and
// their masks. It panics if d does not fit the net (see Check), and when
// it fills a training batch of data without masks.
func (s *SegNet) Feeder(d *Segmentation) Feeder {
	if err := s.Check(d); err != nil {
		panic(err)
	}
	return func(inputs []*tensor.Dense, idx []int) {
		s.feed(d, inputs, idx)
		if len(inputs) < 2 {
			return
		}
		if d.Masks == nil {
			panic(errors.New("models: training a segnet needs masks"))
		}
		hw := s.Config.Input[1] * s.Config.Input[2]
		ys := inputs[1].Data().([]float32)
		for j, i := range idx {
			dst := ys[j*hw : (j+1)*hw]
			for k, m := range d.Masks[i*hw : (i+1)*hw] {
				dst[k] = float32(m)
			}
		}
	}
}

// feed fills the first input with the images at idx.
func (s *SegNet) feed(d *Segmentation, inputs []*tensor.Dense, idx []int) {
	per := s.Config.Input[0] * s.Config.Input[1] * s.Config.Input[2]
	xs := inputs[0].Data().([]float32)
	for j, i := range idx {
		copy(xs[j*per:(j+1)*per], d.Images[i*per:(i+1)*per])
	}
}

// Predict returns each pixel's most likely class, N×H×W row by row,
// computed batch images at a time; d.Masks is ignored. Ties go to the
// lower class id.
func (s *SegNet) Predict(d *Segmentation, batch int) ([]uint8, error) {
	if err := s.checkImages(d); err != nil {
		return nil, err
	}
	k, hw := s.Config.Classes, s.Config.Input[1]*s.Config.Input[2]
	pred := make([]uint8, d.Len()*hw)
	feed := func(inputs []*tensor.Dense, idx []int) { s.feed(d, inputs, idx) }
	err := Predict(s, d.Len(), batch, feed, func(i int, out [][]float32) {
		argmaxPlanes(out[0], pred[i*hw:(i+1)*hw], k, hw)
	})
	return pred, err
}

// argmaxPlanes writes into dst, per pixel, the index of the largest of the
// k planes of logits (k×hw); the first on ties.
func argmaxPlanes(logits []float32, dst []uint8, k, hw int) {
	best := make([]float32, hw)
	copy(best, logits[:hw])
	clear(dst)
	for c := 1; c < k; c++ {
		for i, v := range logits[c*hw : (c+1)*hw] {
			if v > best[i] {
				best[i], dst[i] = v, uint8(c)
			}
		}
	}
}
