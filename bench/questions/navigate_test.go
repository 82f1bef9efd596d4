package questions

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/models"
)

// TestNavigateEndToEnd generates a small programs dataset, trains a
// state-rn-lstm briefly, runs the navigation and checks its scores and
// questions_navigation.txt. The thresholds are well below what this
// setup measured (decoder_exact 0.525, endpoint parse rate 0.984, interior
// parse rate 0.875 against 0.208 for random directions), and far above
// what a decoder that did not learn gets (0).
func TestNavigateEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two reasoner-sized decoders")
	}
	dir := writeDataset(t, t.TempDir(), "prog", "clevrlite", programsSettings, 40, 8)
	data, err := LoadNavigateData(dir, "train", "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(data.Scenes) != 8 {
		t.Fatalf("%d test scenes, want 8", len(data.Scenes))
	}
	r := trainedTextReasoner(t, data)
	defer r.Close()
	opts := NavigateOptions{Embed: 16, Hidden: 64, Steps: 500, Batch: 32, LR: 1e-2, Pairs: 16, Points: 3, ExactQuestions: 80, Seed: 5}
	nav, err := Navigate(context.Background(), r, data, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range NavigateInfos() {
		m, ok := nav.Scores[info.Name]
		if !ok {
			t.Errorf("no %s", info.Name)
			continue
		}
		if math.IsNaN(m.Value) || m.Value < 0 || m.Value > 1 || m.CI95 == nil {
			t.Errorf("%s = %+v; want a share with an interval", info.Name, m)
		}
	}
	for name, m := range nav.Scores {
		t.Logf("%-44s %.3f", name, m.Value)
	}
	if got := nav.Scores[DecoderExactMetric].Value; got < 0.3 {
		t.Errorf("decoder_exact %.3f; want ≥ 0.3: the decoder did not learn to write questions back", got)
	}
	if got := nav.Scores[NavigateMetric(NavigateParseMetric, "endpoint", false)].Value; got < 0.6 {
		t.Errorf("endpoint parse rate %.3f; want ≥ 0.6", got)
	}
	// The points between two questions decode to questions far more often
	// than random vectors of their norm.
	if got, random := nav.Scores[NavigateParseMetric], nav.Scores[NavigateMetric(NavigateParseMetric, "random", false)]; got.CI95[0] <= random.CI95[1] {
		t.Errorf("interior parse rate %.3f %v does not beat random directions' %.3f %v", got.Value, *got.CI95, random.Value, *random.CI95)
	}
	// Written questions of other scenes always parse.
	if got, ok := nav.Scores[NavigateMetric(NavigateParseMetric, "chance", false)]; ok {
		t.Errorf("chance parse rate reported (%v); chance questions are written, not decoded", got)
	}
	path, err := WriteNavigation(t.TempDir(), nav)
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pair 1 (same scene", "two families", "t=0.00", "t=0.50", "t=1.00", "✓", DecoderExactMetric} {
		if !strings.Contains(string(text), want) {
			t.Errorf("%s lacks %q:\n%s", NavigationFile, want, text)
		}
	}
	if len(nav.Paths) != 6 || len(nav.Paths[0].Points) != 5 || nav.Paths[0].CrossFamily || !nav.Paths[5].CrossFamily {
		t.Errorf("%d paths; want 3 same-scene then 3 cross-family, of 5 points each", len(nav.Paths))
	}
	t.Logf("\n%s", text)
}

