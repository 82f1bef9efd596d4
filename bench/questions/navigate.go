package questions

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/clevrlite"
	"github.com/hiddendim/hiddendim/models"
)

// This file is latent navigation on questions (issue 16's last part):
// a decoder learns to write a question back from its vector (the trained
// reasoner's question encoder, frozen), and the points on the straight
// line between two test questions' vectors are decoded and judged: does
// the text parse as a question of the config (clevrlite's Parse), and is
// it relevant to the scene the two were asked of (clevrlite.Relevant)?

// The navigation's metrics. Every share has a Wilson interval.
const (
	// DecoderExactMetric is the share of the test questions checked whose
	// vector decodes back to their own words.
	DecoderExactMetric = "decoder_exact"
	// NavigateParseMetric and NavigateRelevantMetric are the shares of the
	// interior points (lerp) between two questions of one scene that
	// decode to a question of the config, and to one relevant to the
	// scene. NavigateNovelMetric is the share that decode to a relevant
	// question other than both endpoints' decodings.
	NavigateParseMetric    = "navigate_parse_rate"
	NavigateRelevantMetric = "navigate_relevant"
	NavigateNovelMetric    = "navigate_novel"
)

// The metric name parts: the pairs and the path (same-scene pairs on the
// straight line when absent), and the encoder (trained when absent).
const (
	navCross     = "_cross_family" // pairs of one scene and two families
	navSlerp     = "_slerp"        // the great-circle path
	navEndpoint  = "_endpoint"     // the pairs' own vectors
	navRandom    = "_random"       // a random direction of each point's norm
	navChance    = "_chance"       // another scene's question, as written
	navUntrained = "_untrained"    // the same protocol on the untrained encoder
)

// NavigateMetric names a navigation share: base (NavigateParseMetric,
// NavigateRelevantMetric or NavigateNovelMetric) of the points kind
// ("" for lerp interior points of same-scene pairs, "cross_family",
// "slerp", "endpoint", "random" or "chance") on the trained encoder, or
// the untrained one.
func NavigateMetric(base, points string, untrained bool) string {
	name := base
	if points != "" {
		name += "_" + points
	}
	if untrained {
		name += navUntrained
	}
	return name
}

// navPoints are the point kinds and which bases each reports: chance
// points are written questions, which always parse.
var navPoints = []struct {
	kind  string
	bases []string
}{
	{"", []string{NavigateParseMetric, NavigateRelevantMetric, NavigateNovelMetric}},
	{navCross[1:], []string{NavigateParseMetric, NavigateRelevantMetric, NavigateNovelMetric}},
	{navSlerp[1:], []string{NavigateParseMetric, NavigateRelevantMetric, NavigateNovelMetric}},
	{navEndpoint[1:], []string{NavigateParseMetric, NavigateRelevantMetric}},
	{navRandom[1:], []string{NavigateParseMetric, NavigateRelevantMetric}},
	{navChance[1:], []string{NavigateRelevantMetric}},
}

// NavigateInfos describes the navigation's metrics, every one a share in
// [0, 1] where higher is better (for the random and chance references
// too: they are floors).
func NavigateInfos() []bench.MetricInfo {
	var out []bench.MetricInfo
	for _, untrained := range []bool{false, true} {
		out = append(out, bench.Proportion(DecoderExactMetric+map[bool]string{true: navUntrained}[untrained]))
		for _, p := range navPoints {
			for _, b := range p.bases {
				out = append(out, bench.Proportion(NavigateMetric(b, p.kind, untrained)))
			}
		}
	}
	return out
}

// NavigationFile is the file WriteNavigation writes.
const NavigationFile = "questions_navigation.txt"

// NavigateOptions are the navigation's budget and sample sizes. The zero
// value of each field means its default.
type NavigateOptions struct {
	// Embed and Hidden are the decoder's sizes (the question encoder's).
	Embed, Hidden int
	// Steps, Batch and LR are the decoder's training budget (2000 updates
	// of 64 questions at 3e-3, Adam).
	Steps, Batch int
	LR           float64
	// TrainQuestions caps the training questions the decoder learns from,
	// evenly spaced (20000).
	TrainQuestions int
	// ExactQuestions caps the test questions decoder_exact checks, evenly
	// spaced (1000).
	ExactQuestions int
	// Pairs is the number of same-scene pairs and of cross-family pairs
	// (200 each); Points the interior points per pair (3: t = ¼, ½, ¾).
	Pairs, Points int
	// Show is the number of pairs of each kind questions_navigation.txt
	// shows (3).
	Show int
	// NoUntrained skips the untrained encoder's baseline, which costs a
	// second decoder training.
	NoUntrained bool
	// Seed draws the decoder's weights and shuffles, the pairs and the
	// random directions.
	Seed uint64
	// Progress, if set, is told each decoder update.
	Progress func(what string, step, total int)
}

