package vae

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gorgonia.org/tensor"

	"github.com/hiddendim/hiddendim/models"
	"github.com/hiddendim/hiddendim/models/latent"
)

// The classifier judge of path validity, issue 20's own: the bench's
// multilabel classifier (models.MultiLabel), trained briefly on the
// task's training images to read their labels (Split.Labels), calls a
// decoded image valid when it is sure of every label.
const (
	// judgeTrainRows caps the training images the judge learns from (the
	// first ones of the split), judgeEpochs its passes over them, in
	// batches of judgeBatch at rate judgeLR: on the quick suite's 28×28
	// shapes, 7–8 s measured under load, for a subset accuracy of 0.9 on
	// real test images (batches of 32 cost 5–6 s for 0.85–0.89; a cosine
	// schedule did worse).
	judgeTrainRows = 3000
	judgeEpochs    = 3
	judgeBatch     = 16
	judgeLR        = 5e-3
	// judgeConfidence is the highest confidence (Confidence's ceiling)
	// the judge asks of an image: the "high confidence". It asks
	// less when fewer than judgeQuantile of the real test images reach
	// it, as the realism judge passes that share of them.
	judgeConfidence = 0.9
	// judgeStream separates the judge's initial weights and shuffles from
	// the VAE's, drawn from the same seed.
	judgeStream = 0x6a75646765
	// judgeOutlierEvery sets how many outliers the judge sees in
	// training: one per judgeOutlierEvery training images (withOutliers).
	judgeOutlierEvery = 8
	// judgeGrid is the widest feature grid the judge's convolutions leave
	// before its dense layer.
	judgeGrid = 8
)

// classifierJudge is a trained classifier judge and what it scored on the
// real test images.
type classifierJudge struct {
	*latent.Confidence
	classifier *models.Classifier
	// labels name the classifier's heads, in order.
	labels []string
	// Accuracy is the share of real test images whose every label the
	// classifier reads right (subset accuracy), over the labels the test
	// split has.
	Accuracy float64
}

// Close releases the classifier's graphs.
func (j *classifierJudge) Close() { j.classifier.Close() }

// judgeConv is the judge's convolutions for images side pixels wide: the
// reference CNN's (models.ReferenceCNN: 16 then 32 channels, each
// halving the image), deepened by 32-channel convolutions until the grid
// is at most judgeGrid wide, so that a 56- or 128-pixel image does not
// reach the dense layer as a grid of 14² or 32² cells; fewer when the
// side cannot be halved.
func judgeConv(side int) []int {
	var conv []int
	for side%2 == 0 && (len(conv) < 2 || side > judgeGrid) {
		conv = append(conv, min(16<<len(conv), 32))
		side /= 2
	}
	return conv
}

// trainJudge trains the classifier judge on the first judgeTrainRows
// training images and their labels, seeded by seed, and calibrates it on
// the real test images (latent.NewConfidence at judgeQuantile, capped at
// judgeConfidence). It returns nil, and no error, when the training split
// has no labels that vary.
func trainJudge(train, test *Split, seed uint64) (*classifierJudge, error) {
	labels := train.Labels
	if len(labels.Names) == 0 {
		return nil, nil
	}
	n := min(train.Images.Len(), judgeTrainRows)
	shape := train.Images.Shape
	heads := make([]int, len(labels.Names))
	for h, v := range labels.Values {
		heads[h] = slices.Max(v[:n]) + 1
	}
	x, outliers := withOutliers(firstRows(train.Images, n).X, train.Background, n, seed)
	cfg := models.ClassifierConfig{Arch: models.MultiLabel, Input: shape, Heads: heads, Conv: judgeConv(shape[1]), Hidden: 64, Seed: seed ^ judgeStream}
	c, err := models.NewClassifier(cfg)
	if err != nil {
		return nil, fmt.Errorf("vae: the classifier judge: %w", err)
	}
	total := n + outliers
	if _, err := models.Train(context.Background(), c, total, judgeFeeder(x, shape, labels, n), models.TrainConfig{Epochs: judgeEpochs, Batch: min(judgeBatch, total), LR: judgeLR, Seed: seed ^ judgeStream}, nil); err != nil {
		c.Close()
		return nil, fmt.Errorf("vae: training the classifier judge: %w", err)
	}
	j := &classifierJudge{classifier: c, labels: labels.Names}
	real := pixelRows(test.Images)
	if j.Confidence, err = latent.NewConfidence(j.probabilities, real, judgeQuantile, judgeConfidence); err != nil {
		c.Close()
		return nil, fmt.Errorf("vae: calibrating the classifier judge: %w", err)
	}
	if j.Accuracy, err = j.accuracy(test); err != nil {
		c.Close()
		return nil, err
	}
	return j, nil
}

