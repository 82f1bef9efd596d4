package webpages

import (
	"image"
	"strings"
	"testing"
)

// TestFitTreeCleanMasks fits the class masks of pages as rendered: the
// fitted tree is the true one, every box the true box.
func TestFitTreeCleanMasks(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		mod  func(*Config)
	}{
		{"default", 200, nil},
		{"128", 300, func(c *Config) { c.ImageSize = 128 }},
		{"pix2code-128", 200, func(c *Config) { c.ImageSize, c.Pix2Code, c.MaxRows = 128, true, 2 }},
		{"512-4rows", 20, func(c *Config) { c.ImageSize, c.MaxRows = 512, 4 }},
	} {
		n := tc.n
		if testing.Short() {
			n /= 5
		}
		t.Run(tc.name, func(t *testing.T) {
			cfg := testPlan(t, tc.mod).cfg
			for i, p := range renderPages(t, tc.mod, n) {
				got, err := FitTree(p.class, cfg)
				if err != nil {
					t.Fatal(err)
				}
				if !exact(got, p.tree) {
					t.Fatalf("page %d: fitted %s, true %s", i, PrintDSL(got), PrintDSL(p.tree))
				}
				var gotBoxes, wantBoxes [][4]int
				got.Walk(func(e *Element) { gotBoxes = append(gotBoxes, e.Box) })
				p.tree.Walk(func(e *Element) { wantBoxes = append(wantBoxes, e.Box) })
				for k := range wantBoxes {
					if gotBoxes[k] != wantBoxes[k] {
						t.Fatalf("page %d: element %d's box is %v, want %v", i, k, gotBoxes[k], wantBoxes[k])
					}
				}
			}
		})
	}
}

// TestFitTreeDefects damages one page's true class mask in ways a
// segmentation net does, each of which breaks TreeFromClassMask's tree,
// and checks that FitTree still gives the true tree.
func TestFitTreeDefects(t *testing.T) {
	mod := func(c *Config) { c.ImageSize, c.Pix2Code, c.MaxRows = 128, true, 2 }
	cfg := testPlan(t, mod).cfg
	pages := renderPages(t, mod, 40)
	first := func(p truePage, cs ...Class) *Element {
		var found *Element
		p.tree.Walk(func(e *Element) {
			if found == nil && containsClass(cs, e.Class) {
				found = e
			}
		})
		return found
	}
	paint := func(m *image.Gray, b [4]int, c Class) {
		for y := b[1]; y < b[3]; y++ {
			for x := b[0]; x < b[2]; x++ {
				m.Pix[m.PixOffset(x, y)] = uint8(c)
			}
		}
	}
	for _, tc := range []struct {
		name string
		// damage returns the damaged mask, or nil if the page has
		// nothing to damage.
		damage func(p truePage) *image.Gray
	}{
		{"a title's lower 40% read as text", func(p truePage) *image.Gray {
			e := first(p, BigTitle, SmallTitle)
			if e == nil {
				return nil
			}
			m := cloneGray(p.class)
			b := e.Box
			b[1] = b[3] - (b[3]-b[1])*4/10
			paint(m, b, Text)
			return m
		}},
		{"every row and column frame read as container", func(p truePage) *image.Gray {
			m := cloneGray(p.class)
			for i, v := range m.Pix {
				if Class(v) == Row || Class(v) == Column {
					m.Pix[i] = uint8(Container)
				}
			}
			return m
		}},
		{"a 4×4 image blob inside a text", func(p truePage) *image.Gray {
			e := first(p, Text)
			if e == nil || e.Box[2]-e.Box[0] < 8 || e.Box[3]-e.Box[1] < 8 {
				return nil
			}
			m := cloneGray(p.class)
			paint(m, [4]int{e.Box[0] + 2, e.Box[1] + 2, e.Box[0] + 6, e.Box[1] + 6}, Image)
			return m
		}},
		{"the pixel between two header buttons read as button", func(p truePage) *image.Gray {
			h := first(p, Header)
			if len(h.Children) < 2 {
				return nil
			}
			m := cloneGray(p.class)
			a, b := h.Children[0].Box, h.Children[1].Box
			paint(m, [4]int{a[2], a[1], b[0], a[3]}, Button)
			return m
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			damaged, brokeContainment := 0, 0
			for i, p := range pages {
				m := tc.damage(p)
				if m == nil {
					continue
				}
				damaged++
				got, err := FitTree(m, cfg)
				if err != nil {
					t.Fatal(err)
				}
				if !exact(got, p.tree) {
					t.Errorf("page %d: fitted %s, true %s", i, PrintDSL(got), PrintDSL(p.tree))
				}
				if old, _ := TreeFromClassMask(m, MaskOptions{}); !exact(old, p.tree) {
					brokeContainment++
				}
			}
			if damaged < 10 {
				t.Fatalf("only %d of %d pages had something to damage", damaged, len(pages))
			}
			t.Logf("%d pages damaged; TreeFromClassMask's tree wrong on %d", damaged, brokeContainment)
		})
	}
}

