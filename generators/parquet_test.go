package generators

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/hiddendim/hiddendim/internal/golden"
)

func TestParquetLayoutAndVerify(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pq")
	m := write(t, dir, 5, WriteOptions{Format: FormatParquet, RowsPerFile: 100})
	if err := Verify(dir); err != nil {
		t.Fatal(err)
	}
	// 230 train samples at 100 a file are 3 files; 57 test samples 1.
	for _, want := range []string{"train-00000-of-00003.parquet", "train-00002-of-00003.parquet", "test-00000-of-00001.parquet"} {
		if _, err := os.Stat(filepath.Join(dir, ParquetDir, want)); err != nil {
			t.Error(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{CardFile, ParquetDir, ManifestFile, "test." + SumsFile, "train." + SumsFile}; !reflect.DeepEqual(names, want) {
		t.Errorf("top level holds %v, want %v", names, want)
	}
	card := string(readFile(t, filepath.Join(dir, CardFile)))
	for _, want := range []string{"dtype: image", "class_label:", "num_examples: 230", `path: "data/train-[0-9][0-9][0-9][0-9][0-9]-of-*.parquet"`, cardMark, `dataset: "shapes"`} {
		if !strings.Contains(card, want) {
			t.Errorf("card lacks %q", want)
		}
	}
	if m.Parquet.Bytes["train"] == 0 {
		t.Error("manifest: parquet.bytes.train is 0")
	}
}

func TestParquetWorkersAndShardsAgree(t *testing.T) {
	dir := t.TempDir()
	// 50 rows a file: shard boundaries (76, 153) fall inside files.
	opts := WriteOptions{Format: FormatParquet, RowsPerFile: 50}
	one, three := opts, opts
	one.Workers, three.Workers = 1, 3
	a := write(t, filepath.Join(dir, "1"), 9, one)
	b := write(t, filepath.Join(dir, "3"), 9, three)
	if !reflect.DeepEqual(a.Splits, b.Splits) {
		t.Errorf("1 and 3 workers wrote different files: %+v, %+v", a.Splits, b.Splits)
	}
	var shards []string
	for k := range 3 {
		d := filepath.Join(dir, "shard", string(rune('0'+k)))
		sh := opts
		sh.Shard = Shard{k, 3}
		write(t, d, 9, sh)
		shards = append(shards, d)
	}
	merged, err := Merge(shards, filepath.Join(dir, "merged"), false)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(merged.Splits, a.Splits) {
		t.Errorf("merged splits %+v, single run %+v", merged.Splits, a.Splits)
	}
	for _, f := range []string{ManifestFile, CardFile} {
		if x, y := readFile(t, filepath.Join(dir, "1", f)), readFile(t, filepath.Join(dir, "merged", f)); !bytes.Equal(x, y) {
			t.Errorf("merged %s differs from the single run's", f)
		}
	}
	if err := Verify(filepath.Join(dir, "merged")); err != nil {
		t.Error(err)
	}
}

// TestParquetGolden pins what a tiny parquet dataset reads back as: the
// hash of each split's records and decoded pixels.
func TestParquetGolden(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pq")
	write(t, dir, 7, WriteOptions{Format: FormatParquet, RowsPerFile: 64})
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, name := range r.Manifest.SplitOrder {
		sr, err := r.Split(name)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		for sr.Next() {
			rec := sr.Record()
			h.Write(rec.JSON)
			for _, f := range []string{"image", "mask"} {
				img, err := rec.Image(f)
				if err != nil {
					t.Fatal(err)
				}
				h.Write(rgbBytes(nil, img))
			}
		}
		if err := sr.Err(); err != nil {
			t.Fatal(err)
		}
		sr.Close()
		got[name] = []string{hex.EncodeToString(h.Sum(nil))}
	}
	golden.Hashes(t, filepath.Join("testdata", "parquet_golden.json"), got, *update)
}

func TestVerifyFindsParquetTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(dir string) error
		want   string
	}{
		{"changed file", func(d string) error {
			p := filepath.Join(d, ParquetDir, "train-00001-of-00003.parquet")
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 1
			return os.WriteFile(p, b, 0o644)
		}, "data/train-00001-of-00003.parquet: content changed"},
		{"missing file", func(d string) error { return os.Remove(filepath.Join(d, ParquetDir, "test-00000-of-00001.parquet")) }, "data/test-00000-of-00001.parquet: missing"},
		{"extra file", func(d string) error {
			return os.WriteFile(filepath.Join(d, ParquetDir, "val-00000-of-00001.parquet"), nil, 0o644)
		}, "data/val-00000-of-00001.parquet: extra file"},
		{"edited card", func(d string) error {
			p := filepath.Join(d, CardFile)
			b, _ := os.ReadFile(p)
			return os.WriteFile(p, bytes.Replace(b, []byte("num_examples: 230"), []byte("num_examples: 231"), 1), 0o644)
		}, "README.md: not the card the manifest makes"},
		{"no card", func(d string) error { return os.Remove(filepath.Join(d, CardFile)) }, "README.md: no such file"},
		{"edited checksums", func(d string) error {
			p := filepath.Join(d, "train."+SumsFile)
			b, _ := os.ReadFile(p)
			return os.WriteFile(p, b[:len(b)-80], 0o644)
		}, "train.SHA256SUMS: changed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			write(t, dir, 1, WriteOptions{Format: FormatParquet, RowsPerFile: 100})
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

// A parquet run over an interrupted one clears it; over a folder with a
// README.md of its own it refuses.
func TestParquetWriteCleansUpOnlyItsOwn(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	write(t, dir, 1, WriteOptions{Format: FormatParquet})
	os.Remove(filepath.Join(dir, ManifestFile)) // as if interrupted
	write(t, dir, 1, WriteOptions{Format: FormatParquet})
	if err := Verify(dir); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "o")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, CardFile), []byte("# my notes\n"), 0o644)
	spec := Spec{Dataset: Shapes{}, Splits: []SplitSize{{"train", 3}}}
	if _, err := Write(t.Context(), spec, WriteOptions{Out: other, Format: FormatParquet}); err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Errorf("writing over a folder with someone's README.md: %v, want a refusal", err)
	}
}

