package generators_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"

	"github.com/hiddendim/hiddendim/clevrlite"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/scenes"
	"github.com/hiddendim/hiddendim/webpages"
)

// family is one dataset config that parquet must carry: every family of
// records (flat, lists of objects and relations, questions with programs,
// element trees, lists of part images, an HTML file).
type family struct {
	name string
	ds   generators.Dataset
	sets []string
	n    int
}

var families = []family{
	{"shapes", generators.Shapes{}, nil, 23},
	{"relations-parts", scenes.Relations{}, []string{"parts=true", "single_fraction=0.3"}, 23},
	{"counting", scenes.Counting{}, nil, 23},
	{"clevrlite", clevrlite.SortOfCLEVR{}, nil, 12},
	{"clevrlite-programs", clevrlite.SortOfCLEVR{}, []string{"questions=programs"}, 12},
	{"webpages-parts", webpages.Pages{}, []string{"parts=true"}, 7},
}

func (f family) write(t *testing.T, out string, opts generators.WriteOptions) *generators.Manifest {
	t.Helper()
	cfg := f.ds.DefaultConfig()
	if err := generators.ApplySettings(cfg, f.sets...); err != nil {
		t.Fatal(err)
	}
	spec := generators.Spec{Dataset: f.ds, Config: cfg, Seed: 11,
		Splits: []generators.SplitSize{{Name: "train", Count: f.n}, {Name: "test", Count: f.n / 3}}}
	opts.Out = out
	m, err := generators.Write(context.Background(), spec, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestParquetFamiliesMatchPNG writes every family as png and as parquet
// (several files a split, so rows cross files) and checks that our reader
// gives back the same records, byte for byte, and the same pixels of every
// image, mask and part; that verify passes; and that Apache Arrow's parquet
// reader, an implementation independent of the parquet-go that wrote the
// files, reads the same values.
func TestParquetFamiliesMatchPNG(t *testing.T) {
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			dir := t.TempDir()
			pngDir, pqDir := filepath.Join(dir, "png"), filepath.Join(dir, "parquet")
			f.write(t, pngDir, generators.WriteOptions{})
			m := f.write(t, pqDir, generators.WriteOptions{Format: generators.FormatParquet, RowsPerFile: 5})
			if err := generators.Verify(pqDir); err != nil {
				t.Fatal(err)
			}
			compareFolders(t, pngDir, pqDir)
			for _, split := range m.SplitOrder {
				compareWithArrow(t, pngDir, pqDir, m, split)
			}
		})
	}
}

// compareFolders fails t unless the datasets in a and b hold the same
// records (byte for byte) and the same pixels in every image feature and
// every file a record's list names.
func compareFolders(t *testing.T, a, b string) {
	t.Helper()
	ra, err := generators.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := generators.Open(b)
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
				switch f.Kind {
				case generators.ImageFeature, generators.MaskFeature:
					ia, err := x.Image(f.Name)
					if err != nil {
						t.Fatal(err)
					}
					ib, err := y.Image(f.Name)
					if err != nil {
						t.Fatal(err)
					}
					if d := pixelDiff(ia, ib); d != "" {
						t.Fatalf("%s sample %d: %s: %s", name, n, f.Name, d)
					}
				case generators.TextFeature:
					// A text feature that names a file (a page's HTML): the same bytes.
					var rec map[string]json.RawMessage
					x.Decode(&rec)
					var p string
					if json.Unmarshal(rec[f.Name], &p) != nil || !strings.HasSuffix(p, ".html") {
						continue
					}
					ba, err := x.Bytes(p)
					if err != nil {
						t.Fatal(err)
					}
					bb, err := y.Bytes(p)
					if err != nil {
						t.Fatal(err)
					}
					if string(ba) != string(bb) || len(ba) == 0 {
						t.Fatalf("%s sample %d: %s: %d bytes and %d bytes differ", name, n, p, len(ba), len(bb))
					}
				case generators.ListFeature:
					var rec map[string]json.RawMessage
					x.Decode(&rec)
					var paths []string
					if json.Unmarshal(rec[f.Name], &paths) != nil {
						continue // not a list of files
					}
					for _, p := range paths {
						ia, err := x.File(p)
						if err != nil {
							t.Fatal(err)
						}
						ib, err := y.File(p)
						if err != nil {
							t.Fatal(err)
						}
						if d := pixelDiff(ia, ib); d != "" {
							t.Fatalf("%s sample %d: %s: %s", name, n, p, d)
						}
					}
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

func pixelDiff(a, b image.Image) string {
	if a.Bounds() != b.Bounds() {
		return fmt.Sprintf("bounds %v and %v", a.Bounds(), b.Bounds())
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return fmt.Sprintf("pixel (%d, %d) differs", x, y)
			}
		}
	}
	return ""
}

