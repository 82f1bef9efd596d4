package generators_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/clevrlite"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/scenes"
	"github.com/hiddendim/hiddendim/webpages"
)

var listFamilies = []family{
	{"relations", scenes.Relations{}, []string{"single_fraction=0.3"}, 23},
	{"counting", scenes.Counting{}, nil, 23},
	{"clevrlite-programs", clevrlite.SortOfCLEVR{}, []string{"questions=programs"}, 12},
}

// TestNPZListsMatchPNG writes the list-feature datasets as npz and checks
// that the reader gives back every npz-stored field of the png records
// (lists padded and cut back to their counts) and the same pixels.
func TestNPZListsMatchPNG(t *testing.T) {
	for _, f := range listFamilies {
		t.Run(f.name, func(t *testing.T) {
			dir := t.TempDir()
			pngDir, npzDir := filepath.Join(dir, "png"), filepath.Join(dir, "npz")
			f.write(t, pngDir, generators.WriteOptions{})
			m := f.write(t, npzDir, generators.WriteOptions{Format: generators.FormatNPZ})
			if err := generators.Verify(npzDir); err != nil {
				t.Fatal(err)
			}
			if len(m.NPZLists["train"]) == 0 {
				t.Fatal("manifest has no npz lists")
			}
			stored := map[string]bool{}
			for _, feat := range m.Features {
				if feat.NPZ != generators.NotInNPZ && feat.Kind != generators.ImageFeature && feat.Kind != generators.MaskFeature {
					stored[feat.Name] = true
				}
			}
			a, _ := generators.Open(pngDir)
			b, _ := generators.Open(npzDir)
			for _, split := range m.SplitOrder {
				sa, _ := a.Split(split)
				sb, err := b.Split(split)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for sa.Next() && sb.Next() {
					var x, y map[string]any
					sa.Record().Decode(&x)
					sb.Record().Decode(&y)
					for k := range x {
						if !stored[k] {
							delete(x, k)
						}
					}
					if !reflect.DeepEqual(x, y) {
						xj, _ := json.Marshal(x)
						yj, _ := json.Marshal(y)
						t.Fatalf("%s sample %d:\npng %s\nnpz %s", split, n, xj, yj)
					}
					for _, field := range []string{"image", "mask"} {
						ia, _ := sa.Record().Image(field)
						ib, err := sb.Record().Image(field)
						if err != nil {
							t.Fatal(err)
						}
						if d := pixelDiff(ia, ib); d != "" {
							t.Fatalf("%s sample %d %s: %s", split, n, field, d)
						}
					}
					n++
				}
				if sb.Err() != nil || n != m.Splits[split].Count {
					t.Fatalf("%s: read %d of %d: %v", split, n, m.Splits[split].Count, sb.Err())
				}
			}
		})
	}
}

// TestNPZListsShardsMerge checks that shards, each padded to its own
// longest list, merge into the single run's arrays, byte for byte.
func TestNPZListsShardsMerge(t *testing.T) {
	f := listFamilies[1] // counting: object counts vary from sample to sample
	dir := t.TempDir()
	whole := f.write(t, filepath.Join(dir, "whole"), generators.WriteOptions{Format: generators.FormatNPZ})
	var shards []string
	for k := range 3 {
		d := filepath.Join(dir, fmt.Sprint(k))
		f.write(t, d, generators.WriteOptions{Format: generators.FormatNPZ, Shard: generators.Shard{Index: k, Count: 3}})
		shards = append(shards, d)
	}
	merged, err := generators.Merge(shards, filepath.Join(dir, "merged"), false)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(merged.Splits, whole.Splits) || !reflect.DeepEqual(merged.NPZLists, whole.NPZLists) {
		t.Errorf("merged %+v %+v, single run %+v %+v", merged.Splits, merged.NPZLists, whole.Splits, whole.NPZLists)
	}
	if err := generators.Verify(filepath.Join(dir, "merged")); err != nil {
		t.Error(err)
	}
}