func (o NavigateOptions) withDefaults(tc *models.TextConfig) NavigateOptions {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Embed, tc.Embed)
	def(&o.Hidden, tc.Hidden)
	def(&o.Steps, 2000)
	def(&o.Batch, 64)
	def(&o.TrainQuestions, 20000)
	def(&o.ExactQuestions, 1000)
	def(&o.Pairs, 200)
	def(&o.Points, 3)
	def(&o.Show, 3)
	if o.LR <= 0 {
		o.LR = 3e-3
	}
	return o
}

// NavigateData is what Navigate reads besides the reasoner: the task's
// sets and word vocabulary, the question families that parse decoded
// text, and the test scenes that judge it.
type NavigateData struct {
	Train, Test *Set
	Vocab       Vocab
	// Questions parses decoded text: clevrlite.NewQuestions of the
	// dataset's config.
	Questions *clevrlite.Questions
	// Scenes are the test split's scenes, indexed as Test.Image.
	Scenes []*clevrlite.Scene
}

// LoadScenes reads the question families of the clevrlite dataset in dir
// and the scenes of its split, in the split's order (as a Set's Image
// indexes them).
func LoadScenes(dir, split string) (*clevrlite.Questions, []*clevrlite.Scene, error) {
	r, cfg, err := OpenDataset(dir, split)
	if err != nil {
		return nil, nil, err
	}
	qs, err := clevrlite.NewQuestions(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("questions: %s: %w", dir, err)
	}
	sr, err := r.Split(split)
	if err != nil {
		return nil, nil, err
	}
	defer sr.Close()
	var scenes []*clevrlite.Scene
	for sr.Next() {
		var ex struct {
			Objects []clevrlite.Object `json:"objects"`
		}
		rec := sr.Record()
		if err := rec.Decode(&ex); err != nil {
			return nil, nil, fmt.Errorf("questions: %s/%s sample %d: %w", dir, split, rec.Index, err)
		}
		scenes = append(scenes, qs.Scene(ex.Objects))
	}
	if err := sr.Err(); err != nil {
		return nil, nil, err
	}
	return qs, scenes, nil
}

// LoadNavigateData reads what Navigate needs of the dataset in dir: the
// train and test sets (without pixels: the navigation reads question
// vectors only), their vocabulary, question families and test scenes.
func LoadNavigateData(dir, train, test string) (*NavigateData, error) {
	tr, err := LoadSet(dir, train, false)
	if err != nil {
		return nil, err
	}
	te, err := LoadSet(dir, test, false)
	if err != nil {
		return nil, err
	}
	qs, scenes, err := LoadScenes(dir, test)
	if err != nil {
		return nil, err
	}
	return &NavigateData{Train: tr, Test: te, Vocab: NewVocab(tr.Text), Questions: qs, Scenes: scenes}, nil
}

// check refuses data that do not fit together.
func (d *NavigateData) check() error {
	if d.Train == nil || d.Test == nil || d.Questions == nil {
		return fmt.Errorf("questions: navigation needs train and test sets and the question families")
	}
	if err := d.Vocab.check(); err != nil {
		return err
	}
	for i, im := range d.Test.Image {
		if im < 0 || im >= len(d.Scenes) {
			return fmt.Errorf("questions: test question %d is of image %d; there are %d scenes", i, im, len(d.Scenes))
		}
	}
	return nil
}

// Navigation is the outcome of Navigate: the scores and the paths
// questions_navigation.txt shows.
type Navigation struct {
	Scores map[string]bench.Metric
	// Paths are the shown pairs, same-scene ones first.
	Paths []Path
}

// Path is one pair's decoded texts from the first question's vector (T
// 0) to the second's (T 1).
type Path struct {
	// CrossFamily tells the pair of two families apart.
	CrossFamily bool
	Image       int
	// From and To are the pair's questions as written.
	From, To string
	Points   []Judged
}

// Judged is a decoded question and its verdict on the scene.
type Judged struct {
	T        float64
	Text     string
	Parsed   bool
	Relevant bool
	// Why is the parse error or the relevance flaw; "" when relevant.
	Why string
}

