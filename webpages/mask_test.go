package webpages

import (
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
)

// truePage is a rendered page's ground truth, copied out of the renderer.
type truePage struct {
	tree     *Element
	class    *image.Gray
	instance *image.Gray16
}

// renderPages renders n pages of a config and keeps their masks and trees.
func renderPages(t testing.TB, mod func(*Config), n int) []truePage {
	t.Helper()
	p := testPlan(t, mod)
	r := p.NewRenderer().(*renderer)
	out := make([]truePage, n)
	for i := range n {
		key := generators.SampleKey{Seed: 1, Split: "train", Index: i, IDWidth: 6}
		var src rand.PCG
		s, err := r.Render(key, generators.SampleRand(&src, 1, "train", i))
		if err != nil {
			t.Fatal(err)
		}
		c := *r.page.class
		c.Pix = append([]byte(nil), c.Pix...)
		in := *r.page.instance
		in.Pix = append([]byte(nil), in.Pix...)
		out[i] = truePage{tree: s.Record.(*Example).Tree, class: &c, instance: &in}
	}
	return out
}

// exact reports whether a tree decoded from a class mask is the true tree:
// SameStructure against the truth with button styles cleared, as a class
// mask cannot tell them.
func exact(got, truth *Element) bool {
	return SameStructure(got, withoutButtonStyles(truth))
}

func withoutButtonStyles(e *Element) *Element {
	c := *e
	if c.Class == Button {
		c.Style = ""
	}
	c.Children = make([]*Element, len(e.Children))
	for i, ch := range e.Children {
		c.Children[i] = withoutButtonStyles(ch)
	}
	return &c
}

func TestTreeFromCleanClassMasks(t *testing.T) {
	n := 150
	if testing.Short() {
		n = 40
	}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"default", nil},
		{"128", func(c *Config) { c.ImageSize = 128 }},
		{"pix2code-128", func(c *Config) { c.ImageSize, c.Pix2Code = 128, true }},
		{"512-4rows", func(c *Config) { c.ImageSize, c.MaxRows = 512, 4 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i, p := range renderPages(t, tc.mod, n) {
				regions, err := RegionsFromClassMask(p.class, MaskOptions{})
				if err != nil {
					t.Fatal(err)
				}
				// Every true element is a region with its exact box.
				want := map[Region]bool{}
				p.tree.Walk(func(e *Element) {
					if e.Class != Background {
						want[Region{e.Class, e.Box}] = true
					}
				})
				for _, r := range regions {
					if !want[r] {
						t.Errorf("page %d: region %v is no element", i, r)
					}
					delete(want, r)
				}
				if len(want) > 0 {
					t.Errorf("page %d: elements %v not found", i, want)
				}
				got, err := TreeFromClassMask(p.class, MaskOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if !exact(got, p.tree) {
					t.Fatalf("page %d: decoded %s, true %s", i, PrintDSL(got), PrintDSL(p.tree))
				}
			}
		})
	}
}

// degradation spoils a copy of a page's class mask the way a segmentation
// net might.
type degradation struct {
	name  string
	apply func(p truePage, rng *rand.Rand) *image.Gray
}

func cloneGray(m *image.Gray) *image.Gray {
	c := *m
	c.Pix = append([]byte(nil), m.Pix...)
	return &c
}

func idAt(m *image.Gray16, x, y int) int {
	i := m.PixOffset(x, y)
	return int(m.Pix[i])<<8 | int(m.Pix[i+1])
}

// stray sets n pixels, anywhere, to a class other than their own.
func stray(n int) func(truePage, *rand.Rand) *image.Gray {
	return func(p truePage, rng *rand.Rand) *image.Gray {
		m := cloneGray(p.class)
		for range n {
			i := rng.IntN(len(m.Pix))
			m.Pix[i] = uint8((int(m.Pix[i]) + 1 + rng.IntN(int(numClasses)-1)) % int(numClasses))
		}
		return m
	}
}

