package questions

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// blobs returns n points per label, each label's points around its own
// axis (10·e_label), jittered by ±0.1: perfectly separable.
func blobs(labels, n int, seed uint64) ([][]float64, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	var x [][]float64
	var y []int
	for l := range labels {
		for range n {
			v := make([]float64, labels)
			for j := range v {
				v[j] = 0.2 * (rng.Float64() - 0.5)
			}
			v[l] += 10
			x = append(x, v)
			y = append(y, l)
		}
	}
	return x, y
}

func TestClusterSeparated(t *testing.T) {
	const k = 6
	x, y := blobs(k, 40, 3)
	c, err := Cluster(x, k, 1)
	if err != nil {
		t.Fatal(err)
	}
	l := &Labellings{Labels: map[string][]int{ByFamily: y, ByFunction: y, ByAnswerType: y, ByLength: y, ByFirstWord: y}}
	for name, m := range c.Scores(l, EncoderTrained) {
		if m.Value < 1-1e-9 {
			t.Errorf("%s = %v on perfectly separated blobs, want 1", name, m.Value)
		}
	}
	// Against labels that cut across the blobs, V-measure is low.
	mixed := make([]int, len(y))
	for i := range mixed {
		mixed[i] = i % 2
	}
	l.Labels[ByFamily] = mixed
	if v := c.Scores(l, EncoderBagOfWord)[GroupMetric("vmeasure", ByFamily, "kmeans", EncoderBagOfWord)].Value; v > 0.1 {
		t.Errorf("V-measure %v against labels independent of the blobs, want about 0", v)
	}
}

func TestSOMGrid(t *testing.T) {
	for k, want := range map[int][2]int{1: {1, 1}, 9: {3, 3}, 14: {2, 7}, 15: {3, 5}, 13: {1, 13}, 12: {3, 4}} {
		if r, c := somGrid(k); r != want[0] || c != want[1] {
			t.Errorf("somGrid(%d) = %d×%d, want %d×%d", k, r, c, want[0], want[1])
		}
	}
}

// TestBagOfWordsGroups: bag-of-words vectors of templated questions of
// two families that share no word cluster perfectly; the vectors have
// unit length.
func TestBagOfWordsGroups(t *testing.T) {
	texts := []string{
		"How many red objects are there?", "How many blue objects are there?", "How many green objects are there?",
		"Is there a red circle?", "Is there a blue square?", "Is there a green triangle?",
	}
	v := NewVocab(texts)
	x := BagOfWords(v, texts)
	for i, row := range x {
		var ss float64
		for _, e := range row {
			ss += e * e
		}
		if ss < 1-1e-12 || ss > 1+1e-12 {
			t.Errorf("row %d has squared length %v, want 1", i, ss)
		}
	}
	// "how many red objects are there ?": 7 tokens, one each; the id of
	// "red" holds 1/√7.
	if got, want := x[0][v.ID("red")], 1/2.6457513110645907; got < want-1e-12 || got > want+1e-12 {
		t.Errorf("BoW weight of red %v, want 1/√7", got)
	}
	c, err := Cluster(x, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	fam := []int{0, 0, 0, 1, 1, 1}
	l := &Labellings{Labels: map[string][]int{ByFamily: fam, ByFunction: fam}}
	if got := c.Scores(l, EncoderBagOfWord)[GroupMetric("vmeasure", ByFamily, "kmeans", EncoderBagOfWord)].Value; got < 1-1e-9 {
		t.Errorf("BoW V-measure %v, want 1", got)
	}
}

func TestLabellings(t *testing.T) {
	set := &Set{
		Text:    []string{"How many red objects are there?", "Is there a red circle?", "What color is the square?"},
		Program: []string{"count(filter_color[red](scene()))", "exist(intersect(filter_color[red](scene()), filter_shape[circle](scene())))", "query_color(unique(filter_shape[square](scene())))"},
		Answer:  []string{"2", "yes", "red"},
		Family:  []string{"count_color", "exist_and", "color_of_shape"},
	}
	l, err := labellingsOf(set, []int{0, 1, 2}, []string{"red"}, []string{"square"})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]string{
		ByFunction:   {"count", "exist", "query_color"},
		ByAnswerType: {"number", "yesno", "color"},
		ByFirstWord:  {"how", "is", "what"},
		ByLength:     {"007", "006", "006"},
		// clevrlite's family order.
		ByFamily: {"count_color", "exist_and", "color_of_shape"},
	} {
		var got []string
		for _, id := range l.Labels[name] {
			got = append(got, l.Names[name][id])
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	set.Program[1] = "exist(("
	if _, err := labellingsOf(set, []int{0, 1, 2}, nil, nil); err == nil {
		t.Error("a program that does not parse was labelled")
	}
}

func TestGroupSample(t *testing.T) {
	if got := GroupSample(5); !slices.Equal(got, []int{0, 1, 2, 3, 4}) {
		t.Errorf("GroupSample(5) = %v", got)
	}
	got := GroupSample(2*GroupQuestions + 1)
	if len(got) > GroupQuestions || got[1] != 3 {
		t.Errorf("GroupSample(%d): %d questions, step %d", 2*GroupQuestions+1, len(got), got[1])
	}
}
