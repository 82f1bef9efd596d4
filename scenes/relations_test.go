package scenes

import (
	"context"
	"flag"
	"image"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/internal/golden"
	"github.com/hiddendim/hiddendim/internal/writebench"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func relConfig(t testing.TB, sets ...string) *RelationsConfig {
	t.Helper()
	cfg := Relations{}.DefaultConfig()
	if err := generators.SetAll(cfg, sets...); err != nil {
		t.Fatal(err)
	}
	return cfg.(*RelationsConfig)
}

func renderRel(t testing.TB, cfg *RelationsConfig, split string, n int, visit func(i int, ex *RelationsExample, s generators.Sample)) {
	t.Helper()
	smp, err := Relations{}.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := smp.NewRenderer()
	for i := 0; i < n; i++ {
		key := generators.SampleKey{Seed: 4, Split: split, Index: i, IDWidth: 6}
		s, err := r.Render(key, generators.NewSampleRand(key.Seed, key.Split, i))
		if err != nil {
			t.Fatal(err)
		}
		visit(i, s.Record.(*RelationsExample), s)
	}
}

func TestRelationsGeometryAgreesWithCaption(t *testing.T) {
	cfg := relConfig(t, "relations=above,below,next_to,left_of,right_of", "single_fraction=0.1")
	half := float64(cfg.ImageSize) / 2
	renderRel(t, cfg, "train", 500, func(i int, ex *RelationsExample, s generators.Sample) {
		cp, err := ParseCaption(ex.Caption)
		if err != nil {
			t.Fatalf("sample %d: caption %q does not parse: %v", i, ex.Caption, err)
		}
		if cp.A != (Figure{ex.Objects[0].Color, ex.Objects[0].Shape}) {
			t.Fatalf("sample %d: caption %q names %v first, object 0 is %+v", i, ex.Caption, cp.A, ex.Objects[0])
		}
		if cp.Single() {
			if len(ex.Objects) != 1 || len(ex.Relations) != 0 {
				t.Fatalf("sample %d: single caption with %d objects", i, len(ex.Objects))
			}
			return
		}
		if cp.B != (Figure{ex.Objects[1].Color, ex.Objects[1].Shape}) || ex.Relations[0] != (Relation{0, cp.Rel, 1}) {
			t.Fatalf("sample %d: scene graph %+v does not match %q", i, ex.Relations, ex.Caption)
		}
		a, b := ex.Objects[0].Center, ex.Objects[1].Center
		row := func(c [2]float64) int { return int(c[1] / half) }
		col := func(c [2]float64) int { return int(c[0] / half) }
		ok := false
		switch cp.Rel {
		case "above":
			ok = a[1] < b[1] && col(a) == col(b)
		case "below":
			ok = a[1] > b[1] && col(a) == col(b)
		case "next_to":
			ok = row(a) == row(b) && col(a) != col(b)
		case "left_of":
			ok = a[0] < b[0] && row(a) == row(b)
		case "right_of":
			ok = a[0] > b[0] && row(a) == row(b)
		}
		if !ok {
			t.Fatalf("sample %d: %q but centers %v and %v", i, ex.Caption, a, b)
		}
	})
}

func TestRelationsMasksAndParts(t *testing.T) {
	cfg := relConfig(t, "parts=true", "single_fraction=0.2")
	plan, _ := cfg.resolve()
	renderRel(t, cfg, "test", 200, func(i int, ex *RelationsExample, s generators.Sample) {
		img, mask := s.Files[0].Image.(*image.RGBA), s.Files[1].Image.(*image.Gray)
		parts := s.Files[2:]
		if len(parts) != len(ex.Objects) || len(ex.Parts) != len(ex.Objects) {
			t.Fatalf("sample %d: %d parts for %d objects", i, len(parts), len(ex.Objects))
		}
		boxes := make([]image.Rectangle, len(ex.Objects))
		for y := 0; y < cfg.ImageSize; y++ {
			for x := 0; x < cfg.ImageSize; x++ {
				m := int(mask.GrayAt(x, y).Y)
				p := img.RGBAAt(x, y)
				if m > len(ex.Objects) {
					t.Fatalf("sample %d: mask value %d with %d objects", i, m, len(ex.Objects))
				}
				if m == 0 && p != plan.pal.Background.RGB {
					t.Fatalf("sample %d: background pixel (%d,%d) is %v", i, x, y, p)
				}
				if m > 0 {
					if want, _ := plan.pal.Color(ex.Objects[m-1].Color); p != want.RGB {
						t.Fatalf("sample %d: pixel (%d,%d) of object %d is %v, want %v", i, x, y, m-1, p, want)
					}
					boxes[m-1] = boxes[m-1].Union(image.Rect(x, y, x+1, y+1))
				}
				// The composite is the parts laid over each other, pixel for pixel.
				for k, part := range parts {
					pp := part.Image.(*image.RGBA).RGBAAt(x, y)
					if m == k+1 && pp != p || m != k+1 && pp != plan.pal.Background.RGB {
						t.Fatalf("sample %d: part %d at (%d,%d) is %v, composite %v, mask %d", i, k, x, y, pp, p, m)
					}
				}
			}
		}
		for k, o := range ex.Objects {
			if b := boxes[k]; [4]int{b.Min.X, b.Min.Y, b.Max.X, b.Max.Y} != o.BBox {
				t.Fatalf("sample %d: object %d bbox %v, mask spans %v", i, k, o.BBox, b)
			}
		}
	})
}

func TestRelationsBalanceSinglesAndHoldout(t *testing.T) {
	// 2 relations × 9 × 9 ordered pairs = 162 classes; 486 pairs = 3 blocks.
	counts := map[string]int{}
	renderRel(t, relConfig(t), "train", 486, func(i int, ex *RelationsExample, s generators.Sample) { counts[ex.Caption]++ })
	if len(counts) != 162 {
		t.Fatalf("%d distinct captions, want 162", len(counts))
	}
	for c, n := range counts {
		if n != 3 {
			t.Fatalf("%q %d times, want exactly 3", c, n)
		}
	}
	singles := 0
	renderRel(t, relConfig(t, "single_fraction=0.25"), "train", 400, func(i int, ex *RelationsExample, s generators.Sample) {
		if len(ex.Objects) == 1 {
			singles++
		}
	})
	if singles != 100 {
		t.Fatalf("%d singles in 400 with single_fraction 0.25, want 100", singles)
	}
	// Held out in any wording: "blue circle below red square" is the same
	// triple as "red square above blue circle".
	cfg := relConfig(t, "holdout=blue circle below red square,green triangle + green square")
	isHeld := func(c string) bool {
		return c == "red square above blue circle" || strings.Contains(c, "green triangle") && strings.Contains(c, "green square")
	}
	checkHoldout(t, cfg, 1000, isHeld)
}

func TestRelationsGolden(t *testing.T) {
	configs := map[string][]string{
		"default":  nil,
		"parts":    {"parts=true", "single_fraction=0.2"},
		"extended": {"relations=above,below,next_to,left_of,right_of", "colors=red,green,blue,yellow,cyan", "shapes=square,circle,triangle,star,hexagon", "image_size=96", "size_max=40"},
	}
	got := map[string][]string{}
	for name, sets := range configs {
		renderRel(t, relConfig(t, sets...), "train", 6, func(i int, ex *RelationsExample, s generators.Sample) {
			got[name] = append(got[name], generators.ContentHash(s))
		})
	}
	golden.Hashes(t, filepath.Join("testdata", "relations_golden.json"), got, *update)
}

func TestRelationsConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		sets []string
		want string
	}{
		{[]string{"size_max=40"}, "size_max <= 28"},
		{[]string{"image_size=57"}, "even number"},
		{[]string{"relations=above,on_top"}, `unknown "on_top"`},
		{[]string{"single_fraction=1"}, "below 1"},
		{[]string{"holdout=red square above"}, "want a relation caption"},
		{[]string{"holdout=red square + blue"}, "a pair is"},
		{[]string{"colors=#ff0000"}, "captions need color names"},
		{[]string{"colors=red", "shapes=square", "relations=above", "holdout=red square + red square"}, "every figure pair is held out"},
	} {
		if err := relConfig(t, tt.sets...).Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want %q", tt.sets, err, tt.want)
		}
	}
}

