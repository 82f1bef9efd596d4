package caption

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/scenes"
	"github.com/hiddendim/hiddendim/webpages"
)

// adapter is everything captioning does differently for one dataset: how
// a record becomes a caption (and, for scenes, the figures and scene graph
// it is judged against), how a generated caption is scored against the
// true one, and which metrics that gives.
type adapter struct {
	// scenes says the samples are scenes of figures, with instance masks,
	// objects and scene graphs: caption_truth and attention_correctness
	// apply.
	scenes bool
	// read returns a record's caption and, for scenes, its figures,
	// instance mask and scene graph; dir names the dataset in errors.
	read func(rec generators.Record, imageSize int, dir string) (sample, error)
	// score compares one generated caption, pred, with the true one,
	// adding to c.
	score func(truth, pred string, truthWords, predWords []string, c *counts)
	// report adds the dataset's own metrics from the counts; nil adds none.
	report func(c *counts, m map[string]float64)
	// check refuses a dataset config whose samples read cannot caption;
	// nil takes any.
	check func(cfg generators.Config) error
	// metrics are every metric CaptionScores can give on the dataset.
	metrics []string
	// vocab builds the vocabulary from the training captions; nil is
	// BuildVocab.
	vocab func(captions []string) *Vocab
	// grammar, if not nil, gives the decoding constraint of the captions'
	// grammar over a vocabulary (a model entry's "grammar": true).
	grammar func(v *Vocab) func(prefix []int, left int, allowed []bool)
}

// adapters are the datasets captioning reads, by generator name.
var adapters = map[string]adapter{
	"relations": {scenes: true, read: readScene(relationScene), score: scoreRelations, report: reportRelations,
		metrics: metricList(sceneMetrics, "relation_accuracy_given_objects")},
	"counting": {scenes: true, read: readScene(countScene), score: scoreCounting,
		metrics: metricList(sceneMetrics)},
	// Screenshot to pix2code: pix2code reports token accuracy; a page has
	// no scene graph to judge truth against, so no caption_truth.
	"webpages": {read: readPage, score: scorePage, report: reportPage, check: checkPages,
		metrics: metricList(commonMetrics, "tree_exact_match", "token_accuracy"), vocab: pageVocab, grammar: pix2codeAllow},
}

// commonMetrics are scored on every dataset; sceneMetrics on scenes of
// figures.
var (
	commonMetrics = []string{"exact_match", "parse_rate", "canonical_exact_match", "bleu1", "bleu2", "bleu3", "bleu4"}
	sceneMetrics  = metricList(commonMetrics, "caption_truth", "slot_accuracy", "attention_correctness")
)

func metricList(base []string, more ...string) []string {
	return append(slices.Clone(base), more...)
}

