package generators

import (
	"flag"
	"image"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/internal/golden"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// renderN renders the first n samples of a split in memory.
func renderN(t testing.TB, cfg Config, seed uint64, split string, n int, visit func(i int, s Sample)) {
	t.Helper()
	s, err := Shapes{}.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := s.NewRenderer()
	for i := 0; i < n; i++ {
		key := SampleKey{Seed: seed, Split: split, Index: i, IDWidth: 6}
		smp, err := r.Render(key, NewSampleRand(seed, split, i))
		if err != nil {
			t.Fatal(err)
		}
		visit(i, smp)
	}
}

func shapesConfig(t testing.TB, sets ...string) *ShapesConfig {
	t.Helper()
	cfg := Shapes{}.DefaultConfig()
	if err := SetAll(cfg, sets...); err != nil {
		t.Fatal(err)
	}
	return cfg.(*ShapesConfig)
}

// namedConfigs are the configs whose first samples are pinned by golden hashes.
var namedConfigs = map[string][]string{
	"default":     nil,
	"extended":    {"shapes=square,circle,triangle,pentagon,hexagon,star", "colors=red,green,blue,yellow,magenta,cyan,orange,purple", "image_size=64", "size_min=16", "size_max=60"},
	"no_rotation": {"rotation=false", "jitter=0.5", "background=#202020"},
	"holdout":     {"holdout=red triangle,blue circle"},
}

func TestShapesGolden(t *testing.T) {
	got := map[string][]string{}
	for name, sets := range namedConfigs {
		for _, split := range []string{"train", "test"} {
			renderN(t, shapesConfig(t, sets...), 7, split, 8, func(i int, s Sample) {
				got[name+"/"+split] = append(got[name+"/"+split], ContentHash(s))
			})
		}
	}
	golden.Hashes(t, filepath.Join("testdata", "shapes_golden.json"), got, *update)
}

func TestShapesMaskAgreesWithImage(t *testing.T) {
	for name, sets := range namedConfigs {
		t.Run(name, func(t *testing.T) {
			cfg := shapesConfig(t, sets...)
			plan, _ := cfg.resolve()
			renderN(t, cfg, 3, "test", 300, func(i int, s Sample) {
				ex := s.Record.(*ShapesExample)
				img, mask := s.Files[0].Image.(*image.RGBA), s.Files[1].Image.(*image.Gray)
				col, _ := ParseColor(ex.Color)
				box := image.Rectangle{}
				for y := 0; y < cfg.ImageSize; y++ {
					for x := 0; x < cfg.ImageSize; x++ {
						p := img.RGBAAt(x, y)
						switch mask.GrayAt(x, y).Y {
						case 255:
							if p != col.RGB {
								t.Fatalf("sample %d (%s): pixel (%d,%d) under the mask is %v, want %v", i, ex.Caption, x, y, p, col.RGB)
							}
							box = box.Union(image.Rect(x, y, x+1, y+1))
						case 0:
							if p != plan.bg.RGB {
								t.Fatalf("sample %d: background pixel (%d,%d) is %v, want %v", i, x, y, p, plan.bg.RGB)
							}
						default:
							t.Fatalf("sample %d: mask value %d, want 0 or 255", i, mask.GrayAt(x, y).Y)
						}
					}
				}
				if got := [4]int{box.Min.X, box.Min.Y, box.Max.X, box.Max.Y}; got != ex.BBox {
					t.Fatalf("sample %d: bbox %v, mask spans %v", i, ex.BBox, got)
				}
				// The circumscribed circle lies inside the canvas.
				r, n := ex.Size/2, float64(cfg.ImageSize)
				if ex.Center[0]-r < -1e-9 || ex.Center[0]+r > n+1e-9 || ex.Center[1]-r < -1e-9 || ex.Center[1]+r > n+1e-9 {
					t.Fatalf("sample %d: figure at %v size %g leaves the %g-pixel canvas", i, ex.Center, ex.Size, n)
				}
				if ex.Size < cfg.SizeMin || ex.Size > cfg.SizeMax {
					t.Fatalf("sample %d: size %g outside [%g, %g]", i, ex.Size, cfg.SizeMin, cfg.SizeMax)
				}
				if ex.Caption != ex.Color+" "+ex.Shape {
					t.Fatalf("sample %d: caption %q", i, ex.Caption)
				}
			})
		})
	}
}

func TestShapesBalanceAndHoldout(t *testing.T) {
	cfg := shapesConfig(t, "holdout=red triangle,blue circle")
	counts := map[string]int{}
	renderN(t, cfg, 11, "train", 700, func(i int, s Sample) {
		ex := s.Record.(*ShapesExample)
		if ex.Caption == "red triangle" || ex.Caption == "blue circle" || ex.Heldout {
			t.Fatalf("train sample %d is held out: %s", i, ex.Caption)
		}
		counts[ex.Caption]++
	})
	if len(counts) != 7 {
		t.Fatalf("train has %d combinations, want the 7 not held out: %v", len(counts), counts)
	}
	for c, n := range counts {
		if n != 100 { // 700 samples = 100 whole blocks of the 7 combinations
			t.Errorf("train: %s %d times, want exactly 100", c, n)
		}
	}
	test := map[string]int{}
	heldout := 0
	renderN(t, cfg, 11, "test", 900, func(i int, s Sample) {
		ex := s.Record.(*ShapesExample)
		test[ex.Caption]++
		want := ex.Caption == "red triangle" || ex.Caption == "blue circle"
		if ex.Heldout != want {
			t.Fatalf("test sample %d (%s): heldout %v", i, ex.Caption, ex.Heldout)
		}
		if want {
			heldout++
		}
	})
	if len(test) != 9 || heldout != 200 {
		t.Errorf("test: %d combinations and %d held-out samples, want 9 and 200", len(test), heldout)
	}
	// Marginals of the default config are uniform too.
	shapes, colors := map[string]int{}, map[string]int{}
	renderN(t, shapesConfig(t), 5, "train", 900, func(i int, s Sample) {
		ex := s.Record.(*ShapesExample)
		shapes[ex.Shape]++
		colors[ex.Color]++
	})
	for k, n := range shapes {
		if n != 300 {
			t.Errorf("shape %s: %d of 900", k, n)
		}
	}
	for k, n := range colors {
		if n != 300 {
			t.Errorf("color %s: %d of 900", k, n)
		}
	}
}

func TestShapesFactorsVary(t *testing.T) {
	// Rotation, size and position vary; rotation stays in the symmetry period.
	var sizes, xs, rots []float64
	renderN(t, shapesConfig(t), 1, "train", 200, func(i int, s Sample) {
		ex := s.Record.(*ShapesExample)
		sizes, xs = append(sizes, ex.Size), append(xs, ex.Center[0])
		sh, _ := ParseShape(ex.Shape)
		if sh == Circle && ex.Rotation != 0 {
			t.Fatalf("circle with rotation %g", ex.Rotation)
		}
		if sym := sh.Symmetry(); sym > 0 {
			if ex.Rotation < 0 || ex.Rotation >= 360/float64(sym) {
				t.Fatalf("%s rotation %g outside [0, %g)", ex.Shape, ex.Rotation, 360/float64(sym))
			}
			rots = append(rots, ex.Rotation)
		}
	})
	for name, v := range map[string][]float64{"size": sizes, "center x": xs, "rotation": rots} {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, x := range v {
			lo, hi = min(lo, x), max(hi, x)
		}
		if hi-lo < 5 {
			t.Errorf("%s barely varies: [%g, %g]", name, lo, hi)
		}
	}
}

func TestShapesConfigErrors(t *testing.T) {
	tests := []struct {
		sets []string
		want string
	}{
		{[]string{"size_max=40"}, "larger than the image"},
		{[]string{"size_min=30", "size_max=20"}, "below size_min"},
		{[]string{"size_min=2"}, "at least 4"},
		{[]string{"image_size=4"}, "want 8 to 4096"},
		{[]string{"jitter=1.5"}, "want 0 to 1"},
		{[]string{"colors=red,mauve"}, `unknown color "mauve"`},
		{[]string{"shapes=square,blob"}, `unknown shape "blob"`},
		{[]string{"colors=red,red"}, "twice"},
		{[]string{"background=red"}, "background color"},
		{[]string{"holdout=red"}, `not "<color> <shape>"`},
		{[]string{"holdout=yellow square"}, "not in the config"},
		{[]string{"colors=red", "shapes=square", "holdout=red square"}, "every combination is held out"},
		{[]string{"shapes="}, "at least one"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.sets, " "), func(t *testing.T) {
			err := shapesConfig(t, tt.sets...).Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if err := shapesConfig(t).Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
}
