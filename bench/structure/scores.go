package structure

import (
	"image"
	"math"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/bench/caption"
	"github.com/hiddendim/hiddendim/webpages"
)

// The metric names (see Kind.Metrics for each one's definition).
const (
	PixelAccuracyMetric    = "pixel_accuracy"
	MIoUMetric             = "miou"
	TreeExactMetric        = "tree_exact_match"
	TreeEditDistanceMetric = "tree_edit_distance"
	TokenAccuracyMetric    = "token_accuracy"
	ParseRateMetric        = "parse_rate"
	// majorityPrefix names the majority-class mask's scores
	// ("majority_miou").
	majorityPrefix = "majority_"
)

// IoUMetric names the intersection over union of class c.
func IoUMetric(c webpages.Class) string { return "iou_" + c.String() }

// majorityMetrics are the segmentation pipeline's metrics the
// majority-class baseline is also scored by.
var majorityMetrics = []string{PixelAccuracyMetric, MIoUMetric, TreeExactMetric, TreeEditDistanceMetric, TokenAccuracyMetric}

// metricInfos describes every metric a page-structure task records.
func metricInfos() []bench.MetricInfo {
	// webpages.NormalizedTreeEditDistance is clamped to [0, 1].
	ted := bench.MetricInfo{Name: TreeEditDistanceMetric, LowerIsBetter: true, Max: 1}
	out := []bench.MetricInfo{bench.Proportion(PixelAccuracyMetric), bench.Proportion(MIoUMetric),
		bench.Proportion(TreeExactMetric), ted, bench.Proportion(TokenAccuracyMetric), bench.Proportion(ParseRateMetric)}
	for _, name := range majorityMetrics {
		m := out[indexInfo(out, name)]
		m.Name = majorityPrefix + name
		out = append(out, m)
	}
	for c := range numClasses {
		out = append(out, bench.Proportion(IoUMetric(webpages.Class(c))))
	}
	return out
}

func indexInfo(ms []bench.MetricInfo, name string) int {
	for i, m := range ms {
		if m.Name == name {
			return i
		}
	}
	panic("structure: no metric " + name)
}

// SegmentationScores compares predicted class masks with the true ones,
// pixel by pixel over all pages pooled (both N×H×W class ids; ids at or
// past the number of classes count as wrong and belong to no class):
//
//   - pixel_accuracy: the share of pixels whose class is right;
//   - iou_<class>: |pred ∩ truth| / |pred ∪ truth| over the pixels of the
//     class; a class neither the truth nor the prediction holds is left
//     out (0/0);
//   - miou: the mean of the iou_<class> present, so that a class absent
//     from the test pages and never predicted neither helps nor hurts.
//
// All are exact values: pixels of one page are not independent samples,
// so no Wilson interval is claimed. It panics if the lengths differ.
func SegmentationScores(truth, pred []uint8) map[string]bench.Metric {
	if len(truth) != len(pred) {
		panic("structure: SegmentationScores: masks of different sizes")
	}
	inter := make([]int, numClasses)
	inTruth := make([]int, numClasses)
	inPred := make([]int, numClasses)
	right := 0
	for i, t := range truth {
		p := pred[i]
		if int(t) < numClasses {
			inTruth[t]++
		}
		if int(p) < numClasses {
			inPred[p]++
		}
		if t == p && int(t) < numClasses {
			inter[t]++
			right++
		}
	}
	out := map[string]bench.Metric{}
	if len(truth) > 0 {
		out[PixelAccuracyMetric] = bench.Exact(float64(right) / float64(len(truth)))
	}
	var sum float64
	present := 0
	for c := range numClasses {
		union := inTruth[c] + inPred[c] - inter[c]
		if union == 0 {
			continue
		}
		iou := float64(inter[c]) / float64(union)
		out[IoUMetric(webpages.Class(c))] = bench.Exact(iou)
		sum += iou
		present++
	}
	if present > 0 {
		out[MIoUMetric] = bench.Exact(sum / float64(present))
	}
	return out
}

