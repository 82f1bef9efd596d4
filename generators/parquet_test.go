package generators

import (
	"context"
	"path/filepath"
	"testing"
)

// compareFolders fails t unless the datasets in a and b hold the same
// records (byte for byte) and the same pixels in every image feature and
// every file a record names.
func compareFolders(t *testing.T, a, b string) {
	t.Helper()
	ra, err := Open(a)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := Open(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range ra.Manifest.SplitOrder {
		sa, err := ra.Split(name)
		if err != nil {
			t.Fatal(err)
		}
		sb, err := rb.Split(name)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for sa.Next() {
			if !sb.Next() {
				t.Fatalf("%s: %s ends after %d samples: %v", name, b, n, sb.Err())
			}
			x, y := sa.Record(), sb.Record()
			if string(x.JSON) != string(y.JSON) || x.Index != y.Index {
				t.Fatalf("%s sample %d: records differ:\n%s\n%s", name, n, x.JSON, y.JSON)
			}
			for _, f := range ra.Manifest.Features {
				if f.Kind != ImageFeature && f.Kind != MaskFeature {
					continue
				}
				ia, err := x.Image(f.Name)
				if err != nil {
					t.Fatal(err)
				}
				ib, err := y.Image(f.Name)
				if err != nil {
					t.Fatal(err)
				}
				if !samePixels(ia, ib) {
					t.Fatalf("%s sample %d: %s pixels differ", name, n, f.Name)
				}
			}
			n++
		}
		if sa.Err() != nil || sb.Err() != nil {
			t.Fatal(sa.Err(), sb.Err())
		}
		if sb.Next() {
			t.Fatalf("%s: %s has more samples than %d", name, b, n)
		}
		if n != ra.Manifest.Splits[name].Count {
			t.Fatalf("%s: read %d samples, manifest says %d", name, n, ra.Manifest.Splits[name].Count)
		}
		sa.Close()
		sb.Close()
	}
}

func TestParquetMatchesPNG(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "png"), 5, WriteOptions{})
	m := write(t, filepath.Join(dir, "pq"), 5, WriteOptions{Format: FormatParquet, RowsPerFile: 100})
	if err := Verify(filepath.Join(dir, "pq")); err != nil {
		t.Error(err)
	}
	if got := len(parquetFiles("train", m.Splits["train"].Count, 100)); got != 3 {
		t.Errorf("230 samples at 100 a file: %d files, want 3", got)
	}
	compareFolders(t, filepath.Join(dir, "png"), filepath.Join(dir, "pq"))
	_ = context.Background
}
