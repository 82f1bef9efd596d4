package scenes

import (
	"image"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/internal/golden"
	"github.com/hiddendim/hiddendim/internal/writebench"
)

func countConfig(t testing.TB, sets ...string) *CountingConfig {
	t.Helper()
	cfg := Counting{}.DefaultConfig()
	if err := generators.SetAll(cfg, sets...); err != nil {
		t.Fatal(err)
	}
	return cfg.(*CountingConfig)
}

func renderCount(t testing.TB, cfg *CountingConfig, n int, visit func(i int, ex *CountingExample, s generators.Sample)) {
	t.Helper()
	smp, err := Counting{}.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := smp.NewRenderer()
	for i := 0; i < n; i++ {
		key := generators.SampleKey{Seed: 9, Split: "train", Index: i, IDWidth: 6}
		s, err := r.Render(key, generators.NewSampleRand(key.Seed, key.Split, i))
		if err != nil {
			t.Fatal(err)
		}
		visit(i, s.Record.(*CountingExample), s)
	}
}

// groupsOf tallies objects as caption groups, with or without attributes.
func groupsOf(objs []CountObject, attrs bool) []Group {
	tally := map[Group]int{}
	for _, o := range objs {
		g := Group{Shape: o.Shape}
		if attrs {
			g.Size, g.Color = o.Size, o.Color
		}
		tally[g]++
	}
	var out []Group
	for g, n := range tally {
		g.Count = n
		out = append(out, g)
	}
	return out
}

func TestCountingCaptionsAreTrue(t *testing.T) {
	cfg := countConfig(t)
	families := map[string]int{}
	renderCount(t, cfg, 600, func(i int, ex *CountingExample, s generators.Sample) {
		families[ex.Family]++
		c, err := ParseCountCaption(ex.Caption)
		if err != nil {
			t.Fatalf("sample %d: %q does not parse: %v", i, ex.Caption, err)
		}
		if c.Family != ex.Family {
			t.Fatalf("sample %d: caption %q parses as %s, recorded %s", i, ex.Caption, c.Family, ex.Family)
		}
		n := len(ex.Objects)
		if n < cfg.MinObjects || n > cfg.MaxObjects {
			t.Fatalf("sample %d: %d objects", i, n)
		}
		switch c.Family {
		case Counts, Attributes:
			want := CountCaption{Family: c.Family, Groups: groupsOf(ex.Objects, c.Family == Attributes)}
			if !c.Equal(want) {
				t.Fatalf("sample %d: %q but the scene has %v", i, ex.Caption, want.Canonical())
			}
		case Stacking:
			for k := 1; k < n; k++ {
				below, above := ex.Objects[k-1], ex.Objects[k]
				if above.Center[0] != below.Center[0] || above.Center[1] >= below.Center[1] {
					t.Fatalf("sample %d: object %d at %v is not on top of %d at %v", i, k, above.Center, k-1, below.Center)
				}
				if ex.Relations[k-1] != (Relation{k, "on_top_of", k - 1}) {
					t.Fatalf("sample %d: relations %v", i, ex.Relations)
				}
			}
			base, top := c.Groups[0], c.Groups[1]
			if base.Count+top.Count != n {
				t.Fatalf("sample %d: %q counts %d figures, the scene has %d", i, ex.Caption, base.Count+top.Count, n)
			}
			for k, o := range ex.Objects {
				g := top
				if k < base.Count {
					g = base
				}
				if o.Shape != g.Shape || g.Color != "" && (o.Color != g.Color || o.Size != g.Size) {
					t.Fatalf("sample %d: object %d %+v does not fit %q", i, k, o, ex.Caption)
				}
			}
		}
		// Masks agree with pixels and boxes; figures never overlap.
		img, mask := s.Files[0].Image.(*image.RGBA), s.Files[1].Image.(*image.Gray)
		boxes := make([]image.Rectangle, n)
		for y := 0; y < cfg.ImageSize; y++ {
			for x := 0; x < cfg.ImageSize; x++ {
				m := int(mask.GrayAt(x, y).Y)
				if m == 0 {
					continue
				}
				o := ex.Objects[m-1]
				col, _ := generators.ParseColor(o.Color)
				if img.RGBAAt(x, y) != col.RGB {
					t.Fatalf("sample %d: pixel (%d,%d) under object %d is not %s", i, x, y, m-1, o.Color)
				}
				boxes[m-1] = boxes[m-1].Union(image.Rect(x, y, x+1, y+1))
			}
		}
		for k, o := range ex.Objects {
			b := boxes[k]
			if [4]int{b.Min.X, b.Min.Y, b.Max.X, b.Max.Y} != o.BBox {
				t.Fatalf("sample %d: object %d box %v, its mask spans %v (hidden by another?)", i, k, o.BBox, b)
			}
		}
	})
	for _, f := range Families() {
		if families[f] != 200 {
			t.Errorf("family %s: %d of 600, want exactly 200", f, families[f])
		}
	}
}

func TestCountingRejectsImpossibleConfigs(t *testing.T) {
	for _, tt := range []struct {
		sets []string
		want string
	}{
		{[]string{"max_objects=30"}, "do not fit a 64 px canvas"},
		{[]string{"large_size=40"}, "do not fit"},
		{[]string{"min_objects=5", "max_objects=3"}, "min_objects <= max_objects"},
		{[]string{"small_size=14"}, "small_size < large_size"},
		{[]string{"families=counts,stories"}, `unknown "stories"`},
	} {
		if err := countConfig(t, tt.sets...).Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want %q", tt.sets, err, tt.want)
		}
	}
	// The largest config that fits renders without retrying.
	cfg := countConfig(t, "max_objects=16", "min_objects=16", "families=counts,attributes") // a 4×4 grid of 14 px cells
	renderCount(t, cfg, 20, func(i int, ex *CountingExample, _ generators.Sample) {
		if len(ex.Objects) != 16 {
			t.Fatalf("%d objects", len(ex.Objects))
		}
	})
}

func TestCountingGolden(t *testing.T) {
	got := map[string][]string{}
	for name, sets := range map[string][]string{"default": nil, "stacking": {"families=stacking"}, "big": {"image_size=128", "max_objects=20", "shapes=square,circle,triangle,star", "colors=red,green,blue,yellow"}} {
		n := 6
		if name == "stacking" {
			n = 40 // enough columns whose top matches the base, or whose pair stands on a large figure
		}
		renderCount(t, countConfig(t, sets...), n, func(i int, ex *CountingExample, s generators.Sample) {
			got[name] = append(got[name], generators.ContentHash(s))
		})
	}
	golden.Hashes(t, filepath.Join("testdata", "counting_golden.json"), got, *update)
}

func BenchmarkCounting(b *testing.B) { writebench.Run(b, Counting{}, 10000, "samples") }
