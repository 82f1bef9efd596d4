package questions

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/clevrlite"
	"github.com/hiddendim/hiddendim/models/latent"
)

// GroupQuestions is the most test questions grouping embeds and
// clusters: more are thinned evenly (every k-th) to this many, which
// keeps k-means and the SOM to seconds.
const GroupQuestions = 3000

// kmeansRestarts is how many k-means++ starts grouping keeps the best of.
const kmeansRestarts = 5

// The question labellings a clustering is scored against. Family and
// function are the targets; the others say what a clustering follows
// when it misses them.
const (
	// ByFamily is the question's family.
	ByFamily = "family"
	// ByFunction is the outermost function of the question's program
	// (count, query_color, exist, …).
	ByFunction = "function"
	// ByAnswerType is what kind of word the answer is: yes/no, a number,
	// a color or a shape.
	ByAnswerType = "answertype"
	// ByLength is the question's number of tokens.
	ByLength = "length"
	// ByFirstWord is the question's first token.
	ByFirstWord = "firstword"
)

// The encoders whose question vectors are grouped: the trained model's
// (no suffix), bag-of-words counts and the same model untrained.
const (
	EncoderTrained   = ""
	EncoderBagOfWord = "bow"
	EncoderUntrained = "untrained"
)

// GroupMetric names a grouping score: measure (vmeasure, ari,
// homogeneity) against labelling by a clustering method (kmeans, som) of
// the encoder's vectors, e.g. group_vmeasure_family_kmeans_bow.
func GroupMetric(measure, labelling, method, encoder string) string {
	name := "group_" + measure + "_" + labelling + "_" + method
	if encoder != "" {
		name += "_" + encoder
	}
	return name
}

// groupSpec is one grouping score every encoder records.
type groupSpec struct{ measure, labelling, method string }

// groupSpecs are the scores of every encoder; diagnosticSpecs are the
// trained encoder's alone.
var (
	groupSpecs = []groupSpec{
		{"vmeasure", ByFamily, "kmeans"}, {"ari", ByFamily, "kmeans"}, {"homogeneity", ByFamily, "kmeans"},
		{"vmeasure", ByFamily, "som"},
		{"vmeasure", ByFunction, "kmeans"}, {"ari", ByFunction, "kmeans"},
	}
	diagnosticSpecs = []groupSpec{
		{"vmeasure", ByAnswerType, "kmeans"}, {"vmeasure", ByLength, "kmeans"}, {"vmeasure", ByFirstWord, "kmeans"},
	}
)

// groupInfos describes every grouping metric.
func groupInfos() []bench.MetricInfo {
	var out []bench.MetricInfo
	for _, enc := range []string{EncoderTrained, EncoderBagOfWord, EncoderUntrained} {
		for _, s := range groupSpecs {
			info := bench.Proportion(GroupMetric(s.measure, s.labelling, s.method, enc))
			if s.measure == "ari" {
				info.Min = -1 // chance is 0; worse than chance is negative
			}
			out = append(out, info)
		}
	}
	for _, s := range diagnosticSpecs {
		out = append(out, bench.Proportion(GroupMetric(s.measure, s.labelling, s.method, EncoderTrained)))
	}
	return out
}

// GroupSample returns the indices of the test questions grouping uses:
// all of n up to GroupQuestions, else every k-th.
func GroupSample(n int) []int {
	step := max((n+GroupQuestions-1)/GroupQuestions, 1)
	var idx []int
	for q := 0; q < n; q += step {
		idx = append(idx, q)
	}
	return idx
}

// Labellings are the questions' labels under each labelling (ByFamily,
// ByFunction, …), as dense ids, and each labelling's names.
type Labellings struct {
	Labels map[string][]int
	Names  map[string][]string
}

// labellingsOf labels the questions of set at idx. A program that does not
// parse is an error.
func labellingsOf(set *Set, idx []int, colors, shapes []string) (*Labellings, error) {
	raw := map[string][]string{}
	for _, q := range idx {
		p, err := clevrlite.Parse(set.Program[q])
		if err != nil {
			return nil, fmt.Errorf("questions: question %d (%q): %w", q, set.Text[q], err)
		}
		toks := Tokenize(set.Text[q])
		first := ""
		if len(toks) > 0 {
			first = toks[0]
		}
		raw[ByFamily] = append(raw[ByFamily], set.Family[q])
		raw[ByFunction] = append(raw[ByFunction], p.Fn)
		raw[ByAnswerType] = append(raw[ByAnswerType], answerType(set.Answer[q], colors, shapes))
		raw[ByLength] = append(raw[ByLength], fmt.Sprintf("%03d", len(toks)))
		raw[ByFirstWord] = append(raw[ByFirstWord], first)
	}
	l := &Labellings{Labels: map[string][]int{}, Names: map[string][]string{}}
	for name, vals := range raw {
		names := orderedNames(vals, nil)
		if name == ByFamily {
			names = familyNames(vals)
		}
		ids := make([]int, len(vals))
		for i, v := range vals {
			ids[i] = slices.Index(names, v)
		}
		l.Labels[name], l.Names[name] = ids, names
	}
	return l, nil
}