// salt sets a fraction of the pixels, drawn with replacement, to a class
// other than their own.
func salt(frac float64) func(truePage, *rand.Rand) *image.Gray {
	return func(p truePage, rng *rand.Rand) *image.Gray {
		return stray(int(frac * float64(len(p.class.Pix))))(p, rng)
	}
}

// toBackground sets a fraction of the pixels to the page background.
func toBackground(frac float64) func(truePage, *rand.Rand) *image.Gray {
	return func(p truePage, rng *rand.Rand) *image.Gray {
		m := cloneGray(p.class)
		for range int(frac * float64(len(m.Pix))) {
			m.Pix[rng.IntN(len(m.Pix))] = 0
		}
		return m
	}
}

// erode keeps a pixel's class only where every pixel within k (a
// (2k+1)² square) belongs to the same element; the rest turn to the
// page background, so frames of 2k pixels or less vanish.
func erode(k int) func(truePage, *rand.Rand) *image.Gray {
	return func(p truePage, _ *rand.Rand) *image.Gray {
		m := cloneGray(p.class)
		b := m.Rect
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				id := idAt(p.instance, x, y)
			square:
				for dy := -k; dy <= k; dy++ {
					for dx := -k; dx <= k; dx++ {
						q := image.Pt(x+dx, y+dy)
						if q.In(b) && idAt(p.instance, q.X, q.Y) != id {
							m.Pix[m.PixOffset(x, y)] = 0
							break square
						}
					}
				}
			}
		}
		return m
	}
}

// dilate grows every element's box by k and paints the page again,
// parents first: siblings k or fewer pixels apart on each side touch.
func dilate(k int) func(truePage, *rand.Rand) *image.Gray {
	return func(p truePage, _ *rand.Rand) *image.Gray {
		m := image.NewGray(p.class.Rect)
		p.tree.Walk(func(e *Element) {
			if e.Class == Background {
				return
			}
			r := image.Rect(e.Box[0]-k, e.Box[1]-k, e.Box[2]+k, e.Box[3]+k).Intersect(m.Rect)
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					m.Pix[m.PixOffset(x, y)] = uint8(e.Class)
				}
			}
		})
		return m
	}
}

// parents maps every element to its parent.
func parents(root *Element) map[*Element]*Element {
	out := map[*Element]*Element{}
	root.Walk(func(e *Element) {
		for _, c := range e.Children {
			out[c] = e
		}
	})
	return out
}

// paintOwn paints the pixels of element id (its own, not its children's)
// inside r with class c.
func paintOwn(m *image.Gray, instance *image.Gray16, id int, r image.Rectangle, c Class) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if idAt(instance, x, y) == id {
				m.Pix[m.PixOffset(x, y)] = uint8(c)
			}
		}
	}
}

// dropRegions paints a tenth of the elements (at least one) as their
// parents: their own pixels take the parent's class, their children stay.
func dropRegions(p truePage, rng *rand.Rand) *image.Gray {
	m := cloneGray(p.class)
	up := parents(p.tree)
	var els []*Element
	p.tree.Walk(func(e *Element) {
		if e.Class != Background {
			els = append(els, e)
		}
	})
	n := max(1, (len(els)+5)/10)
	for _, i := range rng.Perm(len(els))[:n] {
		e := els[i]
		paintOwn(m, p.instance, e.ID, m.Rect, up[e].Class)
	}
	return m
}

// mergeSiblings joins two neighbouring siblings of one class: their
// parent's pixels between them take their class.
func mergeSiblings(p truePage, rng *rand.Rand) *image.Gray {
	m := cloneGray(p.class)
	type pair struct {
		parent *Element
		i      int
	}
	var pairs []pair
	p.tree.Walk(func(e *Element) {
		for i := 0; i+1 < len(e.Children); i++ {
			if e.Children[i].Class == e.Children[i+1].Class && e.Class != Background {
				pairs = append(pairs, pair{e, i})
			}
		}
	})
	if len(pairs) == 0 {
		return m
	}
	pr := pairs[rng.IntN(len(pairs))]
	a, b := pr.parent.Children[pr.i], pr.parent.Children[pr.i+1]
	u := union(a.Box, b.Box)
	paintOwn(m, p.instance, pr.parent.ID, image.Rect(u[0], u[1], u[2], u[3]), a.Class)
	return m
}

