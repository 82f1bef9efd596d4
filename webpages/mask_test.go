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
	shot     *image.RGBA
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
		shot := *r.page.dc.Image().(*image.RGBA)
		shot.Pix = append([]byte(nil), shot.Pix...)
		out[i] = truePage{tree: s.Record.(*Example).Tree, class: &c, instance: &in, shot: &shot}
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

// TestTreeFromCleanClassMasks decodes the class masks of a few hundred
// pages as rendered: every element is a region with its true box, and the
// tree is the true tree (with RestoreStyles, to the button styles).
func TestTreeFromCleanClassMasks(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		mod  func(*Config)
	}{
		{"default", 200, nil},
		{"128", 300, func(c *Config) { c.ImageSize = 128 }},
		{"pix2code-128", 100, func(c *Config) { c.ImageSize, c.Pix2Code = 128, true }},
		{"512-4rows", 20, func(c *Config) { c.ImageSize, c.MaxRows = 512, 4 }},
	} {
		n := tc.n
		if testing.Short() {
			n /= 5
		}
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
				// With the screenshot's button colours, the very tree.
				RestoreStyles(got, p.shot)
				if !SameStructure(got, p.tree) || PrintDSL(got) != PrintDSL(p.tree) || PrintPix2Code(got) != PrintPix2Code(p.tree) {
					t.Fatalf("page %d: styled %s, true %s", i, PrintDSL(got), PrintDSL(p.tree))
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
		return stray(int(frac*float64(len(p.class.Pix))))(p, rng)
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
		w, h := m.Rect.Dx(), m.Rect.Dy()
		id := make([]int, w*h)
		for y := range h {
			for x := range w {
				id[y*w+x] = idAt(p.instance, x, y)
			}
		}
		// across[i]: the pixels within k of i in its row are i's element.
		across := make([]bool, w*h)
		for y := range h {
			for x := range w {
				same := true
				for dx := max(0, x-k); dx <= min(w-1, x+k) && same; dx++ {
					same = id[y*w+dx] == id[y*w+x]
				}
				across[y*w+x] = same
			}
		}
		for y := range h {
			for x := range w {
				for dy := max(0, y-k); dy <= min(h-1, y+k); dy++ {
					if !across[dy*w+x] || id[dy*w+x] != id[y*w+x] {
						m.Pix[m.PixOffset(x, y)] = 0
						break
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

// fitFloors are FitTree's: the same, and elements eroded by a pixel
// (every frame of a 128-px page gone) still give the true tree at least
// 95% of the time. Dilating by a pixel is not held: at 128 px it fills
// the one-pixel gaps between buttons side by side, and nothing in the
// mask then tells two buttons from three.
var fitFloors = map[string]float64{
	"clean": 1, "1 stray pixel": 0.95, "5 stray pixels": 0.95, "20 stray pixels": 0.95,
	"0.1% salt noise": 0.95, "1% salt noise": 0.95, "erode 1 px": 0.95,
}

// TestTreeFromDegradedMasks applies each degradation to N pages at
// 256×256 (the default config) and at 128×128, seeded by case and page,
// and reports TreeFromClassMask's exact-match rate and mean normalized
// tree edit distance, and FitTree's exact-match rate (fit128, fit256);
// it fails below the floors. N is 100 (40 with -short), which
// keeps the test near 20 s on a loaded 2-core machine;
// HIDDENDIM_DEGRADE_N sets another (200 or more for the record). At the
// default N the table is compared with testdata/degradations.txt
// (-update rewrites it).
//
//	go test ./webpages -run TestTreeFromDegradedMasks -v
func TestTreeFromDegradedMasks(t *testing.T) {
	const defaultN = 100
	n := defaultN
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
	fmt.Fprintf(&table, "%-26s %9s %9s %9s %9s %9s %9s\n", "degradation (N="+strconv.Itoa(n)+")", "exact128", "nted128", "exact256", "nted256", "fit128", "fit256")
	configs := []struct {
		name string
		mod  func(*Config)
	}{{"128", func(c *Config) { c.ImageSize = 128 }}, {"256", nil}}
	rendered := make([][]truePage, len(configs))
	for i, cfg := range configs {
		rendered[i] = renderPages(t, cfg.mod, n)
	}
	var fitRates []float64
	for di, d := range degradations {
		fmt.Fprintf(&table, "%-26s", d.name)
		for ci, cfg := range configs {
			exacts, fits, nted := 0, 0, 0.0
			pageCfg := testPlan(t, cfg.mod).cfg
			for i, p := range rendered[ci] {
				rng := rand.New(rand.NewPCG(uint64(di), uint64(i)))
				mask := d.apply(p, rng)
				got, err := TreeFromClassMask(mask, MaskOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if exact(got, p.tree) {
					exacts++
				}
				nted += NormalizedTreeEditDistance(got, p.tree)
				fitted, err := FitTree(mask, pageCfg)
				if err != nil {
					t.Fatal(err)
				}
				if exact(fitted, p.tree) {
					fits++
				}
			}
			rate, fitRate := float64(exacts)/float64(n), float64(fits)/float64(n)
			fmt.Fprintf(&table, " %9.3f %9.4f", rate, nted/float64(n))
			fitRates = append(fitRates, fitRate)
			if floor, ok := floors[d.name]; ok && rate < floor {
				t.Errorf("%s at %s: %d of %d trees exact (%.3f), want at least %.2f", d.name, cfg.name, exacts, n, rate, floor)
			}
			if floor, ok := fitFloors[d.name]; ok && fitRate < floor {
				t.Errorf("FitTree, %s at %s: %d of %d trees exact (%.3f), want at least %.2f", d.name, cfg.name, fits, n, fitRate, floor)
			}
		}
		for _, r := range fitRates {
			fmt.Fprintf(&table, " %9.3f", r)
		}
		fitRates = fitRates[:0]
		table.WriteByte('\n')
	}
	t.Logf("exact-match rate and mean normalized tree edit distance:\n%s", table.String())
	if n == defaultN {
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

func TestRegionsFromClassMaskErrors(t *testing.T) {
	short := image.NewGray(image.Rect(0, 0, 4, 4))
	short.Pix = short.Pix[:10]
	narrow := image.NewGray(image.Rect(0, 0, 4, 4))
	narrow.Stride = 3
	past := image.NewGray(image.Rect(2, 3, 6, 7))
	past.Pix[5] = 13
	tests := []struct {
		name string
		mask *image.Gray
		msg  string
	}{
		{"nil", nil, "no class mask"},
		{"short pixels", short, "the class mask holds 10 bytes, 4x4 pixels at stride 4 need 16"},
		{"short stride", narrow, "the class mask's stride is 3 bytes, shorter than a row of 4 pixels"},
		{"class past the last", past, "class mask pixel (3, 4) is 13: want a class id 0 to 12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			regions, err := RegionsFromClassMask(tt.mask, MaskOptions{})
			if err == nil || !strings.HasPrefix(err.Error(), "webpages: ") || !strings.Contains(err.Error(), tt.msg) || regions != nil {
				t.Errorf("got %v, %v; want no regions and an error with %q", regions, err, tt.msg)
			}
			if tree, err := TreeFromClassMask(tt.mask, MaskOptions{}); err == nil || tree != nil {
				t.Errorf("TreeFromClassMask: %v, %v; want an error", tree, err)
			}
		})
	}
}

func TestRegionsFromClassMaskSmallCases(t *testing.T) {
	// A 10×8 page: a header (class 1) holding one button (12), with one
	// stray text pixel (10) in the header and a one-pixel speck of
	// button outside it.
	m := gray(10, 8,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 1, 1, 1, 1, 1, 1, 1, 1, 0,
		0, 1, 12, 12, 12, 12, 1, 1, 1, 0,
		0, 1, 12, 12, 12, 12, 1, 10, 1, 0,
		0, 1, 12, 12, 12, 12, 1, 1, 1, 0,
		0, 1, 12, 12, 12, 12, 1, 1, 1, 0,
		0, 1, 1, 1, 1, 1, 1, 1, 1, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 12, 0)
	got, err := RegionsFromClassMask(m, MaskOptions{MinArea: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := []Region{{Header, [4]int{1, 1, 9, 7}}, {Button, [4]int{2, 2, 6, 6}}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// Offset bounds: boxes are in the mask's own coordinates.
	off := &image.Gray{Pix: m.Pix, Stride: m.Stride, Rect: image.Rect(5, 5, 15, 13)}
	if got2, _ := RegionsFromClassMask(off, MaskOptions{MinArea: 3}); fmt.Sprint(got2) != fmt.Sprint(want) {
		t.Errorf("offset mask: got %v, want %v", got2, want)
	}
	tree, err := TreeFromClassMask(m, MaskOptions{MinArea: 3})
	if err != nil || PrintDSL(tree) != "header{btn-}" {
		t.Errorf("tree %s, %v; want header{btn-}", PrintDSL(tree), err)
	}
}

// FuzzTreeFromClassMask decodes masks of any size, stride and bytes: it
// must return an error (prefixed, no tree) or regions inside the mask and
// a tree the page grammar allows, numbered depth first.
func FuzzTreeFromClassMask(f *testing.F) {
	f.Add(uint8(10), uint8(8), int8(0), uint8(3), []byte{0, 1, 1, 12, 12, 1, 0, 4, 6, 7, 10, 7, 6, 4})
	f.Add(uint8(30), uint8(30), int8(0), uint8(0), []byte{4, 4, 6, 6, 7, 7, 8, 8, 8, 7, 6, 4})
	f.Add(uint8(5), uint8(5), int8(-1), uint8(1), []byte("abcdefghijklmnopqrstuvwxyz"))
	f.Fuzz(func(t *testing.T, w8, h8 uint8, delta int8, minArea uint8, pix []byte) {
		w, h := int(w8%64), int(h8%64)
		buf := make([]byte, w*h)
		for i := range buf {
			if len(pix) > 0 {
				// 4×4 blocks of one byte, so shapes bigger than a pixel occur.
				x, y := i%w, i/w
				buf[i] = pix[((y/4)*(w/4+1)+x/4)%len(pix)] % 14
			}
		}
		mask := &image.Gray{Pix: buf, Stride: w + int(delta), Rect: image.Rect(0, 0, w, h)}
		opt := MaskOptions{MinArea: int(minArea % 20), Tol: int(minArea % 4)}
		regions, err := RegionsFromClassMask(mask, opt)
		tree, terr := TreeFromClassMask(mask, opt)
		if (err == nil) != (terr == nil) {
			t.Fatalf("regions error %v, tree error %v", err, terr)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "webpages: ") || regions != nil || tree != nil {
				t.Fatalf("error %v with regions %v, tree %v", err, regions, tree)
			}
			return
		}
		for _, r := range regions {
			b := r.Box
			if b[0] < 0 || b[1] < 0 || b[2] > w || b[3] > h || b[2] <= b[0] || b[3] <= b[1] || r.Class == Background || r.Class >= numClasses {
				t.Fatalf("region %v in a %dx%d mask", r, w, h)
			}
		}
		id := 0
		tree.Walk(func(e *Element) {
			if e.ID != id {
				t.Fatalf("element numbered %d, want %d", e.ID, id)
			}
			id++
			for _, c := range e.Children {
				if !containsClass(children[e.Class], c.Class) {
					t.Fatalf("%s holds %s: %s", e.Kind, c.Kind, PrintDSL(tree))
				}
			}
		})
	})
}
