package bench

import (
	"context"
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func tinyCaptionSuite() Suite {
	settings := map[string]string{"image_size": "16", "size_min": "6", "size_max": "8"}
	t := captionTask("tiny-captions", "relations", settings, 128, 40, Budget{Epochs: 1, Batch: 32, LR: 2e-3}, []uint64{1}, nil)
	return Suite{Name: "tiny", Tasks: []Task{t}}
}

func TestCaptioningTask(t *testing.T) {
	dir := t.TempDir()
	recs, err := Run(context.Background(), tinyCaptionSuite(), Options{Out: filepath.Join(dir, "r.jsonl"), CacheDir: filepath.Join(dir, "cache"), Verify: true})
	if err != nil {
		t.Fatal(err) // with Verify each entry was trained and decoded twice, identically
	}
	if len(recs) != 4 {
		t.Fatalf("%d records, want attention/no-attention × greedy/beam", len(recs))
	}
	for _, r := range recs {
		for _, name := range []string{"canonical_exact_match", "caption_truth", "exact_match", "parse_rate", "slot_accuracy", "bleu1", "bleu4", "params"} {
			if v, ok := r.Metrics[name]; !ok || math.IsNaN(v.Value) {
				t.Errorf("%s: metric %s missing", r.Model, name)
			}
		}
		_, hasAtt := r.Metrics["attention_correctness"]
		if hasAtt != (r.Model == "attention-greedy" || r.Model == "attention-beam3") {
			t.Errorf("%s: attention_correctness present = %v", r.Model, hasAtt)
		}
	}
	// The greedy and beam entries of one architecture share one training.
	if recs[0].Timings.TrainSeconds != recs[1].Timings.TrainSeconds || recs[0].Params != recs[1].Params {
		t.Errorf("greedy and beam entries trained separately: %v vs %v", recs[0].Timings, recs[1].Timings)
	}
}

func TestTrainCaptionerAndPictures(t *testing.T) {
	dir := t.TempDir()
	data := writeDataset(t, dir, "relations", map[string]string{"image_size": "16", "size_min": "6", "size_max": "8"}, 96, 20)
	out := filepath.Join(dir, "run")
	scores, err := TrainCaptioner(context.Background(), CaptionTrainOptions{Training: Training{Data: data, Out: out, Train: "train", Test: "test",
		Budget: Budget{Epochs: 1, Batch: 32, LR: 2e-3}, Seed: 2}, Arch: AttentionArch, Beam: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := scores["bleu4"]; !ok {
		t.Errorf("no BLEU in %v", scores)
	}
	files, picScores, err := CaptionPictures(filepath.Join(out, CheckpointFile), data, "test", filepath.Join(dir, "pics"), 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := picScores["caption_truth"]; !ok {
		t.Errorf("caption's scores have no caption_truth: %v", picScores)
	}
	if len(files) != 3 {
		t.Fatalf("wrote %v", files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if img, err := png.Decode(f); err != nil || img.Bounds().Dx() < 48 {
		t.Errorf("not a strip: %v", err)
	}
}

// A run interrupted in its second epoch and resumed scores as one that
// never stopped; resuming under another rate is refused.
func TestTrainCaptionerResumes(t *testing.T) {
	dir := t.TempDir()
	data := writeDataset(t, dir, "relations", map[string]string{"image_size": "16", "size_min": "6", "size_max": "8"}, 64, 16)
	opts := func(out string, epochs int) CaptionTrainOptions {
		return CaptionTrainOptions{Training: Training{Data: data, Out: out, Train: "train", Test: "test",
			Budget: Budget{Epochs: epochs, Batch: 16, LR: 2e-3}, Seed: 4}, Arch: AttentionArch, Beam: 1, Lambda: -1, Resume: true}
	}
	whole, err := TrainCaptioner(context.Background(), opts(filepath.Join(dir, "a"), 2))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	o := opts(filepath.Join(dir, "b"), 2)
	o.OnStep = func(step, _ int, _ float64) {
		if step == 6 { // 4 steps an epoch: the checkpoint holds epoch 1
			cancel()
		}
	}
	if _, err := TrainCaptioner(ctx, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	resumed, err := TrainCaptioner(context.Background(), opts(filepath.Join(dir, "b"), 2))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range whole {
		if resumed[k] != v {
			t.Errorf("%s: %v resumed, %v uninterrupted", k, resumed[k], v)
		}
	}
	other := opts(filepath.Join(dir, "b"), 3)
	other.Budget.LR = 1e-3
	if _, err := TrainCaptioner(context.Background(), other); err == nil || !strings.Contains(err.Error(), "--lr 0.002 → 0.001") {
		t.Fatalf("resuming under another budget: %v", err)
	}
}

// TestCaptionTruthOfReferenceAndUntrained scores generated datasets'
// own captions, which must all be true (caption_truth 1), and the
// captions of an untrained captioner, which must score low.
func TestCaptionTruthOfReferenceAndUntrained(t *testing.T) {
	dir := t.TempDir()
	small := map[string]string{"image_size": "16", "size_min": "6", "size_max": "8"}
	five := map[string]string{"image_size": "16", "size_min": "6", "size_max": "8", "relations": "above,below,next_to,left_of,right_of", "single_fraction": "0.1"}
	for name, d := range map[string]struct {
		gen      string
		settings map[string]string
	}{"relations": {"relations", small}, "five": {"relations", five}, "counting": {"counting", nil}} {
		t.Run(name, func(t *testing.T) {
			data := writeDataset(t, filepath.Join(dir, name), d.gen, d.settings, 64, 300)
			set, err := LoadCaptionSet(data, "test")
			if err != nil {
				t.Fatal(err)
			}
			if len(set.Scenes) != set.Len() {
				t.Fatalf("%d scene graphs for %d samples", len(set.Scenes), set.Len())
			}
			ref := make([]Generated, set.Len())
			for i, c := range set.Captions {
				ref[i].Words = Tokenize(c)
			}
			if v := CaptionScores(set, ref, 1, 1)["caption_truth"]; v != 1 {
				t.Errorf("the reference captions score caption_truth %v, want 1", v)
			}
			// Each sample given its neighbour's caption: every caption
			// parses, few are true of the scene they are given.
			shifted := make([]Generated, set.Len())
			for i := range shifted {
				shifted[i].Words = Tokenize(set.Captions[(i+1)%set.Len()])
			}
			ms := CaptionScores(set, shifted, 1, 1)
			t.Logf("neighbours' captions: caption_truth %.3f, parse_rate %.3f", ms["caption_truth"], ms["parse_rate"])
			if ms["parse_rate"] != 1 || ms["caption_truth"] > 0.1 {
				t.Errorf("neighbours' captions: parse_rate %v, caption_truth %v; want 1 and at most 0.1", ms["parse_rate"], ms["caption_truth"])
			}
			train, err := LoadCaptionSet(data, "train")
			if err != nil {
				t.Fatal(err)
			}
			c, vocab, err := NewCaptionerFor(train, AttentionArch, 3, -1)
			if err != nil {
				t.Fatal(err)
			}
			gen, err := GenerateCaptions(c, vocab, set, nil, 1)
			if err != nil {
				t.Fatal(err)
			}
			m := CaptionScores(set, gen, 1, 1)
			t.Logf("untrained: caption_truth %.3f, canonical_exact_match %.3f, parse_rate %.3f", m["caption_truth"], m["canonical_exact_match"], m["parse_rate"])
			if m["caption_truth"] > 0.1 {
				t.Errorf("an untrained captioner scores caption_truth %v, want at most 0.1", m["caption_truth"])
			}
		})
	}
}