// Navigate trains a question decoder on r's question vectors of the
// training questions (r frozen), then decodes test questions' vectors
// and the points between pairs of them and judges the texts on their
// scenes: the metrics DecoderExactMetric, NavigateParseMetric,
// NavigateRelevantMetric and NavigateNovelMetric for same-scene pairs,
// cross-family pairs, the slerp path and the endpoints, with two
// references: each interior point's norm in a random direction, and a
// test question of another scene as written; and, unless
// opts.NoUntrained, all of it again on r's architecture untrained (the
// same config, so the same initial weights), its decoder trained the
// same way. The result is a pure function of r's weights, data and opts.
func Navigate(ctx context.Context, r *models.Reasoner, data *NavigateData, opts NavigateOptions) (*Navigation, error) {
	if r.Config.Text == nil {
		return nil, fmt.Errorf("questions: navigation needs a reasoner that reads text; %v reads question vectors", r.Config.Arch)
	}
	if err := data.check(); err != nil {
		return nil, err
	}
	if r.Config.Text.Words != data.Vocab.Size() || r.Config.Text.Length != data.Vocab.Length {
		return nil, fmt.Errorf("questions: the reasoner reads %d words in %d tokens; the vocabulary has %d in %d",
			r.Config.Text.Words, r.Config.Text.Length, data.Vocab.Size(), data.Vocab.Length)
	}
	opts = opts.withDefaults(r.Config.Text)
	nav := &Navigation{Scores: map[string]bench.Metric{}}
	same, cross := drawPairs(data.Test, opts.Pairs, opts.Seed)
	encoders := []*models.Reasoner{r}
	if !opts.NoUntrained {
		fresh, err := models.NewReasoner(r.Config)
		if err != nil {
			return nil, err
		}
		defer fresh.Close()
		encoders = append(encoders, fresh)
	}
	for k, enc := range encoders {
		untrained := k == 1
		scores, paths, err := navigateWith(ctx, enc, data, opts, same, cross, untrained)
		if err != nil {
			return nil, err
		}
		for name, m := range scores {
			nav.Scores[name] = m
		}
		if !untrained {
			nav.Paths = paths
		}
	}
	return nav, nil
}

// pair is two test questions of one scene.
type pair struct{ a, b int }

