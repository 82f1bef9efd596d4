package vae

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// judgeSplits are small 16×16 shapes, read for the classifier judge.
func judgeSplits(t *testing.T) (train, test *Split) {
	t.Helper()
	data := writeDataset(t, t.TempDir(), "shapes", map[string]string{"image_size": "16", "size_min": "8", "size_max": "12"}, 1200, 200)
	train, err := LoadSplit(data, "train")
	if err != nil {
		t.Fatal(err)
	}
	if test, err = LoadSplit(data, "test"); err != nil {
		t.Fatal(err)
	}
	return train, test
}

// noise returns n images of uniform noise, from seed.
func noise(n, per int, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 0))
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, per)
		for j := range out[i] {
			out[i][j] = rng.Float64()
		}
	}
	return out
}

func TestClassifierJudge(t *testing.T) {
	train, test := judgeSplits(t)
	if !slices.Equal(train.Labels.Names, []string{"shape", "color"}) {
		t.Fatalf("shapes' labels %v, want shape and color", train.Labels.Names)
	}
	j, err := trainJudge(train, test, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	real, err := j.Valid(pixelRows(test.Images))
	if err != nil {
		t.Fatal(err)
	}
	per := len(test.Images.Image(0))
	fake, err := j.Valid(noise(200, per, 5))
	if err != nil {
		t.Fatal(err)
	}
	blank, err := j.Valid([][]float64{float64s(test.Background)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("threshold %.4f, accuracy %.3f, real %.3f, noise %.3f, blank %v", j.Threshold, j.Accuracy, share(real), share(fake), blank)
	if j.Threshold > judgeConfidence {
		t.Errorf("threshold %v above the ceiling %v", j.Threshold, judgeConfidence)
	}
	if share(real) < judgeQuantile {
		t.Errorf("%.3f of real test images pass, want at least %v", share(real), judgeQuantile)
	}
	// Nine classes: chance is 1/9.
	if j.Accuracy < 0.6 {
		t.Errorf("the judge reads both labels of %.3f of test images, want at least 0.6", j.Accuracy)
	}
	// The judge saw noise in training (outlier exposure), from another
	// seed; without it, a ReLU classifier passes nearly all of it.
	if share(fake) > 0.2 {
		t.Errorf("%.3f of noise images pass, want at most 0.2", share(fake))
	}
	if blank[0] {
		t.Error("the empty canvas passes")
	}
}

func TestClassifierJudgeIsDeterministic(t *testing.T) {
	train, test := judgeSplits(t)
	probe := append(pixelRows(firstRows(test.Images, 20)), noise(5, len(test.Images.Image(0)), 3)...)
	run := func(seed uint64) (float64, []float64) {
		j, err := trainJudge(train, test, seed)
		if err != nil {
			t.Fatal(err)
		}
		defer j.Close()
		s, err := j.Scores(probe)
		if err != nil {
			t.Fatal(err)
		}
		return j.Threshold, s
	}
	th, s := run(4)
	th2, s2 := run(4)
	if th != th2 || !slices.Equal(s, s2) {
		t.Errorf("one seed, two judges: thresholds %v and %v, scores %v and %v", th, th2, s, s2)
	}
	if _, s3 := run(5); slices.Equal(s, s3) {
		t.Error("two seeds, one judge")
	}
}

func TestJudgeConv(t *testing.T) {
	for _, c := range []struct {
		side int
		want []int
	}{{28, []int{16, 32}}, {16, []int{16, 32}}, {56, []int{16, 32, 32}}, {128, []int{16, 32, 32, 32}}, {30, []int{16}}, {9, nil}} {
		if got := judgeConv(c.side); !slices.Equal(got, c.want) {
			t.Errorf("judgeConv(%d) = %v, want %v", c.side, got, c.want)
		}
	}
}

func TestTrainJudgeWithoutLabels(t *testing.T) {
	if j, err := trainJudge(&Split{}, &Split{}, 1); j != nil || err != nil {
		t.Errorf("no labels: judge %v, error %v; want neither", j, err)
	}
}