// TreeScores compares decoded page trees (one per page of set, styles
// restored) with the true ones:
//
//   - tree_exact_match: the share of pages whose tree has the true
//     elements, classes and styles in the true order
//     (webpages.SameStructure), with a Wilson interval;
//   - tree_edit_distance: the mean normalized Zhang–Shasha distance on
//     classes (webpages.NormalizedTreeEditDistance), with a Student-t
//     interval; lower is better;
//   - token_accuracy: the tree printed in pix2code's DSL against the true
//     pix2code, token by token (caption.Tokenize, caption.TokenMatches),
//     pooled over the pages as the captioning kind pools it: matches over
//     positions compared; a tree pix2code cannot say prints nothing and
//     gets every position wrong;
//   - parse_rate: the share of pages whose tree prints in pix2code's DSL
//     and parses back (webpages.ParsePix2Code), with a Wilson interval.
//
// token_accuracy and parse_rate are over the pages whose true tree
// pix2code can say, and left out if there are none. It panics if trees
// and set differ in length.
func TreeScores(set *Set, trees []*webpages.Element) map[string]bench.Metric {
	if len(trees) != set.Len() {
		panic("structure: TreeScores: trees and pages differ in number")
	}
	var exact, parsed, pix2code int
	var tokRight, tokTotal float64
	dists := make([]float64, len(trees))
	for i, tree := range trees {
		truth := set.Trees[i]
		if webpages.SameStructure(tree, truth) {
			exact++
		}
		dists[i] = webpages.NormalizedTreeEditDistance(tree, truth)
		if set.Pix2Code[i] == "" {
			continue
		}
		pix2code++
		pred := webpages.PrintPix2Code(tree)
		r, n := caption.TokenMatches(caption.Tokenize(set.Pix2Code[i]), caption.Tokenize(pred))
		tokRight += r
		tokTotal += n
		if pred != "" {
			if _, err := webpages.ParsePix2Code(pred); err == nil {
				parsed++
			}
		}
	}
	out := map[string]bench.Metric{TreeExactMetric: bench.Wilson(exact, len(trees)), TreeEditDistanceMetric: clampCI(bench.MeanCI(dists), 0, 1)}
	if pix2code > 0 {
		out[ParseRateMetric] = bench.Wilson(parsed, pix2code)
		if tokTotal > 0 {
			out[TokenAccuracyMetric] = bench.Exact(tokRight / tokTotal)
		}
	}
	return out
}

// clampCI clamps a metric's interval to [lo, hi].
func clampCI(m bench.Metric, lo, hi float64) bench.Metric {
	if m.CI95 != nil {
		ci := [2]float64{math.Max(m.CI95[0], lo), math.Min(m.CI95[1], hi)}
		m.CI95 = &ci
	}
	return m
}

// DecodePage turns a (predicted) class mask into a page tree. With the
// config the page was drawn with, the tree is the page of that config's
// grammar whose laid-out class mask agrees with the mask on the most
// pixels (webpages.FitTree); with a nil config, the instances are found
// by connected components and the tree by containment
// (webpages.TreeFromClassMask with its default options). Then the styles
// a class mask cannot hold are read from the screenshot and the tree
// (webpages.RestoreStyles). It returns the decoder's errors (a mask of
// another size than cfg's pages, a pixel past the last class id).
func DecodePage(mask *image.Gray, screenshot image.Image, cfg *webpages.Config) (*webpages.Element, error) {
	var tree *webpages.Element
	var err error
	if cfg != nil {
		tree, err = webpages.FitTree(mask, *cfg)
	} else {
		tree, err = webpages.TreeFromClassMask(mask, webpages.MaskOptions{})
	}
	if err != nil {
		return nil, err
	}
	webpages.RestoreStyles(tree, screenshot)
	return tree, nil
}

// DecodePages decodes every page of set from pred, its N×H×W predicted
// class ids, with the set's config (see DecodePage).
func DecodePages(set *Set, pred []uint8) ([]*webpages.Element, error) {
	trees := make([]*webpages.Element, set.Len())
	h, w := set.Shape[1], set.Shape[2]
	for i := range trees {
		t, err := DecodePage(maskImage(pred[i*h*w:(i+1)*h*w], h, w), set.Screenshot(i), set.Config)
		if err != nil {
			return nil, err
		}
		trees[i] = t
	}
	return trees, nil
}

// PipelineScores scores predicted class masks of set: the segmentation
// (SegmentationScores) and the trees decoded from them (TreeScores).
func PipelineScores(set *Set, pred []uint8) (map[string]bench.Metric, error) {
	trees, err := DecodePages(set, pred)
	if err != nil {
		return nil, err
	}
	out := SegmentationScores(set.Masks, pred)
	for k, v := range TreeScores(set, trees) {
		out[k] = v
	}
	return out, nil
}

// MajorityClass is the class the most pixels of the masks have (the lower
// id on a tie): the majority-class baseline's prediction for every pixel.
func MajorityClass(masks []uint8) uint8 {
	counts := make([]int, 256)
	for _, c := range masks {
		counts[c]++
	}
	best := 0
	for c, n := range counts {
		if n > counts[best] {
			best = c
		}
	}
	return uint8(best)
}

// MajorityScores scores the majority-class baseline on set: every pixel
// of every page predicted class c, through the same pipeline as a
// segmentation (PipelineScores), each metric named with the prefix
// "majority_". It gives the floor a trained model must clear.
func MajorityScores(set *Set, c uint8) (map[string]bench.Metric, error) {
	pred := make([]uint8, len(set.Masks))
	for i := range pred {
		pred[i] = c
	}
	all, err := PipelineScores(set, pred)
	if err != nil {
		return nil, err
	}
	out := map[string]bench.Metric{}
	for _, name := range majorityMetrics {
		if v, ok := all[name]; ok {
			out[majorityPrefix+name] = v
		}
	}
	return out, nil
}
