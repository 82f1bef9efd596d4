package models

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
)

// The toy task of the learning tests: scenes of 4 objects, each a one-hot
// colour of 4 and a one-hot slot of 4, and questions of 2 to 4 words whose
// answers depend on the scene and on every word that is not filler:
//
//	is there a <colour>   any <colour>   → yes (1) or no (0)
//	is there no <colour>                 → the opposite
//	colour slot <k>                      → the colour (2 + c)
//
// (A text state-rn learns the first three in about 400 steps, the last in
// about 1200; toyVQA asks it only with slots.)
const (
	toyObjects, toyColours = 4, 4
	toyIs, toyThere, toyA  = 1, 2, 3
	toyColour0             = 4 // 4…7
	toyColourWord          = 8
	toySlot                = 9
	toyDigit0              = 10 // 10…13
	toyAny                 = 14
	toyNo                  = 15
	toyWords               = 16
	toyLength              = 6
	toyAnswers             = 2 + toyColours
)

// toyVQA draws n questions about n/2 scenes from seed; slots adds the
// colour-at-slot questions.
func toyVQA(n int, seed uint64, slots bool) *VQA {
	rng := rand.New(rand.NewPCG(seed, 16))
	size := toyColours + toyObjects
	q := &VQA{}
	scenes := (n + 1) / 2
	colours := make([]int, scenes*toyObjects)
	for s := range scenes {
		for k := range toyObjects {
			c := rng.IntN(toyColours)
			colours[s*toyObjects+k] = c
			row := make([]float32, size)
			row[c], row[toyColours+k] = 1, 1
			q.Objects = append(q.Objects, row...)
		}
	}
	for i := range n {
		s := i / 2
		scene := colours[s*toyObjects:][:toyObjects]
		var words []int
		var answer int
		kinds := 3
		if slots {
			kinds = 4
		}
		switch kind := rng.IntN(kinds); kind {
		case 0, 1, 2:
			c := rng.IntN(toyColours)
			words = [][]int{{toyIs, toyThere, toyA, toyColour0 + c}, {toyAny, toyColour0 + c}, {toyIs, toyThere, toyNo, toyColour0 + c}}[kind]
			if slices.Contains(scene, c) != (kind == 2) {
				answer = 1
			}
		case 3:
			k := rng.IntN(toyObjects)
			words = []int{toyColourWord, toySlot, toyDigit0 + k}
			answer = 2 + scene[k]
		}
		q.Image = append(q.Image, s)
		q.Tokens = append(q.Tokens, append(words, make([]int, toyLength-len(words))...)...)
		q.Answers = append(q.Answers, answer)
	}
	return q
}

// toyReasoner is a small text reasoner of arch for the toy task.
func toyReasoner(arch ReasonerArch, seed uint64) ReasonerConfig {
	cfg := ReasonerConfig{Arch: arch, Answers: toyAnswers, Seed: seed, Width: 64,
		Text: &TextConfig{Words: toyWords, Length: toyLength, Embed: 16, Hidden: 32}}
	if arch.states() {
		cfg.Objects, cfg.ObjectSize = toyObjects, toyColours+toyObjects
	}
	return cfg
}

// questionPrior is the accuracy on test of the best answer a reasoner can
// give from the question alone, as train shows it: each question's most
// frequent answer in train.
func questionPrior(train, test *VQA) float64 {
	counts := map[string][]int{}
	key := func(q *VQA, i int) string { return string(rune(0)) + tokenKey(q.Tokens[i*toyLength:][:toyLength]) }
	for i, a := range train.Answers {
		k := key(train, i)
		if counts[k] == nil {
			counts[k] = make([]int, toyAnswers)
		}
		counts[k][a]++
	}
	right := 0
	for i, a := range test.Answers {
		c := counts[key(test, i)]
		if c != nil && a == argmaxInt(c) {
			right++
		}
	}
	return float64(right) / float64(test.Len())
}

func tokenKey(s []int) string {
	b := make([]byte, len(s))
	for i, v := range s {
		b[i] = byte(v)
	}
	return string(b)
}

func argmaxInt(s []int) int {
	best := 0
	for i, v := range s {
		if v > s[best] {
			best = i
		}
	}
	return best
}

