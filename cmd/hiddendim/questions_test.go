package main

import (
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The text-question models from the command line on a tiny programs
// dataset: train (and resume) with their pictures, eval, and their usage
// errors.
func TestQuestionModelsFromTheCommandLine(t *testing.T) {
	quietStdout(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "prog")
	ctx := context.Background()
	if code := run(ctx, []string{"generate", "clevrlite", "--out", data, "--splits", "train=8,test=4",
		"--set", "questions=programs", "--set", "image_size=64", "--set", "half_size=4", "--set", "max_objects=5", "--set", "questions_per_group=4"}); code != 0 {
		t.Fatalf("generate: exit %d", code)
	}
	srn, lstm := filepath.Join(dir, "srn"), filepath.Join(dir, "lstm")
	for _, args := range [][]string{
		{"train", "state-rn-lstm", "--data", data, "--out", srn, "--epochs", "1", "--batch", "32", "--width", "16"},
		{"train", "state-rn-lstm", "--data", data, "--out", srn, "--epochs", "2", "--batch", "32", "--width", "16", "--resume"},
		{"eval", filepath.Join(srn, "model.ckpt"), "--data", data},
		{"train", "lstm", "--data", data, "--out", lstm, "--epochs", "1", "--batch", "32", "--width", "16"},
		{"navigate", filepath.Join(srn, "model.ckpt"), "--data", data, "--out", filepath.Join(dir, "nav"), "--pairs", "4", "--steps", "20"},
	} {
		if code := run(ctx, args); code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
	}
	for _, f := range []string{"srn/questions_pca.png", "srn/questions_umatrix.png", "lstm/questions_pca.png"} {
		r, err := os.Open(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("missing %s", f)
		}
		if _, err := png.Decode(r); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		r.Close()
	}
	if b, err := os.ReadFile(filepath.Join(srn, "questions_clusters.txt")); err != nil || !strings.Contains(string(b), "cluster 0:") {
		t.Errorf("questions_clusters.txt: %v\n%s", err, b)
	}
	nav, err := os.ReadFile(filepath.Join(dir, "nav", "navigation.json"))
	var navScores map[string]struct{ Value float64 }
	if err != nil || json.Unmarshal(nav, &navScores) != nil {
		t.Fatalf("navigation.json: %s (%v)", nav, err)
	}
	for _, name := range []string{"decoder_exact", "navigate_parse_rate", "navigate_relevant", "decoder_exact_untrained"} {
		if _, ok := navScores[name]; !ok {
			t.Errorf("navigation.json lacks %s (has %d scores)", name, len(navScores))
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "nav", "questions_navigation.txt")); err != nil || len(b) == 0 {
		t.Errorf("questions_navigation.txt: %v", err)
	}
	var m struct {
		Metrics map[string]struct{ Value float64 } `json:"metrics"`
		QPS     float64                            `json:"train_questions_per_second"`
	}
	b, err := os.ReadFile(filepath.Join(srn, "metrics.json"))
	if err != nil || json.Unmarshal(b, &m) != nil || m.QPS <= 0 {
		t.Fatalf("metrics.json: %s (%v)", b, err)
	}
	for _, name := range []string{"accuracy", "majority_accuracy", "accuracy_counting", "majority_counting", "group_vmeasure_family_kmeans",
		"group_vmeasure_family_kmeans_bow", "group_vmeasure_family_kmeans_untrained", "params"} {
		if _, ok := m.Metrics[name]; !ok {
			t.Errorf("metrics.json lacks %s", name)
		}
	}
	plain := filepath.Join(dir, "plain")
	if code := run(ctx, []string{"generate", "clevrlite", "--out", plain, "--splits", "train=2,test=2"}); code != 0 {
		t.Fatalf("generate plain: exit %d", code)
	}
	bad := []struct {
		name string
		args []string
		msg  string
	}{
		{"train on plain sortofclevr", []string{"train", "state-rn-lstm", "--data", plain, "--out", filepath.Join(dir, "x")}, "sequence=true"},
		{"eval on plain sortofclevr", []string{"eval", filepath.Join(srn, "model.ckpt"), "--data", plain}, "sequence=true"},
		{"train over a checkpoint", []string{"train", "state-rn-lstm", "--data", data, "--out", srn}, "pass --resume to continue it or --overwrite"},
		{"resume another width", []string{"train", "state-rn-lstm", "--data", data, "--out", srn, "--epochs", "3", "--batch", "32", "--width", "8", "--resume"}, "model.width 16 → 8"},
		{"negative width", []string{"train", "lstm", "--data", data, "--out", dir, "--width", "-1"}, "--width -1"},
		{"unknown model", []string{"train", "gru", "--data", data, "--out", dir}, "state-rn-lstm, state-mlp-lstm, lstm"},
		{"navigate without --out", []string{"navigate", filepath.Join(srn, "model.ckpt"), "--data", data}, "--out DIR"},
		{"navigate with no pairs", []string{"navigate", filepath.Join(srn, "model.ckpt"), "--data", data, "--out", dir, "--pairs", "0"}, "at least 1"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			err := dispatch(ctx, tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want it to contain %q", err, tt.msg)
			}
			if code := run(ctx, tt.args); code != 2 {
				t.Fatalf("exit %d, want 2", code)
			}
		})
	}
}
