package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
)

// TestTarCommands runs the commands that read a dataset on the tar format:
// sharded generate, merge, verify, show, training (relations parts
// included) and inspect.
func TestTarCommands(t *testing.T) {
	quietStdout(t)
	dir := t.TempDir()
	rel := []string{"--splits", "train=23,test=7", "--seed", "3", "--format", "tar", "--shard-samples", "5",
		"--set", "image_size=16", "--set", "size_min=6", "--set", "size_max=8", "--set", "parts=true"}
	gen := func(out string, extra ...string) {
		t.Helper()
		args := append(append([]string{"generate", "relations", "--out", out}, rel...), extra...)
		if code := runNoPanic(t, args); code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
	}
	whole := filepath.Join(dir, "whole")
	gen(whole)
	var shards []string
	for _, k := range []string{"0/3", "1/3", "2/3"} {
		d := filepath.Join(dir, "s"+k[:1])
		gen(d, "--shard", k)
		shards = append(shards, d)
	}
	merged := filepath.Join(dir, "merged")
	steps := [][]string{
		append(append([]string{"merge"}, shards...), "--out", merged),
		{"verify", whole, "--regenerate", "30"},
		{"verify", merged, "--regenerate", "30"},
		{"show", whole, "--out", filepath.Join(dir, "grid.png"), "--n", "9"},
		{"train", "vae", "--data", whole, "--out", filepath.Join(dir, "vae"), "--epochs", "1", "--batch", "8", "--test-split", ""},
		{"generate", "shapes", "--out", filepath.Join(dir, "shapes"), "--splits", "train=16,test=8", "--format", "tar", "--shard-samples", "6"},
		{"train", "combo", "--data", filepath.Join(dir, "shapes"), "--out", filepath.Join(dir, "clf"), "--epochs", "1", "--batch", "8"},
		{"inspect", filepath.Join(dir, "clf", "model.ckpt"), "--data", filepath.Join(dir, "shapes"), "--out", filepath.Join(dir, "maps"), "--n", "2"},
	}
	for _, args := range steps {
		if code := runNoPanic(t, args); code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
	}
	for _, f := range []string{"manifest.json", "train/SHA256SUMS", "train/shard-000002.tar", "train/shard-000004.tar", "test/shard-000001.tar"} {
		a, err := os.ReadFile(filepath.Join(whole, f))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(merged, f))
		if err != nil {
			t.Fatal(err)
		}
		if string(a) != string(b) {
			t.Errorf("%s: the merged shards differ from the single run", f)
		}
	}
	m, err := generators.ReadManifest(whole)
	if err != nil {
		t.Fatal(err)
	}
	if m.Format != generators.FormatTar || m.ShardSamples != 5 {
		t.Errorf("manifest: format %q, %d samples per tar file", m.Format, m.ShardSamples)
	}
}

func TestTarUsageErrors(t *testing.T) {
	dir := t.TempDir()
	x := filepath.Join(dir, "x")
	for _, tt := range []struct {
		name string
		args []string
		msg  string
	}{
		{"zero per file", []string{"generate", "shapes", "--out", x, "--n", "3", "--format", "tar", "--shard-samples", "0"}, "--shard-samples 0: want 1 or more"},
		{"not tar", []string{"generate", "shapes", "--out", x, "--n", "3", "--shard-samples", "10"}, "it needs --format tar"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := dispatch(context.Background(), tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want it to contain %q", err, tt.msg)
			}
			if code := run(context.Background(), tt.args); code != 2 {
				t.Fatalf("exit %d, want 2", code)
			}
		})
	}
}