// trainTextToy trains a toy reasoner of arch and returns its test accuracy.
// It also holds the question path to training: the embedding of every word
// in train moved, and those of padding and of words train never uses are
// bit for bit as drawn (their gradient is zero, so Adam leaves them).
func trainTextToy(t *testing.T, arch ReasonerArch, train, test *VQA, steps int) float64 {
	t.Helper()
	return trainToyConfig(t, toyReasoner(arch, 2), train, test, steps)
}

// trainToyConfig is trainTextToy for a reasoner of cfg.
func trainToyConfig(t *testing.T, cfg ReasonerConfig, train, test *VQA, steps int) float64 {
	t.Helper()
	arch := cfg.Arch
	r, err := NewReasoner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	before := slices.Clone(r.text.embed.Data())
	used := map[int]bool{}
	for _, id := range train.Tokens {
		used[id] = id != 0
	}
	defer func() {
		e := r.Config.Text.Embed
		after := r.text.embed.Data()
		for id := range r.Config.Text.Words {
			moved := !slices.Equal(before[id*e:][:e], after[id*e:][:e])
			if moved != used[id] {
				t.Errorf("%v: word %d's embedding moved %v, want %v (word in the questions: %v)", arch, id, moved, used[id], used[id])
			}
		}
	}()
	if _, err := Train(context.Background(), r, train.Len(), r.Feeder(train, 0), TrainConfig{Steps: steps, Batch: 32, LR: 3e-3, Seed: 3}, nil); err != nil {
		t.Fatal(err)
	}
	pred, err := r.Predict(test, 128)
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for i, p := range pred {
		if p == test.Answers[i] {
			right++
		}
	}
	return float64(right) / float64(len(pred))
}

// TestTextStateRNLearns: a text state-rn learns the toy task, whose
// answers need both the question's words and the scene, to ≥ 95% on
// questions about unseen scenes; question-only, which sees no scene, gets
// no further than the questions' own prior (and about that far, so the
// baseline is a working model, not a broken one). Accuracy alone cannot
// show that the question path trains: with dq zeroed in the relation op
// (the encoder frozen at its random weights) state-rn still reached 1.000,
// as a random LSTM tells these few questions apart. trainTextToy's
// embedding check is what fails then.
func TestTextStateRNLearns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two reasoners")
	}
	train, test := toyVQA(2048, 1, false), toyVQA(512, 2, false)
	prior := questionPrior(train, test)
	// Test accuracy every 100 steps, measured with weight seeds 1, 2, 3
	// (and shuffle seeds 2, 3, 4): 1.000 from step 800, 500 and 500 on;
	// seed 1 rests at 0.869 (the negated questions) from 300 to 600. At
	// lr 5e-3 one seed of three never leaves the prior.
	rn := trainTextToy(t, StateRN, train, test, 800)
	qo := trainTextToy(t, QuestionOnly, train, test, 800)
	// The question gate (gate.go) starts as the plain net and must learn
	// the task as well: a gate that zeroed or scrambled the objects would
	// leave it at the questions' prior.
	gated := toyReasoner(StateRN, 2)
	gated.Gate = true
	rnGated := trainToyConfig(t, gated, train, test, 800)
	t.Logf("test accuracy: state-rn %.3f, gated %.3f, question-only %.3f, the questions' prior %.3f", rn, rnGated, qo, prior)
	if rn < 0.95 {
		t.Errorf("state-rn with text questions: %.3f on unseen scenes, want ≥ 0.95", rn)
	}
	if rnGated < 0.95 {
		t.Errorf("gated state-rn with text questions: %.3f on unseen scenes, want ≥ 0.95", rnGated)
	}
	// 512 test questions: an accuracy's standard error is about 0.022, so
	// 0.05 is over 2σ either side.
	if qo > prior+0.05 {
		t.Errorf("question-only %.3f beats the questions' prior %.3f: it sees the scene?", qo, prior)
	}
	if qo < prior-0.05 {
		t.Errorf("question-only %.3f falls short of the questions' prior %.3f: it does not learn the questions", qo, prior)
	}
}