// drawPairs draws up to n pairs of distinct-text test questions of one
// scene, and up to n of one scene and two families, from (seed, 1).
func drawPairs(test *Set, n int, seed uint64) (same, cross []pair) {
	byImage := map[int][]int{}
	var images []int
	for q, im := range test.Image {
		if byImage[im] == nil {
			images = append(images, im)
		}
		byImage[im] = append(byImage[im], q)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	draw := func(crossFamily bool) []pair {
		var out []pair
		// A bounded number of tries: scenes of one question or one
		// family cannot give a pair.
		for try := 0; try < 20*n && len(out) < n; try++ {
			qs := byImage[images[rng.IntN(len(images))]]
			if len(qs) < 2 {
				continue
			}
			a, b := qs[rng.IntN(len(qs))], qs[rng.IntN(len(qs))]
			if test.Text[a] == test.Text[b] || crossFamily && test.Family[a] == test.Family[b] {
				continue
			}
			out = append(out, pair{a, b})
		}
		return out
	}
	same = draw(false)
	cross = draw(true)
	return same, cross
}

// zeroScene is a scene input of zeros for r: the question vector does
// not depend on the scene, so every question is asked of it.
func zeroScene(r *models.Reasoner, q *models.VQA) {
	cfg := r.Config
	q.Shape = cfg.Input
	switch {
	case cfg.Input[0] > 0:
		q.Images = make([]float32, cfg.Input[0]*cfg.Input[1]*cfg.Input[2])
	case cfg.Objects > 0:
		q.Objects = make([]float32, cfg.Objects*cfg.ObjectSize)
	}
}

// vectorsOf returns r's question vectors of texts (each Text.Hidden
// long) and their ids (each Vocab.Length long, padded).
func vectorsOf(r *models.Reasoner, vocab Vocab, texts []string) ([]float32, []int, error) {
	q := &models.VQA{Image: make([]int, len(texts))}
	zeroScene(r, q)
	for _, t := range texts {
		q.Tokens, _ = vocab.Encode(q.Tokens, t)
	}
	v, err := r.QuestionVectors(q, 256)
	return v, q.Tokens, err
}

// strided returns up to n of the indices 0…total−1, evenly spaced.
func strided(total, n int) []int {
	step := max((total+n-1)/n, 1)
	var idx []int
	for i := 0; i < total; i += step {
		idx = append(idx, i)
	}
	return idx
}

// navigateWith runs the protocol with enc's vectors: trains the decoder,
// decodes and judges.
func navigateWith(ctx context.Context, enc *models.Reasoner, data *NavigateData, opts NavigateOptions, same, cross []pair, untrained bool) (map[string]bench.Metric, []Path, error) {
	suffix := ""
	if untrained {
		suffix = navUntrained
	}
	var texts []string
	for _, i := range strided(data.Train.Len(), opts.TrainQuestions) {
		texts = append(texts, data.Train.Text[i])
	}
	qTrain, tokTrain, err := vectorsOf(enc, data.Vocab, texts)
	if err != nil {
		return nil, nil, err
	}
	H := enc.Config.Text.Hidden
	dec, err := models.NewQuestionDecoder(models.QuestionDecoderConfig{Input: H, Words: data.Vocab.Size(), Length: data.Vocab.Length,
		Embed: opts.Embed, Hidden: opts.Hidden, Seed: opts.Seed})
	if err != nil {
		return nil, nil, err
	}
	defer dec.Close()
	if err := dec.Check(qTrain, tokTrain); err != nil {
		return nil, nil, fmt.Errorf("questions: the training questions: %w", err)
	}
	what := "question decoder" + strings.ReplaceAll(suffix, "_", " ")
	tc := models.TrainConfig{Steps: opts.Steps, Batch: min(opts.Batch, len(texts)), LR: opts.LR, Seed: opts.Seed}
	if opts.Progress != nil {
		tc.OnStep = func(step, total int, _ float64) { opts.Progress(what, step, total) }
	}
	if _, err := models.Train(ctx, dec, len(texts), dec.Feeder(qTrain, tokTrain), tc, nil); err != nil {
		return nil, nil, fmt.Errorf("questions: %s: %w", what, err)
	}

	// Every test question a pair or decoder_exact reads, encoded once.
	test := data.Test
	exact := strided(test.Len(), opts.ExactQuestions)
	need := slices.Clone(exact)
	for _, p := range append(slices.Clone(same), cross...) {
		need = append(need, p.a, p.b)
	}
	slices.Sort(need)
	need = slices.Compact(need)
	needTexts := make([]string, len(need))
	for k, i := range need {
		needTexts[k] = test.Text[i]
	}
	qTest, tokTest, err := vectorsOf(enc, data.Vocab, needTexts)
	if err != nil {
		return nil, nil, err
	}
	row := map[int]int{} // test question → its row in qTest
	for k, i := range need {
		row[i] = k
	}
	vec := func(i int) []float32 { return qTest[row[i]*H : (row[i]+1)*H] }

	// The points to decode, in one batch: what each is and where it goes.
	var points []float32
	add := func(v []float32) int {
		points = append(points, v...)
		return len(points)/H - 1
	}
	exactAt := make([]int, len(exact))
	for k, i := range exact {
		exactAt[k] = add(vec(i))
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 2))
	type plan struct {
		p           pair
		cross       bool
		ends        [2]int
		lerp, slerp []int
		random      []int
		chance      []int // test questions of other scenes
		ts          []float64
	}
	var plans []plan
	for _, set := range []struct {
		pairs []pair
		cross bool
	}{{same, false}, {cross, true}} {
		for _, p := range set.pairs {
			a, b := vec(p.a), vec(p.b)
			pl := plan{p: p, cross: set.cross, ends: [2]int{add(a), add(b)}}
			for k := 1; k <= opts.Points; k++ {
				t := float64(k) / float64(opts.Points+1)
				pl.ts = append(pl.ts, t)
				l := lerp(a, b, t)
				pl.lerp = append(pl.lerp, add(l))
				if !set.cross {
					pl.slerp = append(pl.slerp, add(slerp(a, b, t)))
					pl.random = append(pl.random, add(randomLike(l, rng)))
					pl.chance = append(pl.chance, otherScene(test, p.a, rng))
				}
			}
			plans = append(plans, pl)
		}
	}
	decoded, err := dec.Decode(points, len(points)/H)
	if err != nil {
		return nil, nil, err
	}
	judge := func(at, image int) Judged {
		return judgeText(data.Questions, data.Scenes[image], joinWords(data.Vocab, decoded[at]))
	}

	scores := map[string]bench.Metric{}
	ok := 0
	for k, i := range exact {
		if slices.Equal(decoded[exactAt[k]], trimPadding(tokTest[row[i]*data.Vocab.Length:][:data.Vocab.Length])) {
			ok++
		}
	}
	scores[DecoderExactMetric+suffix] = bench.Wilson(ok, len(exact))

	type tally struct{ n, parsed, relevant, novel int }
	tallies := map[string]*tally{}
	count := func(kind string, j Judged, novel bool) {
		t := tallies[kind]
		if t == nil {
			t = &tally{}
			tallies[kind] = t
		}
		t.n++
		if j.Parsed {
			t.parsed++
		}
		if j.Relevant {
			t.relevant++
			if novel {
				t.novel++
			}
		}
	}
	var paths []Path
	shown := map[bool]int{}
	for _, pl := range plans {
		im := test.Image[pl.p.a]
		ends := [2]Judged{judge(pl.ends[0], im), judge(pl.ends[1], im)}
		ends[1].T = 1
		count(navEndpoint, ends[0], false)
		count(navEndpoint, ends[1], false)
		novel := func(j Judged) bool { return j.Text != ends[0].Text && j.Text != ends[1].Text }
		kind := ""
		if pl.cross {
			kind = navCross
		}
		path := Path{CrossFamily: pl.cross, Image: im, From: test.Text[pl.p.a], To: test.Text[pl.p.b], Points: []Judged{ends[0]}}
		for k, at := range pl.lerp {
			j := judge(at, im)
			j.T = pl.ts[k]
			count(kind, j, novel(j))
			path.Points = append(path.Points, j)
		}
		path.Points = append(path.Points, ends[1])
		for _, at := range pl.slerp {
			j := judge(at, im)
			count(navSlerp, j, novel(j))
		}
		for _, at := range pl.random {
			count(navRandom, judge(at, im), false)
		}
		for _, q := range pl.chance {
			count(navChance, judgeText(data.Questions, data.Scenes[im], test.Text[q]), false)
		}
		if shown[pl.cross] < opts.Show {
			shown[pl.cross]++
			paths = append(paths, path)
		}
	}
	for _, p := range navPoints {
		key := ""
		if p.kind != "" {
			key = "_" + p.kind
		}
		t := tallies[key]
		if t == nil {
			continue // no pairs of this kind
		}
		for _, b := range p.bases {
			k := map[string]int{NavigateParseMetric: t.parsed, NavigateRelevantMetric: t.relevant, NavigateNovelMetric: t.novel}[b]
			scores[NavigateMetric(b, p.kind, untrained)] = bench.Wilson(k, t.n)
		}
	}
	return scores, paths, nil
}

