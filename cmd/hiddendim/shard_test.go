package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/bench"
)

// writeShardSuite writes a suite of three small tasks of real kinds, each
// of 2 models × 2 seeds: classification and a VAE on 16-pixel shapes, and
// captioning on 16-pixel relations, whose two decodings share a training.
func writeShardSuite(t *testing.T, dir string) string {
	t.Helper()
	reg := datasets()
	version := func(gen string) string {
		ds, err := reg.Lookup(gen)
		if err != nil {
			t.Fatal(err)
		}
		return ds.Version().String()
	}
	small := `"settings": {"image_size": "16", "size_min": "6", "size_max": "8"}, "splits": [{"name": "train", "count": 64}, {"name": "test", "count": 32}], "train": "train", "test": "test"`
	suite := fmt.Sprintf(`{"name": "shardtest", "description": "three small tasks of 2 models × 2 seeds", "tasks": [
{"name": "tiny-classes", "version": "1.0.0", "kind": "classification",
 "dataset": {"generator": "shapes", "version": %[1]q, "seed": 7, %[3]s},
 "labels": ["shape", "color"],
 "models": [{"name": "multilabel", "arch": "multilabel", "conv": [4], "hidden": 8}, {"name": "combo", "arch": "combo", "conv": [4], "hidden": 8}],
 "budget": {"epochs": 1, "batch": 32, "lr": 0.002}, "seeds": [1, 2],
 "metrics": ["subset_accuracy", "shape_accuracy", "params"], "primary": "subset_accuracy", "minutes": 0.02},
{"name": "tiny-vae", "version": "1.0.0", "kind": "vae",
 "dataset": {"generator": "shapes", "version": %[1]q, "seed": 8, "settings": {"image_size": "16", "size_min": "6", "size_max": "8"},
  "splits": [{"name": "train", "count": 160}, {"name": "test", "count": 160}], "train": "train", "test": "test"},
 "models": [{"name": "vae", "latent": 2, "beta": 1}, {"name": "beta4", "latent": 2, "beta": 4}],
 "budget": {"epochs": 1, "batch": 32, "lr": 0.002}, "seeds": [1, 2],
 "metrics": ["neg_elbo", "recon", "kl"], "primary": "neg_elbo"},
{"name": "tiny-captions", "version": "1.0.0", "kind": "captioning",
 "dataset": {"generator": "relations", "version": %[2]q, "seed": 7, %[3]s},
 "models": [{"name": "greedy", "arch": "attention", "beam": 1}, {"name": "beam2", "arch": "attention", "beam": 2}],
 "budget": {"epochs": 1, "batch": 32, "lr": 0.002}, "seeds": [1, 2],
 "metrics": ["exact_match", "bleu4"], "primary": "exact_match"}]}`, version("shapes"), version("relations"), small)
	p := filepath.Join(dir, "shardtest.json")
	if err := os.WriteFile(p, []byte(suite), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBenchShardsMergeIntoTheWholeRun runs a small suite on one machine
// and as three shards sharing a cache, and holds that the shards' records,
// taken together by leaderboard --merge, are the whole run's: the same
// record ids, the same leaderboard.
func TestBenchShardsMergeIntoTheWholeRun(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 12 small models twice")
	}
	dir := t.TempDir()
	suite := writeShardSuite(t, dir)
	cache := filepath.Join(dir, "cache")
	whole := filepath.Join(dir, "whole.jsonl")
	if code := runNoPanic(t, []string{"bench", "--suite", suite, "--cache", cache, "--out", whole}); code != 0 {
		t.Fatalf("whole suite: exit %d", code)
	}
	// The shards find the datasets in the cache and leave them in place.
	before := map[string]os.FileInfo{}
	entries, _ := os.ReadDir(filepath.Join(cache, "datasets"))
	for _, e := range entries {
		fi, err := os.Stat(filepath.Join(cache, "datasets", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		before[e.Name()] = fi
	}
	var shards []string
	for k := range 3 {
		out := filepath.Join(dir, fmt.Sprintf("shard-%d.jsonl", k))
		if code := runNoPanic(t, []string{"bench", "--suite", suite, "--cache", cache, "--shard", fmt.Sprintf("%d/3", k), "--out", out}); code != 0 {
			t.Fatalf("shard %d/3: exit %d", k, code)
		}
		shards = append(shards, out)
	}
	ids := func(paths ...string) []string {
		var out []string
		for _, p := range paths {
			recs, err := bench.ReadRecords(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				out = append(out, r.RecordID)
			}
		}
		slices.Sort(out)
		return out
	}
	wholeIDs, shardIDs := ids(whole), ids(shards...)
	if len(wholeIDs) != 12 || !slices.Equal(wholeIDs, shardIDs) {
		t.Fatalf("record ids differ:\nwhole  %q\nshards %q", wholeIDs, shardIDs)
	}
	// The captioner's two decodings of a seed ran on one shard.
	for _, p := range shards {
		recs, _ := bench.ReadRecords(p)
		decodings := map[uint64]int{}
		for _, r := range recs {
			if r.Task == "tiny-captions" {
				decodings[r.Seed]++
			}
		}
		for seed, n := range decodings {
			if n != 2 {
				t.Errorf("%s: %d of the captioner's 2 decodings of seed %d", filepath.Base(p), n, seed)
			}
		}
	}
	// CSV leaves out the training times, which differ between runs.
	want := captureStdout(t, []string{"leaderboard", whole, "--format", "csv"})
	for _, order := range [][]int{{0, 1, 2}, {2, 0, 1}} {
		args := []string{"leaderboard", "--merge", "--suite", suite, "--format", "csv"}
		for _, i := range order {
			args = append(args, shards[i])
		}
		if got := captureStdout(t, args); got != want {
			t.Errorf("merged shards %v:\n%s\nwant the whole run's:\n%s", order, got, want)
		}
	}
	// Two shards of three are not the suite.
	err := dispatch(context.Background(), []string{"leaderboard", "--merge", "--suite", suite, "--format", "csv", shards[0], shards[1]})
	if err == nil || !strings.Contains(err.Error(), "runs of suite shardtest") {
		t.Errorf("two shards of three held to the suite: %v", err)
	}
	// Every dataset is in the cache once, the one the whole run placed,
	// and nothing half-written is left.
	entries, _ = os.ReadDir(filepath.Join(cache, "datasets"))
	for _, e := range entries {
		fi, err := os.Stat(filepath.Join(cache, "datasets", e.Name()))
		if err != nil || !os.SameFile(fi, before[e.Name()]) {
			t.Errorf("the shards replaced the cached %s (%v)", e.Name(), err)
		}
	}
	if len(entries) != 3 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("cache holds %q, want the 3 datasets", names)
	}
}

func TestBenchShardList(t *testing.T) {
	out := captureStdout(t, []string{"bench", "--suite", "quick", "--shard", "1/3", "--list"})
	for _, want := range []string{"suite quick in 3 shards", "shard 0/3: ", "shard 1/3 (this shard): ", "shard 2/3: ",
		"attention-greedy, attention-beam3", "measured"} {
		if !strings.Contains(out, want) {
			t.Errorf("bench --shard 1/3 --list lacks %q:\n%s", want, out)
		}
	}
	// In every built-in suite, for any shard count, every run is in
	// exactly one shard and no shard's estimate exceeds another's by more
	// than the longest unit.
	h := harness()
	for _, name := range bench.BuiltinSuites() {
		s, _ := h.LookupSuite(name)
		var runs []string
		for _, task := range s.Tasks {
			for _, m := range task.Models {
				for _, seed := range task.Seeds {
					runs = append(runs, fmt.Sprintf("%s %s %d", task.Name, m.Name, seed))
				}
			}
		}
		slices.Sort(runs)
		for n := 1; n <= 9; n++ {
			p, err := h.Plan(s, n)
			if err != nil {
				t.Fatal(err)
			}
			var dealt []string
			lo, hi, longest := 1e9, 0.0, 0.0
			for _, sp := range p.Shards {
				for _, u := range sp.Units {
					for _, m := range u.Models {
						dealt = append(dealt, fmt.Sprintf("%s %s %d", u.Task, m, u.Seed))
					}
					longest = max(longest, u.Minutes)
				}
				lo, hi = min(lo, sp.Minutes), max(hi, sp.Minutes)
			}
			slices.Sort(dealt)
			if !slices.Equal(runs, dealt) {
				t.Errorf("%s in %d shards: dealt runs %q, want the suite's %q", name, n, dealt, runs)
			}
			if hi-lo > longest+1e-9 {
				t.Errorf("%s in %d shards: estimates range over %.2f..%.2f min, more than the longest unit (%.2f min) apart", name, n, lo, hi, longest)
			}
		}
	}
	js := captureStdout(t, []string{"bench", "--suite", "quick", "--shard", "0/2", "--list", "--format", "json"})
	if !strings.Contains(js, `"shards": [`) || !strings.Contains(js, `"basis": "measured"`) {
		t.Errorf("bench --shard 0/2 --list --format json:\n%s", js)
	}
}

func TestShardUsageErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"bench", "--shard", "3/3"}, 2, "want K/N with 0 <= K < N (K 0-based"},
		{[]string{"bench", "--shard", "4/3"}, 2, "e.g. --shard 0/4 for the first of four"},
		{[]string{"bench", "--shard", "0/0"}, 2, "want K/N"},
		{[]string{"bench", "--shard", "x"}, 2, `--shard "x": want K/N`},
		{[]string{"bench", "--shard", "-1/3", "--list"}, 2, "want K/N"},
		{[]string{"leaderboard", "--suite", "quick", "a.jsonl"}, 2, "pass --merge too"},
		{[]string{"leaderboard", "--merge", filepath.Join(dir, "none.jsonl")}, 1, "none.jsonl: no such file"},
		{[]string{"leaderboard", "--merge", "--suite", "quik", filepath.Join("..", "..", "bench", "testdata", "records.jsonl")}, 2, "no such suite"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			err := dispatch(context.Background(), tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want %q", err, tt.msg)
			}
			if code := run(context.Background(), tt.args); code != tt.code {
				t.Fatalf("exit %d, want %d", code, tt.code)
			}
		})
	}
}

func TestLooksLikeShards(t *testing.T) {
	rec := func(suite, task, model string, seed uint64) bench.Record {
		return bench.Record{Suite: suite, Task: task, Model: model, Seed: seed}
	}
	a1, a2, b1 := rec("s", "t", "a", 1), rec("s", "t", "a", 2), rec("s", "t", "b", 1)
	tests := []struct {
		name string
		sets [][]bench.Record
		want bool
	}{
		{"disjoint runs of one suite", [][]bench.Record{{a1, b1}, {a2}}, true},
		{"a run in both", [][]bench.Record{{a1, b1}, {a1}}, false},
		{"two suites", [][]bench.Record{{a1}, {rec("other", "t", "a", 2)}}, false},
		{"the same file twice", [][]bench.Record{{a1, a2}, {a1, a2}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := looksLikeShards(tt.sets); got != tt.want {
				t.Errorf("looksLikeShards = %v, want %v", got, tt.want)
			}
		})
	}
}