// answerType says what kind of word an answer is: "yesno", "number",
// "color", "shape" or "other".
func answerType(a string, colors, shapes []string) string {
	switch {
	case a == "yes" || a == "no":
		return "yesno"
	case a != "" && strings.Trim(a, "0123456789") == "":
		return "number"
	case slices.Contains(colors, a):
		return "color"
	case slices.Contains(shapes, a) || a == "rectangle":
		return "shape"
	}
	return "other"
}

// Clustering is one encoder's question vectors clustered both ways into
// k groups.
type Clustering struct {
	Vectors [][]float64
	KMeans  *latent.KMeans
	SOM     *latent.SOM
	// SOMLabels is each vector's best matching unit.
	SOMLabels []int
}

// somGrid returns the rows and columns of a k-unit SOM: the most nearly
// square rows×cols = k with rows ≤ cols.
func somGrid(k int) (rows, cols int) {
	rows = 1
	for r := 1; r*r <= k; r++ {
		if k%r == 0 {
			rows = r
		}
	}
	return rows, k / rows
}

// Cluster clusters vectors into k groups by k-means (the best of
// kmeansRestarts starts) and by a k-unit SOM, both drawn from seed.
func Cluster(vectors [][]float64, k int, seed uint64) (*Clustering, error) {
	if len(vectors) < k {
		return nil, fmt.Errorf("questions: %d question vectors cannot form %d groups", len(vectors), k)
	}
	km, err := latent.FitKMeans(vectors, k, kmeansRestarts, seed)
	if err != nil {
		return nil, err
	}
	rows, cols := somGrid(k)
	som, err := latent.TrainSOM(vectors, latent.DefaultSOM(rows, cols, len(vectors), seed))
	if err != nil {
		return nil, err
	}
	c := &Clustering{Vectors: vectors, KMeans: km, SOM: som}
	for _, v := range vectors {
		u, _ := som.BMU(v)
		c.SOMLabels = append(c.SOMLabels, u)
	}
	return c, nil
}

// score computes one grouping measure of c against truth.
func (c *Clustering) score(s groupSpec, truth []int) float64 {
	pred := c.KMeans.Labels
	if s.method == "som" {
		pred = c.SOMLabels
	}
	h := latent.HomogeneityCompleteness(truth, pred)
	switch s.measure {
	case "vmeasure":
		return h.VMeasure
	case "homogeneity":
		return h.Homogeneity
	case "ari":
		return latent.AdjustedRand(truth, pred)
	}
	panic("questions: unknown grouping measure " + s.measure)
}

// Scores returns the clustering's grouping scores against l, named for
// encoder; the trained encoder's also hold the diagnostic labellings.
func (c *Clustering) Scores(l *Labellings, encoder string) map[string]bench.Metric {
	specs := groupSpecs
	if encoder == EncoderTrained {
		specs = append(slices.Clone(groupSpecs), diagnosticSpecs...)
	}
	out := map[string]bench.Metric{}
	for _, s := range specs {
		out[GroupMetric(s.measure, s.labelling, s.method, encoder)] = bench.Exact(c.score(s, l.Labels[s.labelling]))
	}
	return out
}

// BagOfWords returns each text's token counts over the vocabulary's ids
// (unknown words counted at UnknownID), scaled to unit length.
func BagOfWords(v Vocab, texts []string) [][]float64 {
	out := make([][]float64, len(texts))
	for i, t := range texts {
		row := make([]float64, v.Size())
		for _, w := range Tokenize(t) {
			row[v.ID(w)]++
		}
		var ss float64
		for _, x := range row {
			ss += x * x
		}
		if ss > 0 {
			inv := 1 / math.Sqrt(ss)
			for j := range row {
				row[j] *= inv
			}
		}
		out[i] = row
	}
	return out
}

// toRows splits a flat n×d float32 matrix into float64 rows.
func toRows(flat []float32, n int) [][]float64 {
	if n == 0 {
		return nil
	}
	d := len(flat) / n
	out := make([][]float64, n)
	for i := range out {
		row := make([]float64, d)
		for j := range row {
			row[j] = float64(flat[i*d+j])
		}
		out[i] = row
	}
	return out
}