// otherScene returns a test question of another scene than question q's
// (q itself if every question is of q's scene).
func otherScene(test *Set, q int, rng *rand.Rand) int {
	for range 64 {
		o := rng.IntN(test.Len())
		if test.Image[o] != test.Image[q] {
			return o
		}
	}
	return q
}

// judgeText parses text as a question of qs and judges it on scene.
func judgeText(qs *clevrlite.Questions, scene *clevrlite.Scene, text string) Judged {
	j := Judged{Text: text}
	_, prog, err := qs.Parse(text)
	if err != nil {
		j.Why = strings.TrimPrefix(err.Error(), "clevrlite: ")
		if qe, ok := err.(*clevrlite.QuestionError); ok {
			// Not the list of every family's text that follows.
			j.Why, _, _ = strings.Cut(qe.Msg, "; they read")
		}
		return j
	}
	j.Parsed = true
	ok, why := clevrlite.Relevant(prog, scene)
	j.Relevant = ok
	if !ok {
		j.Why = why.String()
	}
	return j
}

// trimPadding returns ids up to the first padding.
func trimPadding(ids []int) []int {
	if k := slices.Index(ids, PadID); k >= 0 {
		return ids[:k]
	}
	return ids
}

// joinWords joins ids' words into a question: words separated by spaces,
// and punctuation against the word before it ("what color is it?").
func joinWords(v Vocab, ids []int) string {
	var b strings.Builder
	for k, id := range ids {
		w := v.Word(id)
		if k > 0 && (isWord(w) || strings.HasPrefix(w, "<")) {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	return b.String()
}

// lerp is (1−t)·a + t·b.
func lerp(a, b []float32, t float64) []float32 {
	out := make([]float32, len(a))
	for i := range a {
		out[i] = float32((1-t)*float64(a[i]) + t*float64(b[i]))
	}
	return out
}

// slerp is the great-circle path from a to b: sin((1−t)Ω)/sin Ω·a +
// sin(tΩ)/sin Ω·b, Ω the angle between them; lerp when they are
// (nearly) parallel.
func slerp(a, b []float32, t float64) []float32 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	cos := ab / math.Sqrt(aa*bb)
	if aa == 0 || bb == 0 || cos > 1-1e-9 || cos < -1+1e-9 {
		return lerp(a, b, t)
	}
	om := math.Acos(cos)
	wa, wb := math.Sin((1-t)*om)/math.Sin(om), math.Sin(t*om)/math.Sin(om)
	out := make([]float32, len(a))
	for i := range a {
		out[i] = float32(wa*float64(a[i]) + wb*float64(b[i]))
	}
	return out
}

// randomLike is a direction drawn uniformly (a normal vector, scaled) at
// v's norm.
func randomLike(v []float32, rng *rand.Rand) []float32 {
	var norm, rn float64
	r := make([]float64, len(v))
	for i, x := range v {
		norm += float64(x) * float64(x)
		r[i] = rng.NormFloat64()
		rn += r[i] * r[i]
	}
	scale := math.Sqrt(norm / rn)
	out := make([]float32, len(v))
	for i := range r {
		out[i] = float32(r[i] * scale)
	}
	return out
}

// WriteNavigation writes questions_navigation.txt into dir: the scores,
// then each shown pair's path, a line per point with ✓ (relevant to the
// scene) or ✗ and why not. It returns the file's path.
func WriteNavigation(dir string, nav *Navigation) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("questions: %w", err)
	}
	path := filepath.Join(dir, NavigationFile)
	if err := os.WriteFile(path, []byte(nav.Text()), 0o644); err != nil {
		return "", fmt.Errorf("questions: %w", err)
	}
	return path, nil
}