// trainedTextReasoner trains a small state-rn-lstm on data's training
// questions for a few epochs.
func trainedTextReasoner(t *testing.T, data *NavigateData) *models.Reasoner {
	t.Helper()
	answers := NewAnswerVocab(data.Train.Answer)
	l := data.Train.Layout
	cfg := models.ReasonerConfig{Arch: models.StateRN, Objects: l.Objects, ObjectSize: l.ObjectSize(), Answers: len(answers), Seed: 3, Width: 32,
		Text: &models.TextConfig{Words: data.Vocab.Size(), Length: data.Vocab.Length, Embed: 16, Hidden: 32}}
	r, err := models.NewReasoner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	q := &models.VQA{Objects: data.Train.States, Image: data.Train.Image}
	for i, text := range data.Train.Text {
		q.Tokens, _ = data.Vocab.Encode(q.Tokens, text)
		q.Answers = append(q.Answers, answers.Class(data.Train.Answer[i]))
	}
	tc := models.TrainConfig{Epochs: 2, Batch: 32, LR: 1e-3, Seed: 3}
	if _, err := models.Train(context.Background(), r, q.Len(), r.Feeder(q, 0), tc, nil); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestNavigateRefuses: a reasoner without text and a vocabulary that is
// not the reasoner's are refused.
func TestNavigateRefuses(t *testing.T) {
	dir := writeDataset(t, t.TempDir(), "prog", "clevrlite", programsSettings, 2, 1)
	data, err := LoadNavigateData(dir, "train", "test")
	if err != nil {
		t.Fatal(err)
	}
	floatQ, err := models.NewReasoner(models.ReasonerConfig{Arch: models.QuestionOnly, Question: 4, Answers: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Navigate(context.Background(), floatQ, data, NavigateOptions{}); err == nil || !strings.Contains(err.Error(), "reads text") {
		t.Errorf("a reasoner of question vectors: error %v, want one saying navigation needs text", err)
	}
	other, err := models.NewReasoner(models.ReasonerConfig{Arch: models.QuestionOnly, Answers: 3, Seed: 1,
		Text: &models.TextConfig{Words: data.Vocab.Size() + 1, Length: data.Vocab.Length, Embed: 2, Hidden: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Navigate(context.Background(), other, data, NavigateOptions{}); err == nil || !strings.Contains(err.Error(), "vocabulary") {
		t.Errorf("another vocabulary: error %v, want one naming the vocabulary", err)
	}
}

// TestJudgeText: a generated question is relevant to its own scene;
// decoded garbage does not parse; and a well-formed question about a
// color the scene lacks parses but is not relevant.
func TestJudgeText(t *testing.T) {
	dir := writeDataset(t, t.TempDir(), "prog", "clevrlite", programsSettings, 1, 1)
	qs, scenes, err := LoadScenes(dir, "train")
	if err != nil {
		t.Fatal(err)
	}
	ex := firstExample(t, dir)
	scene := scenes[0]
	if len(scene.Objects) != len(ex.Objects) {
		t.Fatalf("scene of %d objects, the sample has %d", len(scene.Objects), len(ex.Objects))
	}
	colors := map[string]bool{}
	for _, o := range scene.Objects {
		colors[o.Color] = true
	}
	var absent string
	for _, c := range programsColors(t, dir) {
		if !colors[c] {
			absent = c
			break
		}
	}
	tests := []struct {
		name             string
		text             string
		parsed, relevant bool
	}{
		{"generated", ex.Questions[0].Text, true, true},
		{"garbage", "what what the ?", false, false},
		{"absent color", "What shape is the " + absent + " object?", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := judgeText(qs, scene, tt.text)
			if j.Parsed != tt.parsed || j.Relevant != tt.relevant || (j.Why == "") != tt.relevant {
				t.Errorf("%q: %+v; want parsed %v, relevant %v", tt.text, j, tt.parsed, tt.relevant)
			}
		})
	}
}

// programsColors returns the colors of the dataset's config.
func programsColors(t *testing.T, dir string) []string {
	t.Helper()
	_, cfg, err := OpenDataset(dir, "train")
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Colors
}

// TestPaths: lerp and slerp start and end at the endpoints, slerp keeps
// the norm of two vectors of equal norm, and a random direction has the
// norm it is given.
func TestPaths(t *testing.T) {
	a, b := []float32{3, 0}, []float32{0, 3}
	norm := func(v []float32) float64 { return math.Hypot(float64(v[0]), float64(v[1])) }
	for _, tt := range []struct {
		name string
		f    func(a, b []float32, t float64) []float32
		mid  float64 // the norm at t = ½
	}{
		{"lerp", lerp, 3 / math.Sqrt2},
		{"slerp", slerp, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f(a, b, 0); !slices.Equal(got, a) {
				t.Errorf("t=0: %v, want %v", got, a)
			}
			if got := tt.f(a, b, 1); math.Abs(float64(got[0])) > 1e-6 || math.Abs(float64(got[1]-3)) > 1e-6 {
				t.Errorf("t=1: %v, want %v", got, b)
			}
			// float32 rounding: 1e-6 relative.
			if got := norm(tt.f(a, b, 0.5)); math.Abs(got-tt.mid) > 1e-6*tt.mid {
				t.Errorf("norm at t=½: %v, want %v", got, tt.mid)
			}
		})
	}
	if got := slerp(a, []float32{6, 0}, 0.5); !slices.Equal(got, []float32{4.5, 0}) {
		t.Errorf("slerp of parallel vectors %v, want lerp's [4.5 0]", got)
	}
	r := randomLike([]float32{3, 4}, rand.New(rand.NewPCG(1, 1)))
	if got := norm(r); math.Abs(got-5) > 1e-5 {
		t.Errorf("random direction of norm %v, want 5", got)
	}
}

// TestDrawPairs: same-scene pairs are of one scene with two texts,
// cross-family pairs of two families, and the draw is seeded.
func TestDrawPairs(t *testing.T) {
	s := &Set{
		Image:  []int{0, 0, 0, 1, 2, 2},
		Text:   []string{"a", "b", "a", "c", "d", "d"},
		Family: []string{"f", "f", "g", "f", "f", "g"},
	}
	same, cross := drawPairs(s, 30, 9)
	if len(same) != 30 || len(cross) != 30 {
		t.Fatalf("%d and %d pairs, want 30 each", len(same), len(cross))
	}
	for _, p := range same {
		if s.Image[p.a] != s.Image[p.b] || s.Text[p.a] == s.Text[p.b] {
			t.Errorf("same-scene pair %v: images %d, %d, texts %q, %q", p, s.Image[p.a], s.Image[p.b], s.Text[p.a], s.Text[p.b])
		}
	}
	for _, p := range cross {
		if s.Image[p.a] != s.Image[p.b] || s.Family[p.a] == s.Family[p.b] {
			t.Errorf("cross-family pair %v of families %s, %s", p, s.Family[p.a], s.Family[p.b])
		}
	}
	again, _ := drawPairs(s, 30, 9)
	if !slices.Equal(same, again) {
		t.Error("the same seed drew other pairs")
	}
	if none, _ := drawPairs(&Set{Image: []int{0, 1}, Text: []string{"a", "b"}, Family: []string{"f", "f"}}, 5, 1); len(none) != 0 {
		t.Errorf("scenes of one question each gave pairs %v", none)
	}
}

// TestJoinWords: words are spaced, punctuation is not.
func TestJoinWords(t *testing.T) {
	v := NewVocab([]string{"What color is the cube?", "Is there a red, blue thing?"})
	for _, text := range []string{"what color is the cube?", "is there a red, blue thing?"} {
		ids, _ := v.Encode(nil, text)
		if got := joinWords(v, trimPadding(ids)); got != text {
			t.Errorf("joinWords(%v) = %q, want %q", ids, got, text)
		}
	}
}

// TestNavigateMeasure measures the navigation on a real dataset: set
// HIDDENDIM_NAVIGATE_DIR to a clevrlite programs dataset with train and
// test splits. It trains a state-rn-lstm of the kind's sizes (embeddings
// 32, LSTM 128) with g and f 128 wide for 3 epochs, then navigates with
// the default options, and logs the scores and questions_navigation.txt.
// It fails if the run fails or the decoder reproduces less than half of
// the test questions.
//
//	HIDDENDIM_NAVIGATE_DIR=/tmp/prog go test ./bench/questions/ -run NavigateMeasure -v -timeout 30m
func TestNavigateMeasure(t *testing.T) {
	dir := os.Getenv("HIDDENDIM_NAVIGATE_DIR")
	if dir == "" {
		t.Skip("set HIDDENDIM_NAVIGATE_DIR to a clevrlite programs dataset to measure the navigation")
	}
	data, err := LoadNavigateData(dir, "train", "test")
	if err != nil {
		t.Fatal(err)
	}
	answers := NewAnswerVocab(data.Train.Answer)
	l := data.Train.Layout
	cfg := models.ReasonerConfig{Arch: models.StateRN, Objects: l.Objects, ObjectSize: l.ObjectSize(), Answers: len(answers), Seed: 1, Width: 128,
		Text: &models.TextConfig{Words: data.Vocab.Size(), Length: data.Vocab.Length, Embed: 32, Hidden: 128}}
	r, err := models.NewReasoner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	q := &models.VQA{Objects: data.Train.States, Image: data.Train.Image}
	for i, text := range data.Train.Text {
		q.Tokens, _ = data.Vocab.Encode(q.Tokens, text)
		q.Answers = append(q.Answers, answers.Class(data.Train.Answer[i]))
	}
	if _, err := models.Train(context.Background(), r, q.Len(), r.Feeder(q, 0), models.TrainConfig{Epochs: 3, Batch: 64, LR: 1e-3, Seed: 1}, nil); err != nil {
		t.Fatal(err)
	}
	pred, err := r.Predict(q, 256)
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for i, p := range pred {
		if p == q.Answers[i] {
			right++
		}
	}
	t.Logf("state-rn-lstm: %d training questions, training accuracy %.3f", q.Len(), float64(right)/float64(q.Len()))
	nav, err := Navigate(context.Background(), r, data, NavigateOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", nav.Text())
	if got := nav.Scores[DecoderExactMetric].Value; got < 0.5 {
		t.Errorf("decoder_exact %.3f; want ≥ 0.5", got)
	}
}