// FuzzParquetReader feeds corrupt parquet files to the split reader: it
// must return an error or records, never panic or hang. (Verify opens
// files as the reader does.)
func FuzzParquetReader(f *testing.F) {
	src := filepath.Join(f.TempDir(), "src")
	spec := Spec{Dataset: Shapes{}, Seed: 3, Config: shapesConfig(f), Splits: []SplitSize{{"train", 6}}}
	if _, err := Write(f.Context(), spec, WriteOptions{Out: src, Format: FormatParquet, RowsPerFile: 6}); err != nil {
		f.Fatal(err)
	}
	good := readFile(f, filepath.Join(src, ParquetDir, "train-00000-of-00001.parquet"))
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(good[len(good)-64:])
	flipped := bytes.Clone(good)
	flipped[len(flipped)/3] ^= 0x40
	f.Add(flipped)
	f.Add([]byte("PAR1PAR1"))
	r, err := Open(src)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sr, err := r.Split("train")
		if err != nil {
			t.Fatal(err)
		}
		// The split reads data in place of its file.
		sr.pq.open = func(_ string, l *pqLayout) (io.Closer, *parquet.File, error) {
			pf, err := openParquetReaderAt(bytes.NewReader(data), int64(len(data)))
			if err == nil && pf.Schema().String() != l.schema.String() {
				err = errors.New("its schema is not the manifest's layout")
			}
			return io.NopCloser(nil), pf, err
		}
		n := 0
		for sr.Next() {
			rec := sr.Record()
			var v map[string]any
			if err := rec.Decode(&v); err != nil {
				t.Fatalf("the reader returned a record that is not JSON: %v\n%s", err, rec.JSON)
			}
			rec.Image("image")
			n++
		}
		if sr.Err() == nil && n != 6 {
			t.Fatalf("read %d records of 6 without an error", n)
		}
		sr.Close()
	})
}

// A split may be named data, the folder parquet files go in.
func TestParquetSplitNamedData(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	spec := Spec{Dataset: Shapes{}, Splits: []SplitSize{{"data", 5}, {"test", 2}}}
	for _, format := range []Format{FormatParquet, FormatPNG} {
		if _, err := Write(t.Context(), spec, WriteOptions{Out: dir, Format: format, Overwrite: true}); err != nil {
			t.Fatal(err)
		}
		if err := Verify(dir); err != nil {
			t.Errorf("%s: %v", format, err)
		}
	}
}
