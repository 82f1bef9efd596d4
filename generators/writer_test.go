package generators

import (
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func write(t *testing.T, out string, seed uint64, opts WriteOptions, sets ...string) *Manifest {
	t.Helper()
	spec := Spec{Dataset: Shapes{}, Seed: seed, Config: shapesConfig(t, sets...),
		Splits: []SplitSize{{"train", 230}, {"test", 57}}}
	opts.Out = out
	m, err := Write(context.Background(), spec, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWriteDeterminism(t *testing.T) {
	dir := t.TempDir()
	a := write(t, filepath.Join(dir, "a"), 7, WriteOptions{Workers: 1})
	b := write(t, filepath.Join(dir, "b"), 7, WriteOptions{Workers: 4})
	c := write(t, filepath.Join(dir, "c"), 8, WriteOptions{Workers: 2})
	// The split hash covers every byte of every file of the split.
	for _, s := range []string{"train", "test"} {
		if a.Splits[s].SHA256 != b.Splits[s].SHA256 {
			t.Errorf("%s: 1 worker and 4 workers differ", s)
		}
		if a.Splits[s].SHA256 == c.Splits[s].SHA256 {
			t.Errorf("%s: seeds 7 and 8 give the same data", s)
		}
	}
	if string(readFile(t, filepath.Join(dir, "a", ManifestFile))) != string(readFile(t, filepath.Join(dir, "b", ManifestFile))) {
		t.Error("manifests of the same spec differ")
	}
	for _, d := range []string{"a", "b", "c"} {
		if err := Verify(filepath.Join(dir, d)); err != nil {
			t.Error(err)
		}
	}
}

func TestShardsMergeToTheSingleRun(t *testing.T) {
	for _, format := range []Format{FormatPNG, FormatNPZ, FormatTar, FormatParquet} {
		t.Run(string(format), func(t *testing.T) {
			dir := t.TempDir()
			// 50 per tar file: the shards' parts of the splits begin and
			// end inside tar files.
			whole := write(t, filepath.Join(dir, "whole"), 3, WriteOptions{Format: format, ShardSamples: 50})
			var shards []string
			for k := 2; k >= 0; k-- { // out of order on purpose
				d := filepath.Join(dir, "shard", string(rune('0'+k)))
				m := write(t, d, 3, WriteOptions{Format: format, Shard: Shard{k, 3}, ShardSamples: 50})
				if m.Shard == nil || m.Splits["train"].Total != 230 {
					t.Fatalf("shard manifest: %+v", m)
				}
				shards = append(shards, d)
			}
			merged, err := Merge(shards, filepath.Join(dir, "merged"), false)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(merged.Splits, whole.Splits) {
				t.Errorf("merged splits %+v, single run %+v", merged.Splits, whole.Splits)
			}
			if a, b := readFile(t, filepath.Join(dir, "whole", ManifestFile)), readFile(t, filepath.Join(dir, "merged", ManifestFile)); string(a) != string(b) {
				t.Errorf("merged manifest differs from the single run's:\n%s\n%s", a, b)
			}
			if err := Verify(filepath.Join(dir, "merged")); err != nil {
				t.Error(err)
			}
			if _, err := Merge(shards[:2], filepath.Join(dir, "partial"), false); err == nil || !strings.Contains(err.Error(), "missing shards 0/3") {
				t.Errorf("merge of 2 of 3 shards: %v, want missing shards 0/3", err)
			}
		})
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(dir string) error
		want   string
	}{
		{"changed image", func(d string) error {
			p := filepath.Join(d, "train", "images", "000005.png")
			b, _ := os.ReadFile(p)
			b[len(b)-20] ^= 1
			return os.WriteFile(p, b, 0o644)
		}, "train/images/000005.png: content changed"},
		{"missing mask", func(d string) error { return os.Remove(filepath.Join(d, "test", "masks", "000003.png")) }, "test/masks/000003.png: missing"},
		{"extra file", func(d string) error { return os.WriteFile(filepath.Join(d, "train", "images", "x.png"), nil, 0o644) }, "train/images/x.png: extra file"},
		{"extra folder", func(d string) error { return os.Mkdir(filepath.Join(d, "val"), 0o755) }, "val: extra"},
		{"edited jsonl", func(d string) error {
			p := filepath.Join(d, "train", "samples.jsonl")
			b, _ := os.ReadFile(p)
			return os.WriteFile(p, []byte(strings.Replace(string(b), "red", "blue", 1)), 0o644)
		}, "train/samples.jsonl: content changed"},
		{"edited checksums", func(d string) error {
			p := filepath.Join(d, "train", SumsFile)
			b, _ := os.ReadFile(p)
			return os.WriteFile(p, b[:len(b)-80], 0o644)
		}, "train/SHA256SUMS: changed"},
		{"no manifest", func(d string) error { return os.Remove(filepath.Join(d, ManifestFile)) }, "did not finish"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			write(t, dir, 1, WriteOptions{})
			if err := tt.tamper(dir); err != nil {
				t.Fatal(err)
			}
			err := Verify(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Verify = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestReaderRoundTrip(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "png"), 5, WriteOptions{})
	write(t, filepath.Join(dir, "npz"), 5, WriteOptions{Format: FormatNPZ})
	if err := Verify(filepath.Join(dir, "npz")); err != nil {
		t.Fatal(err)
	}
	s, _ := Shapes{}.New(Shapes{}.DefaultConfig())
	rend := s.NewRenderer()
	for _, format := range []string{"png", "npz"} {
		r, err := Open(filepath.Join(dir, format))
		if err != nil {
			t.Fatal(err)
		}
		sr, err := r.Split("test")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for sr.Next() {
			rec := sr.Record()
			var got ShapesExample
			if err := rec.Decode(&got); err != nil {
				t.Fatal(err)
			}
			want, err := rend.Render(SampleKey{Seed: 5, Split: "test", Index: rec.Index, IDWidth: 6}, NewSampleRand(5, "test", rec.Index))
			if err != nil {
				t.Fatal(err)
			}
			ex := *want.Record.(*ShapesExample)
			if format == "npz" { // npz has no file paths or ids
				ex.ID, ex.Image, ex.Mask = "", "", ""
			}
			if got != ex {
				t.Fatalf("%s sample %d: read %+v, rendered %+v", format, rec.Index, got, ex)
			}
			for k, field := range []string{"image", "mask"} {
				img, err := rec.Image(field)
				if err != nil {
					t.Fatal(err)
				}
				if !samePixels(img, want.Files[k].Image) {
					t.Fatalf("%s sample %d: %s pixels differ from the render", format, rec.Index, field)
				}
			}
			n++
		}
		if sr.Err() != nil || n != 57 {
			t.Fatalf("%s: read %d of 57 samples: %v", format, n, sr.Err())
		}
		sr.Close()
	}
}

func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 {
				return false
			}
		}
	}
	return true
}

func TestWriteRefusesAndCleansUp(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "d")
	write(t, out, 1, WriteOptions{})
	spec := Spec{Dataset: Shapes{}, Splits: []SplitSize{{"train", 10}}}
	if _, err := Write(context.Background(), spec, WriteOptions{Out: out}); !errors.Is(err, ErrExists) {
		t.Fatalf("second write: %v, want ErrExists", err)
	}
	m, err := Write(context.Background(), spec, WriteOptions{Out: out, Overwrite: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(out); err != nil || m.Splits["train"].Count != 10 {
		t.Fatalf("after overwrite: %v, %+v (the old test split must be gone)", err, m.Splits)
	}
	other := filepath.Join(dir, "other")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o644)
	if _, err := Write(context.Background(), spec, WriteOptions{Out: other}); !errors.Is(err, ErrOutNotEmpty) {
		t.Fatalf("write into a folder of other files: %v, want ErrOutNotEmpty", err)
	}
	if _, err := os.Stat(filepath.Join(other, "notes.txt")); err != nil {
		t.Fatal("the user's file was touched")
	}
}

func TestCancelledWriteLeavesNoManifest(t *testing.T) {
	out := filepath.Join(t.TempDir(), "d")
	ctx, cancel := context.WithCancel(context.Background())
	spec := Spec{Dataset: Shapes{}, Splits: []SplitSize{{"train", 100000}}}
	done := 0
	_, err := Write(ctx, spec, WriteOptions{Out: out, Progress: func(d, total int) {
		if done = d; d == 500 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Write = %v, want context.Canceled", err)
	}
	if done >= 100000 {
		t.Fatal("the write ran to the end")
	}
	if _, err := os.Stat(filepath.Join(out, ManifestFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a cancelled write left a manifest")
	}
	if err := Verify(out); err == nil {
		t.Fatal("Verify accepts an interrupted folder")
	}
	// A rerun cleans up what the interrupted one left.
	spec.Splits[0].Count = 20
	if _, err := Write(context.Background(), spec, WriteOptions{Out: out}); err != nil {
		t.Fatal(err)
	}
	if err := Verify(out); err != nil {
		t.Fatal(err)
	}
}

func TestNPZLayout(t *testing.T) {
	out := filepath.Join(t.TempDir(), "d")
	write(t, out, 2, WriteOptions{Format: FormatNPZ})
	r, _ := Open(out)
	sr, err := r.Split("train")
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	want := map[string][]int{"image": {230, 28, 28, 3}, "mask": {230, 28, 28}, "shape": {230}, "bbox": {230, 4}, "center": {230, 2}}
	for name, shape := range want {
		if got := sr.arrays[name].shape; !reflect.DeepEqual(got, shape) {
			t.Errorf("%s.npy shape %v, want %v", name, got, shape)
		}
	}
}

// A cancelled npz write leaves neither an archive that looks complete nor
// its temp arrays.
func TestCancelledNPZWriteLeavesNoArchive(t *testing.T) {
	out := filepath.Join(t.TempDir(), "d")
	ctx, cancel := context.WithCancel(context.Background())
	spec := Spec{Dataset: Shapes{}, Splits: []SplitSize{{"train", 100000}}}
	_, err := Write(ctx, spec, WriteOptions{Out: out, Format: FormatNPZ, Progress: func(d, total int) {
		if d == 500 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Write = %v, want context.Canceled", err)
	}
	left, err := os.ReadDir(filepath.Join(out, "train"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		if e.Name() != SumsFile { // emptied, and not named in a manifest
			t.Errorf("a cancelled npz write left %s", e.Name())
		}
	}
}