// Text is questions_navigation.txt's content.
func (nav *Navigation) Text() string {
	var b strings.Builder
	b.WriteString("Latent navigation between test questions: the decoded question at each point\n")
	b.WriteString("of the straight line from the first question's vector to the second's;\n")
	b.WriteString("✓ relevant to the scene, ✗ not (why).\n\n")
	names := make([]string, 0, len(nav.Scores))
	for n := range nav.Scores {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		m := nav.Scores[n]
		fmt.Fprintf(&b, "%-44s %.3f", n, m.Value)
		if m.CI95 != nil {
			fmt.Fprintf(&b, "  [%.3f, %.3f]", m.CI95[0], m.CI95[1])
		}
		b.WriteByte('\n')
	}
	for k, p := range nav.Paths {
		kind := "same scene"
		if p.CrossFamily {
			kind = "same scene, two families"
		}
		fmt.Fprintf(&b, "\npair %d (%s, test image %d)\n  from: %s\n  to:   %s\n", k+1, kind, p.Image, p.From, p.To)
		for _, j := range p.Points {
			mark := "✓"
			if !j.Relevant {
				mark = "✗"
			}
			fmt.Fprintf(&b, "  t=%.2f %s %s", j.T, mark, j.Text)
			if j.Why != "" {
				fmt.Fprintf(&b, "   (%s)", j.Why)
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// NavigateCheckpoint runs Navigate for the text-questions model saved at
// checkpoint on the dataset in dir (its train and test splits), with the
// checkpoint's own word vocabulary, and writes questions_navigation.txt
// and navigation.json (the scores) to out. It returns the navigation and
// the text file's path.
func NavigateCheckpoint(ctx context.Context, checkpoint, dir, train, test, out string, opts NavigateOptions) (*Navigation, string, error) {
	r, meta, err := Load(checkpoint)
	if err != nil {
		return nil, "", err
	}
	defer r.Close()
	data, err := LoadNavigateData(dir, train, test)
	if err != nil {
		return nil, "", err
	}
	data.Vocab = meta.Vocab
	nav, err := Navigate(ctx, r, data, opts)
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, "", fmt.Errorf("questions: %w", err)
	}
	path, err := WriteNavigation(out, nav)
	if err != nil {
		return nil, "", err
	}
	b, err := json.MarshalIndent(nav.Scores, "", "  ")
	if err != nil {
		return nil, "", err
	}
	return nav, path, os.WriteFile(filepath.Join(out, "navigation.json"), append(b, '\n'), 0o644)
}