func TestRelationsOnDiskDeterminism(t *testing.T) {
	dir := t.TempDir()
	spec := generators.Spec{Dataset: Relations{}, Config: relConfig(t, "parts=true"), Seed: 3,
		Splits: []generators.SplitSize{{Name: "train", Count: 60}}}
	a, err := generators.Write(context.Background(), spec, generators.WriteOptions{Out: filepath.Join(dir, "a"), Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := generators.Write(context.Background(), spec, generators.WriteOptions{Out: filepath.Join(dir, "b"), Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if a.Splits["train"].SHA256 != b.Splits["train"].SHA256 {
		t.Fatal("1 and 3 workers differ")
	}
	if err := generators.Verify(filepath.Join(dir, "a")); err != nil {
		t.Fatal(err)
	}
	if _, err := generators.Write(context.Background(), spec, generators.WriteOptions{Out: filepath.Join(dir, "c"), Format: generators.FormatNPZ}); err == nil {
		t.Fatal("relations samples have lists; npz must be refused")
	}
}

// TestRelationsWorkersAgree holds png and tar, parts included, to the same
// bytes for 1 and 3 workers.
func TestRelationsWorkersAgree(t *testing.T) {
	writebench.WorkersAgree(t, generators.Spec{Dataset: Relations{}, Config: relConfig(t, "parts=true"), Seed: 5,
		Splits: []generators.SplitSize{{Name: "train", Count: 40}}})
}

func BenchmarkRelations(b *testing.B) { writebench.Run(b, Relations{}, 10000, "samples") }

// BenchmarkRelationsTar writes the same as WebDataset tar files.
func BenchmarkRelationsTar(b *testing.B) {
	writebench.RunFormat(b, Relations{}, 10000, "samples", generators.FormatTar)
}

// TestRelationsHoldoutNextToCoversLeftAndRight holds out "red square
// next_to blue circle" in a config that writes left_of and right_of in its
// place: every side-by-side wording of the two figures must be held out.
func TestRelationsHoldoutNextToCoversLeftAndRight(t *testing.T) {
	cfg := relConfig(t, "relations=above,below,next_to,left_of,right_of", "holdout=red square next_to blue circle")
	red, blue := Figure{"red", "square"}, Figure{"blue", "circle"}
	isHeld := func(c string) bool {
		cp, err := ParseCaption(c)
		if err != nil {
			t.Fatal(err)
		}
		if cp.Rel == "next_to" {
			t.Fatalf("%q: next_to is written beside left_of and right_of", c)
		}
		horizontal := cp.Rel == "left_of" || cp.Rel == "right_of"
		return horizontal && (cp.A == red && cp.B == blue || cp.A == blue && cp.B == red)
	}
	checkHoldout(t, cfg, 3000, isHeld)
}

// checkHoldout renders n samples of each split: no train sample may be held
// out, and a test sample is marked held out exactly when isHeld says so,
// at least once.
func checkHoldout(t *testing.T, cfg *RelationsConfig, n int, isHeld func(caption string) bool) {
	t.Helper()
	renderRel(t, cfg, "train", n, func(i int, ex *RelationsExample, s generators.Sample) {
		if isHeld(ex.Caption) || ex.Heldout {
			t.Fatalf("train sample %d is held out: %q", i, ex.Caption)
		}
	})
	held := 0
	renderRel(t, cfg, "test", n, func(i int, ex *RelationsExample, s generators.Sample) {
		if isHeld(ex.Caption) != ex.Heldout {
			t.Fatalf("test sample %d %q: heldout %v", i, ex.Caption, ex.Heldout)
		}
		if ex.Heldout {
			held++
		}
	})
	if held == 0 {
		t.Fatal("the test split has no held-out samples")
	}
}
