package generators

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeSmall writes a small shapes dataset: 24 train and 8 test samples.
func writeSmall(t testing.TB, out string, format Format, shard Shard) *Manifest {
	t.Helper()
	spec := Spec{Dataset: Shapes{}, Seed: 11, Config: shapesConfig(t),
		Splits: []SplitSize{{"train", 24}, {"test", 8}}}
	m, err := Write(context.Background(), spec, WriteOptions{Out: out, Format: format, Workers: 2, Shard: shard})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fixChecksums rewrites split's SHA256SUMS line for rel and the manifest's
// split hash, as someone covering an edit would, so that only re-rendering
// can tell.
func fixChecksums(t *testing.T, dir, split, rel string) {
	t.Helper()
	sum, err := hashFile(filepath.Join(dir, split, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	sumsPath := filepath.Join(dir, split, SumsFile)
	lines := strings.Split(string(readFile(t, sumsPath)), "\n")
	for i, l := range lines {
		if strings.HasSuffix(l, "  "+rel) {
			lines[i] = sum + "  " + rel
		}
	}
	sums := []byte(strings.Join(lines, "\n"))
	if err := os.WriteFile(sumsPath, sums, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	info := m.Splits[split]
	info.SHA256 = hexSum(sums)
	m.Splits[split] = info
	if err := writeManifest(dir, m); err != nil {
		t.Fatal(err)
	}
}

func shapesRegistry() *Registry { return NewRegistry(Shapes{}) }

// all re-renders every sample, so that an edit of one is always among them.
var all = VerifyOptions{Regenerate: 1 << 20}

func TestVerifySpecIntact(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []Format{FormatPNG, FormatNPZ, FormatTar} {
		t.Run(string(format), func(t *testing.T) {
			whole := filepath.Join(dir, string(format))
			writeSmall(t, whole, format, Shard{})
			if err := VerifySpec(context.Background(), whole, shapesRegistry(), all); err != nil {
				t.Fatal(err)
			}
			var shards []string
			for k := range 3 {
				d := filepath.Join(dir, fmt.Sprintf("%s-%d", format, k))
				writeSmall(t, d, format, Shard{k, 3})
				if err := VerifySpec(context.Background(), d, shapesRegistry(), all); err != nil {
					t.Fatalf("shard %d: %v", k, err)
				}
				shards = append(shards, d)
			}
			merged := filepath.Join(dir, string(format)+"-merged")
			if _, err := Merge(shards, merged, false); err != nil {
				t.Fatal(err)
			}
			if err := VerifySpec(context.Background(), merged, shapesRegistry(), all); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRegenerateCatchesWhatChecksumsCannot edits samples and fixes up the
// checksums: Verify passes, and only re-rendering finds the edit.
func TestRegenerateCatchesWhatChecksumsCannot(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		edit   func(t *testing.T, dir string)
		want   string
	}{
		{"one pixel of a png", FormatPNG, func(t *testing.T, dir string) {
			path := filepath.Join(dir, "train", "images", "000005.png")
			img, err := png.Decode(bytes.NewReader(readFile(t, path)))
			if err != nil {
				t.Fatal(err)
			}
			rgba := image.NewRGBA(img.Bounds())
			for y := range img.Bounds().Dy() {
				for x := range img.Bounds().Dx() {
					rgba.Set(x, y, img.At(x, y))
				}
			}
			rgba.Pix[4*(3*rgba.Bounds().Dx()+2)] ^= 1 // x=2, y=3, red
			var buf bytes.Buffer
			if err := png.Encode(&buf, rgba); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			fixChecksums(t, dir, "train", "images/000005.png")
		}, "sample train/000005: images/000005.png: 1 of 784 pixels differ from what the spec renders (the first at x=2, y=3)"},
		{"a record field", FormatPNG, func(t *testing.T, dir string) {
			path := filepath.Join(dir, "test", "samples.jsonl")
			lines := strings.Split(string(readFile(t, path)), "\n")
			var rec map[string]any
			if err := json.Unmarshal([]byte(lines[2]), &rec); err != nil {
				t.Fatal(err)
			}
			rec["heldout"] = !rec["heldout"].(bool)
			b, _ := json.Marshal(rec)
			lines[2] = string(b)
			if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
				t.Fatal(err)
			}
			fixChecksums(t, dir, "test", "samples.jsonl")
		}, `sample test/000002: record field "heldout"`},
		{"one pixel byte in npz", FormatNPZ, func(t *testing.T, dir string) {
			path := filepath.Join(dir, "train", "data.npz")
			arrays, closeNPZ, err := openNPZ(path, npzFeatures(Shapes{}.mustFeatures(t)))
			if err != nil {
				t.Fatal(err)
			}
			a := arrays["image"]
			off := a.offset + 17*int64(a.elem) + 100
			closeNPZ()
			b := readFile(t, path)
			b[off] ^= 0x80
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			fixChecksums(t, dir, "train", "data.npz")
		}, "sample train/000017: image: 1 of 2352 bytes of pixels differ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			writeSmall(t, dir, tt.format, Shard{})
			tt.edit(t, dir)
			if err := Verify(dir); err != nil {
				t.Fatalf("the edit is not covered up: Verify: %v", err)
			}
			err := VerifySpec(context.Background(), dir, shapesRegistry(), all)
			var v *VerifyError
			if !errors.As(err, &v) || !slices.ContainsFunc(v.Problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Fatalf("VerifySpec: %v\nwant a problem containing %q", err, tt.want)
			}
			if !strings.Contains(v.Problems[0], "1 of 32 re-rendered samples differ") {
				t.Errorf("first problem %q, want the summary of 1 of 32 samples", v.Problems[0])
			}
		})
	}
}

func (s Shapes) mustFeatures(t *testing.T) []Feature {
	t.Helper()
	sm, err := s.New(shapesConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	return sm.Features()
}

func TestPickSpreadsOverSplits(t *testing.T) {
	m := &Manifest{SplitOrder: []string{"train", "val", "test"}, Splits: map[string]SplitInfo{
		"train": {Count: 1000}, "val": {Count: 3}, "test": {Count: 0},
	}}
	tests := []struct {
		k          int
		train, val int
	}{
		{8, 7, 1}, // val gets at least one
		{1, 1, 1}, // every non-empty split gets one, even past k
		{100, 99, 1},
		{5000, 1000, 3}, // at most every sample
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.k), func(t *testing.T) {
			p := pick(m, tt.k, 1)
			if len(p["train"]) != tt.train || len(p["val"]) != tt.val || len(p["test"]) != 0 {
				t.Fatalf("picked %d, %d, %d; want %d, %d, 0", len(p["train"]), len(p["val"]), len(p["test"]), tt.train, tt.val)
			}
			// One per stratum: ascending, distinct, in range.
			for name, pos := range p {
				n := m.Splits[name].Count
				for j, q := range pos {
					lo, hi := n*j/len(pos), n*(j+1)/len(pos)
					if q < lo || q >= hi {
						t.Errorf("%s: pick %d is %d, outside its stratum [%d, %d)", name, j, q, lo, hi)
					}
				}
			}
			if !slices.Equal(p["train"], pick(m, tt.k, 1)["train"]) {
				t.Error("the same seed picks differently")
			}
		})
	}
	// Shares of 2.5 each: the rounding down leaves one to give.
	even := &Manifest{SplitOrder: []string{"a", "b"}, Splits: map[string]SplitInfo{"a": {Count: 10}, "b": {Count: 10}}}
	if p := pick(even, 5, 1); len(p["a"])+len(p["b"]) != 5 {
		t.Errorf("picked %d and %d of two equal splits for k=5, want 5 in all", len(p["a"]), len(p["b"]))
	}
	if slices.Equal(pick(m, 8, 1)["train"], pick(m, 8, 2)["train"]) {
		t.Error("seeds 1 and 2 pick the same samples")
	}
}

// FuzzReadManifest feeds manifest.json bytes to parseManifest, which is
// ReadManifest after reading the file: no input may panic, and anything it
// accepts must name a dataset and list each split once.
func FuzzReadManifest(f *testing.F) {
	addManifestSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseManifest(b, ManifestFile)
		if err != nil {
			if m != nil {
				t.Fatal("ReadManifest returned a manifest and an error")
			}
			return
		}
		if m.Dataset == "" || len(m.Splits) != len(m.SplitOrder) {
			t.Fatalf("ReadManifest accepted dataset %q with splits %v, order %v", m.Dataset, m.Splits, m.SplitOrder)
		}
	})
}

// FuzzVerifyManifest feeds manifest.json bytes to ReadManifest and, when
// they parse, to Verify and VerifySpec (without re-rendering) over a folder
// that holds only the manifest: none may panic, and anything they accept
// must be a dataset they can describe.
func FuzzVerifyManifest(f *testing.F) {
	addManifestSeeds(f)
	dir := f.TempDir()
	// One folder for every input: a fuzz worker runs its inputs one at a time.
	d := filepath.Join(dir, "fuzz")
	if err := os.MkdirAll(d, 0o755); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(filepath.Join(d, ManifestFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := ReadManifest(d)
		if err != nil {
			if m != nil {
				t.Fatal("ReadManifest returned a manifest and an error")
			}
			return
		}
		if m.Dataset == "" || len(m.Splits) != len(m.SplitOrder) {
			t.Fatalf("ReadManifest accepted dataset %q with splits %v, order %v", m.Dataset, m.Splits, m.SplitOrder)
		}
		Verify(d)
		VerifySpec(context.Background(), d, shapesRegistry(), VerifyOptions{Regenerate: -1})
	})
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadManifestRejects(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadManifest(filepath.Join(dir, "none")); !errors.Is(err, ErrNoManifest) {
		t.Errorf("a folder without a manifest: %v, want ErrNoManifest", err)
	}
	tests := []struct{ name, json, want string }{
		{"not json", `{"dataset":`, "unexpected end"},
		{"no dataset", `{"splits":{"a":{}},"split_order":["a"]}`, "no dataset or splits"},
		{"repeated split", `{"dataset":"shapes","splits":{"a":{}},"split_order":["a","a"]}`, `split_order: bad or repeated split "a"`},
		{"split not in order", `{"dataset":"shapes","splits":{"a":{},"b":{}},"split_order":["a"]}`, `splits: "b" is not in split_order`},
		{"bad split name", `{"dataset":"shapes","splits":{"../a":{}},"split_order":["../a"]}`, `bad or repeated split "../a"`},
		{"unknown kind", `{"dataset":"shapes","features":[{"kind":"nope"}],"splits":{"a":{}},"split_order":["a"]}`, `unknown feature kind "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-"))
			os.MkdirAll(d, 0o755)
			if err := os.WriteFile(filepath.Join(d, ManifestFile), []byte(tt.json), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadManifest(d); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadManifest: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// addManifestSeeds adds the real manifests in testdata/manifests, written by
// `hiddendim generate shapes --splits train=50,test=10` (png; npz) and with
// --shard 1/3, and a few hostile ones, to f's corpus.
func addManifestSeeds(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "manifests", "*.json"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seed manifests in testdata/manifests: %v", err)
	}
	for _, p := range seeds {
		f.Add(mustRead(f, p))
	}
	f.Add([]byte(`{"dataset":"shapes","splits":{"train":{"count":-1,"checksums":"../../x"}},"split_order":["train"]}`))
	f.Add([]byte(`{"dataset":"shapes","config":{"image_size":1e9},"splits":{"a":{}},"split_order":["a","a"]}`))
	f.Add([]byte(`{"dataset":"x","features":[{"kind":"nope"}]}`))
	f.Add([]byte(`null`))
}