// Datasets whose lists hold files or trees, or whose texts are unbounded,
// still refuse npz, saying why and what to use.
func TestNPZRefusals(t *testing.T) {
	for _, f := range []family{
		{"relations-parts", scenes.Relations{}, []string{"parts=true"}, 3},
		{"webpages", webpages.Pages{}, nil, 2},
	} {
		cfg := f.ds.DefaultConfig()
		generators.ApplySettings(cfg, f.sets...)
		spec := generators.Spec{Dataset: f.ds, Config: cfg, Splits: []generators.SplitSize{{Name: "train", Count: f.n}}}
		_, err := generators.Write(t.Context(), spec, generators.WriteOptions{Out: filepath.Join(t.TempDir(), "x"), Format: generators.FormatNPZ})
		if err == nil || !strings.Contains(err.Error(), "use --format png, tar or parquet") {
			t.Errorf("%s as npz: %v, want a refusal naming png and parquet", f.name, err)
		}
	}
}

// requireNumPy makes TestNPZListsNumPy fail, not skip, without Python and
// NumPy (CI sets it).
const requireNumPy = "HIDDENDIM_REQUIRE_NUMPY"

// TestNPZListsNumPy loads a relations data.npz with numpy and checks the
// padded arrays and counts against our reader.
func TestNPZListsNumPy(t *testing.T) {
	var py string
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import numpy").Run() == nil {
			py = p
			break
		}
	}
	if py == "" {
		msg := "no python3 with numpy (/usr/bin/python3 or on PATH): apt-get install -y python3-numpy"
		if os.Getenv(requireNumPy) != "" {
			t.Fatalf("%s, and %s is set", msg, requireNumPy)
		}
		t.Skipf("%s; set %s to make this a failure", msg, requireNumPy)
	}
	dir := filepath.Join(t.TempDir(), "rel")
	m := listFamilies[0].write(t, dir, generators.WriteOptions{Format: generators.FormatNPZ})
	script := `
import json, sys, numpy as np
d = np.load(sys.argv[1])
n = d["objects_count"]
out = []
for i in range(len(n)):
    objs = [{"shape": str(d["objects_shape"][i, j]), "bbox": d["objects_bbox"][i, j].tolist()} for j in range(n[i])]
    rels = [{"subject": int(d["relations_subject"][i, j]), "predicate": str(d["relations_predicate"][i, j])} for j in range(d["relations_count"][i])]
    out.append({"objects": objs, "relations": rels})
print(json.dumps(out))
`
	got, err := exec.Command(py, "-c", script, filepath.Join(dir, "train", "data.npz")).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, got)
	}
	var fromNumPy []map[string]any
	if err := json.Unmarshal(got, &fromNumPy); err != nil {
		t.Fatalf("%v\n%s", err, got)
	}
	r, _ := generators.Open(dir)
	sr, _ := r.Split("train")
	i := 0
	for sr.Next() {
		var rec struct {
			Objects []struct {
				Shape string `json:"shape"`
				BBox  []any  `json:"bbox"`
			} `json:"objects"`
			Relations []struct {
				Subject   float64 `json:"subject"`
				Predicate string  `json:"predicate"`
			} `json:"relations"`
		}
		sr.Record().Decode(&rec)
		want, _ := json.Marshal(rec)
		var w map[string]any
		json.Unmarshal(want, &w)
		if i >= len(fromNumPy) || !reflect.DeepEqual(normalize(t, fromNumPy[i]), normalize(t, w)) {
			t.Fatalf("sample %d: numpy reads %v, our reader %s", i, fromNumPy[min(i, len(fromNumPy)-1)], want)
		}
		i++
	}
	if i != m.Splits["train"].Count || len(fromNumPy) != i {
		t.Fatalf("numpy read %d samples, our reader %d", len(fromNumPy), i)
	}
}