// TrainsOn lists, in name order, the datasets captioning reads.
func TrainsOn() []string {
	names := make([]string, 0, len(adapters))
	for name := range adapters {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// sample is one record read for captioning.
type sample struct {
	caption string
	// mask, objects and scene are nil for samples without figures.
	mask    []uint8
	objects []scenes.Figure
	scene   scenes.Scene
}

// counts are what CaptionScores adds up over the samples, besides exact
// matches and caption truth.
type counts struct {
	parsed, canon      float64
	slotsRight, slots  float64
	relRight, relTotal float64
	tokRight, tokTotal float64
}

// readScene reads a scene's caption, figures and instance mask; graph
// reads its scene graph.
func readScene(graph func(rec generators.Record, imageSize int) (scenes.Scene, error)) func(generators.Record, int, string) (sample, error) {
	return func(rec generators.Record, imageSize int, _ string) (sample, error) {
		var ex struct {
			Caption string          `json:"caption"`
			Objects []scenes.Figure `json:"objects"`
		}
		if err := rec.Decode(&ex); err != nil {
			return sample{}, err
		}
		mask, err := rec.Image("mask")
		if err != nil {
			return sample{}, err
		}
		scene, err := graph(rec, imageSize)
		if err != nil {
			return sample{}, err
		}
		return sample{caption: ex.Caption, mask: grayPix(mask), objects: ex.Objects, scene: scene}, nil
	}
}

// relationScene reads a relations record's scene graph.
func relationScene(rec generators.Record, imageSize int) (scenes.Scene, error) {
	var ex scenes.RelationsExample
	if err := rec.Decode(&ex); err != nil {
		return nil, err
	}
	return scenes.RelationScene{ImageSize: imageSize, Objects: ex.Objects}, nil
}

// countScene reads a counting record's scene graph.
func countScene(rec generators.Record, _ int) (scenes.Scene, error) {
	var ex scenes.CountingExample
	if err := rec.Decode(&ex); err != nil {
		return nil, err
	}
	return scenes.CountScene{Objects: ex.Objects, Relations: ex.Relations}, nil
}

// readPage reads a page's "caption" for screenshot-to-code: its pix2code.
func readPage(rec generators.Record, _ int, dir string) (sample, error) {
	var ex struct {
		Pix2Code *string `json:"pix2code"`
	}
	if err := rec.Decode(&ex); err != nil {
		return sample{}, err
	}
	if ex.Pix2Code == nil || *ex.Pix2Code == "" {
		return sample{}, fmt.Errorf("caption: page %d of %s has no pix2code; generate with --set pix2code=true", rec.Index, dir)
	}
	return sample{caption: *ex.Pix2Code}, nil
}

// checkPages refuses pages generated without pix2code=true, some of which
// pix2code's DSL cannot say.
func checkPages(cfg generators.Config) error {
	if c, ok := cfg.(*webpages.Config); ok && !c.Pix2Code {
		return errors.New(`captioning reads pages in pix2code's DSL; set "pix2code": "true"`)
	}
	return nil
}

// scoreRelations compares in canonical form: the color and shape of each
// figure and the relation, slot by slot; and, among two-figure scenes
// whose two figures the caption names right, whether it relates them
// right.
func scoreRelations(truth, pred string, _, _ []string, c *counts) {
	t, err := scenes.ParseCaption(truth)
	if err != nil {
		return // the generator's own captions always parse
	}
	p, perr := scenes.ParseCaption(pred)
	tc := t.Canonical()
	ts := relationSlots(tc)
	c.slots += float64(len(ts))
	if perr != nil {
		return
	}
	c.parsed++
	pc := p.Canonical()
	if pc == tc {
		c.canon++
	}
	ps := relationSlots(pc)
	for k := range ts {
		if k < len(ps) && ps[k] == ts[k] {
			c.slotsRight++
		}
	}
	if !t.Single() {
		if !p.Single() && sameFigures(t, p) {
			c.relTotal++
			if pc == tc {
				c.relRight++
			}
		}
	}
}

// reportRelations adds relation_accuracy_given_objects when some caption
// named both figures of a two-figure scene right.
func reportRelations(c *counts, m map[string]float64) {
	if c.relTotal > 0 {
		m["relation_accuracy_given_objects"] = c.relRight / c.relTotal
	}
}

func relationSlots(c scenes.Caption) []string {
	s := []string{c.A.Color, c.A.Shape}
	if !c.Single() {
		s = append(s, c.Rel, c.B.Color, c.B.Shape)
	}
	return s
}

func sameFigures(a, b scenes.Caption) bool {
	return (a.A == b.A && a.B == b.B) || (a.A == b.B && a.B == b.A)
}

// scoreCounting compares parsed captions, and counts the true groups
// (count, size, color, shape) the caption names.
func scoreCounting(truth, pred string, _, _ []string, c *counts) {
	t, err := scenes.ParseCountCaption(truth)
	if err != nil {
		return
	}
	c.slots += float64(len(t.Groups))
	p, perr := scenes.ParseCountCaption(pred)
	if perr != nil {
		return
	}
	c.parsed++
	if p.Equal(t) {
		c.canon++
	}
	for _, tg := range t.Groups {
		if slices.Contains(p.Groups, tg) {
			c.slotsRight++
		}
	}
}

// scorePage compares pix2code token by token, and the page trees the two
// parse to.
func scorePage(truth, pred string, truthWords, predWords []string, c *counts) {
	truthTree, err := webpages.ParsePix2Code(truth)
	if err != nil {
		return
	}
	right, total := TokenMatches(truthWords, predWords)
	c.tokRight += right
	c.tokTotal += total
	tree, perr := webpages.ParsePix2Code(pred)
	if perr != nil {
		return
	}
	c.parsed++
	if webpages.SameStructure(tree, truthTree) {
		c.canon++
	}
}

// reportPage adds tree_exact_match (the canonical match: the same tree)
// and token_accuracy.
func reportPage(c *counts, m map[string]float64) {
	m["tree_exact_match"] = m["canonical_exact_match"]
	if c.tokTotal > 0 {
		m["token_accuracy"] = c.tokRight / c.tokTotal
	}
}

// TokenMatches compares token sequences position by position, as
// pix2code's evaluation does: a length mismatch counts every missing or
// extra token as an error. It returns the matches and the positions
// compared (the longer length).
func TokenMatches(truth, pred []string) (right, total float64) {
	for i := range min(len(truth), len(pred)) {
		if truth[i] == pred[i] {
			right++
		}
	}
	return right, float64(max(len(truth), len(pred)))
}
