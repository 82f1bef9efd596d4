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

// The reasoners from the command line on a tiny sort-of-CLEVR dataset:
// train (and resume), eval and explain, and their usage errors.
func TestReasonersFromTheCommandLine(t *testing.T) {
	quietStdout(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "soc")
	ctx := context.Background()
	if code := run(ctx, []string{"generate", "clevrlite", "--out", data, "--splits", "train=12,test=4"}); code != 0 {
		t.Fatalf("generate: exit %d", code)
	}
	srn, cnn := filepath.Join(dir, "srn"), filepath.Join(dir, "cnn")
	steps := [][]string{
		{"train", "state-rn", "--data", data, "--out", srn, "--epochs", "1", "--batch", "32"},
		{"train", "state-rn", "--data", data, "--out", srn, "--epochs", "2", "--batch", "32", "--resume"},
		{"eval", filepath.Join(srn, "model.ckpt"), "--data", data},
		{"explain", filepath.Join(srn, "model.ckpt"), "--data", data, "--out", filepath.Join(srn, "pics"), "--n", "3"},
		{"train", "cnn-mlp", "--data", data, "--out", cnn, "--epochs", "1", "--batch", "32"},
		{"explain", filepath.Join(cnn, "model.ckpt"), "--data", data, "--out", filepath.Join(cnn, "pics"), "--n", "2"},
	}
	for _, args := range steps {
		if code := run(ctx, args); code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
	}
	for _, f := range []string{"srn/pics/explain_0.png", "srn/pics/explain_2.png", "cnn/pics/explain_1.png"} {
		r, err := os.Open(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("missing %s", f)
		}
		if _, err := png.Decode(r); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		r.Close()
	}
	var m struct {
		Metrics map[string]struct{ Value float64 } `json:"metrics"`
		QPS     float64                            `json:"train_questions_per_second"`
	}
	b, err := os.ReadFile(filepath.Join(srn, "metrics.json"))
	if err != nil || json.Unmarshal(b, &m) != nil || m.QPS <= 0 {
		t.Fatalf("metrics.json: %s (%v)", b, err)
	}
	for _, name := range []string{"accuracy", "binary_accuracy", "ternary_count_obtuse_accuracy", "majority_accuracy", "params"} {
		if _, ok := m.Metrics[name]; !ok {
			t.Errorf("metrics.json lacks %s", name)
		}
	}
	shapes := filepath.Join(dir, "shapes")
	if code := run(ctx, []string{"generate", "shapes", "--out", shapes, "--splits", "train=4,test=4"}); code != 0 {
		t.Fatalf("generate shapes: exit %d", code)
	}
	bad := []struct {
		name string
		args []string
		msg  string
	}{
		{"train on shapes", []string{"train", "rn", "--data", shapes, "--out", filepath.Join(dir, "x")}, "the reasoners train on clevrlite's sortofclevr questions"},
		{"train over a checkpoint", []string{"train", "state-rn", "--data", data, "--out", srn}, "pass --resume to continue it or --overwrite"},
		{"resume another model", []string{"train", "cnn-mlp", "--data", data, "--out", srn, "--epochs", "2", "--batch", "32", "--resume"}, "MODEL state-rn → cnn-mlp"},
		{"explain without --out", []string{"explain", filepath.Join(srn, "model.ckpt"), "--data", data}, "want CHECKPOINT --data DIR --out DIR"},
		{"explain --n 0", []string{"explain", filepath.Join(srn, "model.ckpt"), "--data", data, "--out", dir, "--n", "0"}, "--n and --pairs at least 1"},
		{"explain two checkpoints", []string{"explain", "a", "b", "--data", data, "--out", dir}, "one CHECKPOINT"},
		{"explain shapes", []string{"explain", filepath.Join(srn, "model.ckpt"), "--data", shapes, "--out", filepath.Join(dir, "y")}, "is a shapes dataset"},
		{"unknown model", []string{"train", "transformer", "--data", data, "--out", dir}, "no-attention, rn, cnn-mlp, state-rn"},
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