// withOutliers appends to x, the first n training images, the images
// the judge learns to be unsure of (outlier exposure, Hendrycks et al.
// 2019): one per judgeOutlierEvery training images, alternately the empty
// canvas and uniform noise drawn from seed. A ReLU classifier trained on
// data alone is as sure of noise as of data (on 28×28 shapes, 0.98 and
// more for both labels), so without them the judge would pass anything
// far from the data. They are neither blends of data nor blurred data,
// so they favour no space's decodings.
func withOutliers(x, background []float32, n int, seed uint64) ([]float32, int) {
	per := len(background)
	m := max(2, n/judgeOutlierEvery)
	out := make([]float32, 0, (n+m)*per)
	out = append(out, x[:n*per]...)
	rng := rand.New(rand.NewPCG(seed^judgeStream, 0x6f75746c))
	for k := range m {
		if k%2 == 0 {
			out = append(out, background...)
			continue
		}
		for range per {
			out = append(out, rng.Float32())
		}
	}
	return out, m
}

// judgeFeeder feeds the judge's training: images x, the first n with
// their labels as one-hot targets, the rest (outliers) with uniform
// targets, every class as likely.
func judgeFeeder(x []float32, shape [3]int, labels latent.Factors, n int) models.Feeder {
	per := shape[0] * shape[1] * shape[2]
	return func(inputs []*tensor.Dense, idx []int) {
		xs := inputs[0].Data().([]float32)
		for j, i := range idx {
			copy(xs[j*per:(j+1)*per], x[i*per:(i+1)*per])
		}
		for h, in := range inputs[1:] {
			y := in.Data().([]float32)
			clear(y)
			width := in.Shape()[1]
			for j, i := range idx {
				if i < n {
					y[j*width+labels.Values[h][i]] = 1
					continue
				}
				for k := range width {
					y[j*width+k] = 1 / float32(width)
				}
			}
		}
	}
}

// probabilities runs the classifier on images (CHW rows in [0, 1]) and
// returns each label's softmax probabilities per image.
func (j *classifierJudge) probabilities(imgs [][]float64) ([][][]float64, error) {
	shape := j.classifier.Config.Input
	per := shape[0] * shape[1] * shape[2]
	x := make([]float32, 0, len(imgs)*per)
	for _, img := range imgs {
		if len(img) != per {
			return nil, fmt.Errorf("vae: the classifier judge reads %v images; an image of %d values", shape, len(img))
		}
		for _, v := range img {
			x = append(x, float32(v))
		}
	}
	out := make([][][]float64, len(imgs))
	err := models.Predict(j.classifier, len(imgs), 256, j.classifier.Feeder(&models.Examples{X: x, Shape: shape}), func(i int, logits [][]float32) {
		out[i] = make([][]float64, len(logits))
		for h, l := range logits {
			out[i][h] = softmax(l)
		}
	})
	return out, err
}

// accuracy is the judge's subset accuracy on the test images, over the
// labels both splits have (NaN when they share none).
func (j *classifierJudge) accuracy(test *Split) (float64, error) {
	probs, err := j.probabilities(pixelRows(test.Images))
	if err != nil {
		return 0, err
	}
	// The judge's labels are the training split's; the test split may have
	// dropped one that is constant there.
	var heads, cols []int
	for h, name := range j.labels {
		if k := slices.Index(test.Labels.Names, name); k >= 0 {
			heads, cols = append(heads, h), append(cols, k)
		}
	}
	if len(heads) == 0 {
		return math.NaN(), nil
	}
	right := 0
	for i, p := range probs {
		ok := true
		for c, h := range heads {
			ok = ok && argmax64(p[h]) == test.Labels.Values[cols[c]][i]
		}
		if ok {
			right++
		}
	}
	return float64(right) / float64(len(probs)), nil
}

func softmax(logits []float32) []float64 {
	top := float64(slices.Max(logits))
	out := make([]float64, len(logits))
	var sum float64
	for k, l := range logits {
		out[k] = math.Exp(float64(l) - top)
		sum += out[k]
	}
	for k := range out {
		out[k] /= sum
	}
	return out
}

func argmax64(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