// TestFitTreeErrors checks the errors: a nil mask, a mask of another
// size than the config's pages, a pixel past the last class, and a
// config that does not validate.
func TestFitTreeErrors(t *testing.T) {
	good := Pages{}.DefaultConfig().(*Config)
	good.ImageSize, good.MaxRows, good.Pix2Code = 96, 1, true
	bad := *good
	bad.MaxRows = 0
	big := image.NewGray(image.Rect(0, 0, 96, 96))
	big.Pix[5] = uint8(numClasses)
	for _, tc := range []struct {
		name string
		mask *image.Gray
		cfg  Config
		want string
	}{
		{"nil mask", nil, *good, "no class mask"},
		{"wrong size", image.NewGray(image.Rect(0, 0, 32, 96)), *good, "the mask is 32×96, the config draws 96×96 pages"},
		{"class past the last", big, *good, "pixel (5, 0) is 13"},
		{"bad config", image.NewGray(image.Rect(0, 0, 96, 96)), bad, "rows 1 to 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FitTree(tc.mask, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("FitTree = %v, %v; want an error saying %q", got, err, tc.want)
			}
			if got != nil {
				t.Errorf("FitTree returned a tree with its error")
			}
		})
	}
}

// FuzzFitTree fits arbitrary masks of a small config: it must not fail,
// and what it gives is a page the config can draw: with button styles
// set, it prints in the DSL and parses back, and every box lies inside
// the page.
func FuzzFitTree(f *testing.F) {
	f.Add([]byte{0, 1, 1, 1, 1, 0, 4, 4, 6, 7, 7, 10})
	f.Add([]byte{12, 12, 12, 3, 3})
	f.Add(make([]byte, 64))
	cfg := Pages{}.DefaultConfig().(*Config)
	cfg.ImageSize, cfg.MaxRows, cfg.Pix2Code = 96, 1, true
	if err := cfg.Validate(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, ids []byte) {
		if len(ids) == 0 || len(ids) > 96*96 {
			return
		}
		mask := image.NewGray(image.Rect(0, 0, 96, 96))
		for i := range mask.Pix {
			mask.Pix[i] = ids[i%len(ids)] % uint8(numClasses)
		}
		tree, err := FitTree(mask, *cfg)
		if err != nil {
			t.Fatal(err)
		}
		RestoreStyles(tree, image.NewRGBA(mask.Rect)) // buttons need a style to print
		if _, err := ParseDSL(PrintDSL(tree)); err != nil {
			t.Fatalf("the fitted page %s does not parse: %v", PrintDSL(tree), err)
		}
		tree.Walk(func(e *Element) {
			if e.Box[0] < 0 || e.Box[1] < 0 || e.Box[2] > 96 || e.Box[3] > 96 || e.Box[2] <= e.Box[0] || e.Box[3] <= e.Box[1] {
				t.Fatalf("%s has box %v, not inside the 96×96 page", e.Kind, e.Box)
			}
		})
	})
}