var degradations = []degradation{
	{"clean", func(p truePage, _ *rand.Rand) *image.Gray { return p.class }},
	{"1 stray pixel", stray(1)},
	{"5 stray pixels", stray(5)},
	{"20 stray pixels", stray(20)},
	{"0.1% salt noise", salt(0.001)},
	{"1% salt noise", salt(0.01)},
	{"erode 1 px", erode(1)},
	{"erode 2 px", erode(2)},
	{"dilate 1 px", dilate(1)},
	{"dilate 2 px", dilate(2)},
	{"1% pixels to background", toBackground(0.01)},
	{"drop 10% of regions", dropRegions},
	{"merge two siblings", mergeSiblings},
}

// floors are the exact-match rates the test holds: exact trees stay
// exact, and at least 95% stay exact under up to 20 stray pixels and 1%
// salt noise (issue 17). The other cases are measured and reported.
var floors = map[string]float64{
	"clean": 1, "1 stray pixel": 0.95, "5 stray pixels": 0.95, "20 stray pixels": 0.95,
	"0.1% salt noise": 0.95, "1% salt noise": 0.95,
}

// TestTreeFromDegradedMasks applies each degradation to N pages at
// 256×256 (the default config) and at 128×128, seeded by case and page,
// and reports the exact-match rate and the mean normalized tree edit
// distance; it fails below the floors. N is 200 (40 with -short);
// HIDDENDIM_DEGRADE_N sets another. With N = 200 the table is compared
// with testdata/degradations.txt (-update rewrites it).
//
//	go test ./webpages -run TestTreeFromDegradedMasks -v
func TestTreeFromDegradedMasks(t *testing.T) {
	n := 200
	if testing.Short() {
		n = 40
	}
	if s := os.Getenv("HIDDENDIM_DEGRADE_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("HIDDENDIM_DEGRADE_N=%q: want a positive count of pages", s)
		}
		n = v
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%-26s %9s %9s %9s %9s\n", "degradation (N="+strconv.Itoa(n)+")", "exact128", "nted128", "exact256", "nted256")
	configs := []struct {
		name string
		mod  func(*Config)
	}{{"128", func(c *Config) { c.ImageSize = 128 }}, {"256", nil}}
	rendered := make([][]truePage, len(configs))
	for i, cfg := range configs {
		rendered[i] = renderPages(t, cfg.mod, n)
	}
	for di, d := range degradations {
		fmt.Fprintf(&table, "%-26s", d.name)
		for ci, cfg := range configs {
			exacts, nted := 0, 0.0
			for i, p := range rendered[ci] {
				rng := rand.New(rand.NewPCG(uint64(di), uint64(i)))
				got, err := TreeFromClassMask(d.apply(p, rng), MaskOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if exact(got, p.tree) {
					exacts++
				}
				nted += NormalizedTreeEditDistance(got, p.tree)
			}
			rate := float64(exacts) / float64(n)
			fmt.Fprintf(&table, " %9.3f %9.4f", rate, nted/float64(n))
			if floor, ok := floors[d.name]; ok && rate < floor {
				t.Errorf("%s at %s: %d of %d trees exact (%.3f), want at least %.2f", d.name, cfg.name, exacts, n, rate, floor)
			}
		}
		table.WriteByte('\n')
	}
	t.Logf("exact-match rate and mean normalized tree edit distance:\n%s", table.String())
	if n == 200 {
		compareGolden(t, filepath.Join("testdata", "degradations.txt"), table.String())
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if string(want) != got {
		t.Errorf("the table differs from %s (run with -update if the change is meant):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