// compareWithArrow reads a parquet split with Apache Arrow and checks each
// row against the png dataset's record and files, transformed by the
// documented layout: files become {bytes, path}, an element tree a depth
// first list of nodes with parent indices, an omitted field a null.
func compareWithArrow(t *testing.T, pngDir, pqDir string, m *generators.Manifest, split string) {
	t.Helper()
	lines, err := os.ReadFile(filepath.Join(pngDir, split, "samples.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	records := strings.Split(strings.TrimSuffix(string(lines), "\n"), "\n")
	files, err := filepath.Glob(filepath.Join(pqDir, generators.ParquetDir, split+"-*.parquet"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no parquet files of %s: %v", split, err)
	}
	row := 0
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := pqarrow.ReadTable(context.Background(), f, parquet.NewReaderProperties(memory.DefaultAllocator),
			pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
		f.Close()
		if err != nil {
			t.Fatalf("arrow cannot read %s: %v", filepath.Base(path), err)
		}
		tr := array.NewTableReader(tbl, 1<<20)
		for tr.Next() {
			rec := tr.Record()
			for i := 0; i < int(rec.NumRows()); i++ {
				got := map[string]any{}
				for c, col := range rec.Columns() {
					got[rec.ColumnName(c)] = col.GetOneForMarshal(i)
				}
				if row >= len(records) {
					t.Fatalf("%s: arrow reads more rows than the png dataset's %d", split, len(records))
				}
				var want map[string]any
				if err := json.Unmarshal([]byte(records[row]), &want); err != nil {
					t.Fatal(err)
				}
				wantPhys := physical(t, want, m.Parquet.Layout, filepath.Join(pngDir, split))
				if g, w := normalize(t, got), normalize(t, wantPhys); !reflect.DeepEqual(g, w) {
					gj, _ := json.Marshal(g)
					wj, _ := json.Marshal(w)
					t.Fatalf("%s row %d: arrow reads\n%.600s\nthe png record is\n%.600s", split, row, gj, wj)
				}
				row++
			}
		}
		tr.Release()
		tbl.Release()
	}
	if row != len(records) {
		t.Fatalf("%s: arrow reads %d rows, the png dataset has %d", split, row, len(records))
	}
}

// physical maps a png record to the parquet layout's values.
func physical(t *testing.T, rec map[string]any, root *generators.ParquetNode, splitDir string) map[string]any {
	out := map[string]any{}
	for _, f := range root.Fields {
		out[f.Name] = physValue(t, rec[f.Name], f, splitDir)
	}
	return out
}

func physValue(t *testing.T, v any, n *generators.ParquetNode, splitDir string) any {
	if v == nil {
		return nil
	}
	switch n.Type {
	case "image", "blob":
		b, err := os.ReadFile(filepath.Join(splitDir, v.(string)))
		if err != nil {
			t.Fatal(err)
		}
		return map[string]any{"bytes": base64.StdEncoding.EncodeToString(b), "path": v}
	case "list":
		var out []any
		for _, e := range v.([]any) {
			out = append(out, physValue(t, e, n.Elem, splitDir))
		}
		if out == nil {
			out = []any{}
		}
		return out
	case "struct":
		return physical(t, v.(map[string]any), n, splitDir)
	case "tree":
		var nodes []any
		var walk func(m map[string]any, parent int)
		walk = func(m map[string]any, parent int) {
			self := len(nodes)
			node := map[string]any{"parent": float64(parent)}
			var kids []any
			for _, f := range n.Fields {
				if f.Type == "children" {
					kids, _ = m[f.Name].([]any)
					continue
				}
				node[f.Name] = physValue(t, m[f.Name], f, splitDir)
			}
			nodes = append(nodes, node)
			for _, k := range kids {
				walk(k.(map[string]any), self)
			}
		}
		walk(v.(map[string]any), -1)
		return nodes
	}
	return v
}

// normalize turns a value into plain JSON values (Arrow's marshalling of
// binary columns is base64, as is the png side's).
func normalize(t *testing.T, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

var _ = arrow.PrimitiveTypes
