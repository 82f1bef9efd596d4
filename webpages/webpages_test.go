package webpages

import (
	"fmt"
	"image"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
)

func testPlan(t testing.TB, mod func(*Config)) *plan {
	t.Helper()
	c := Pages{}.DefaultConfig().(*Config)
	if mod != nil {
		mod(c)
	}
	s, err := Pages{}.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return s.(*plan)
}

// pages renders n samples and hands each to check with its canvas.
func pages(t *testing.T, p *plan, n int, check func(i int, ex *Example, r *renderer, s generators.Sample)) {
	t.Helper()
	r := p.NewRenderer().(*renderer)
	for i := range n {
		key := generators.SampleKey{Seed: 1, Split: "train", Index: i, IDWidth: 6}
		var src rand.PCG
		s, err := r.Render(key, generators.SampleRand(&src, 1, "train", i))
		if err != nil {
			t.Fatal(err)
		}
		check(i, s.Record.(*Example), r, s)
	}
}

func TestMasksAgreeWithTheTree(t *testing.T) {
	pages(t, testPlan(t, nil), 50, func(i int, ex *Example, r *renderer, _ generators.Sample) {
		// Every element's visible pixels carry its id and class; the
		// innermost element wins, so a pixel's id is the deepest element
		// whose box holds it.
		want := image.NewGray16(r.page.instance.Rect)
		ex.Tree.Walk(func(e *Element) {
			for y := e.Box[1]; y < e.Box[3]; y++ {
				for x := e.Box[0]; x < e.Box[2]; x++ {
					want.Pix[want.PixOffset(x, y)], want.Pix[want.PixOffset(x, y)+1] = uint8(e.ID>>8), uint8(e.ID)
				}
			}
		})
		if string(want.Pix) != string(r.page.instance.Pix) {
			t.Fatalf("page %d: instance mask differs from the boxes painted in tree order", i)
		}
		classOf := map[int]Class{}
		ex.Tree.Walk(func(e *Element) { classOf[e.ID] = e.Class })
		for p := 0; p < len(r.page.class.Pix); p++ {
			id := int(r.page.instance.Pix[2*p])<<8 | int(r.page.instance.Pix[2*p+1])
			if Class(r.page.class.Pix[p]) != classOf[id] {
				t.Fatalf("page %d pixel %d: class %d, element %d is a %s", i, p, r.page.class.Pix[p], id, classOf[id])
			}
		}
		// Every element has some visible pixels: none is hidden by its children.
		seen := map[int]bool{}
		for p := 0; p < len(r.page.class.Pix); p++ {
			seen[int(r.page.instance.Pix[2*p])<<8|int(r.page.instance.Pix[2*p+1])] = true
		}
		ex.Tree.Walk(func(e *Element) {
			if !seen[e.ID] {
				t.Fatalf("page %d: element %d (%s) has no visible pixel", i, e.ID, e.Kind)
			}
		})
	})
}

func TestDecoderRebuildsTheTrueTree(t *testing.T) {
	n := 0
	for _, mod := range []func(*Config){nil, func(c *Config) { c.Pix2Code = true }, func(c *Config) { c.ImageSize, c.MaxRows = 512, 4 }} {
		p := testPlan(t, mod)
		pages(t, p, 120, func(i int, ex *Example, r *renderer, _ generators.Sample) {
			n++
			regions, err := RegionsFromMasks(r.page.instance, r.page.class)
			if err != nil {
				t.Fatal(err)
			}
			got := DecodeTree(regions, p.cfg.ImageSize, p.cfg.ImageSize, 0)
			if !sameLayout(got, ex.Tree) {
				t.Fatalf("page %d (%s): decoded %s, true %s", i, ex.Caption, PrintDSL(got), PrintDSL(ex.Tree))
			}
		})
	}
	if n < 300 {
		t.Fatalf("checked %d pages", n)
	}
}

// sameLayout compares classes, boxes and child order.
func sameLayout(a, b *Element) bool {
	if a.Class != b.Class || a.Box != b.Box || len(a.Children) != len(b.Children) {
		return false
	}
	for i := range a.Children {
		if !sameLayout(a.Children[i], b.Children[i]) {
			return false
		}
	}
	return true
}

func TestDecoderSurvivesNoise(t *testing.T) {
	p := testPlan(t, nil)
	rng := rand.New(rand.NewPCG(3, 3))
	pages(t, p, 40, func(i int, ex *Example, r *renderer, _ generators.Sample) {
		regions, err := RegionsFromMasks(r.page.instance, r.page.class)
		if err != nil {
			t.Fatal(err)
		}
		// Jitter every box by up to 3 px, drop a fifth of the regions,
		// add spurious ones, and mislabel some.
		var noisy []Region
		for _, reg := range regions {
			if rng.IntN(5) == 0 {
				continue
			}
			for k := range reg.Box {
				reg.Box[k] += rng.IntN(7) - 3
			}
			if rng.IntN(10) == 0 {
				reg.Class = Class(1 + rng.IntN(int(numClasses)-1))
			}
			noisy = append(noisy, reg)
		}
		for range 3 {
			x, y := rng.IntN(200), rng.IntN(200)
			noisy = append(noisy, Region{Class: Text, Box: [4]int{x, y, x + rng.IntN(60) - 5, y + rng.IntN(60)}})
		}
		got := DecodeTree(noisy, 256, 256, 2)
		count := got.Count() - 1
		valid := 0
		for _, reg := range noisy {
			if reg.Box[2] > reg.Box[0] && reg.Box[3] > reg.Box[1] {
				valid++
			}
		}
		if count != valid {
			t.Fatalf("page %d: %d regions with area became %d elements", i, valid, count)
		}
	})
}

func TestDSLRoundTrips(t *testing.T) {
	pages(t, testPlan(t, nil), 100, func(i int, ex *Example, _ *renderer, _ generators.Sample) {
		back, err := ParseDSL(ex.DSL)
		if err != nil {
			t.Fatalf("page %d: %q: %v", i, ex.DSL, err)
		}
		if !SameStructure(back, ex.Tree) || PrintDSL(back) != ex.DSL {
			t.Fatalf("page %d: %q came back as %q", i, ex.DSL, PrintDSL(back))
		}
		if ex.Pix2Code != "" {
			back, err := ParsePix2Code(ex.Pix2Code)
			if err != nil {
				t.Fatalf("page %d: pix2code %q: %v", i, ex.Pix2Code, err)
			}
			if !SameStructure(back, ex.Tree) || PrintPix2Code(back) != ex.Pix2Code {
				t.Fatalf("page %d: pix2code %q came back as %q", i, ex.Pix2Code, PrintPix2Code(back))
			}
		}
	})
}

func TestPix2CodeOnlyWhenExpressible(t *testing.T) {
	all, some := 0, 0
	pages(t, testPlan(t, func(c *Config) { c.Pix2Code = true }), 50, func(_ int, ex *Example, _ *renderer, _ generators.Sample) {
		if ex.Pix2Code != "" {
			all++
		}
	})
	pages(t, testPlan(t, func(c *Config) { c.Menu = "left" }), 20, func(_ int, ex *Example, _ *renderer, _ generators.Sample) {
		if ex.Pix2Code != "" {
			some++
		}
	})
	if all != 50 || some != 0 {
		t.Errorf("pix2code written for %d of 50 pix2code pages and %d of 20 pages with menus", all, some)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		parse   func(string) (*Element, error)
		in, msg string
		pos     int
	}{
		{ParseDSL, "header{btn-active", "unclosed", 17},
		{ParseDSL, "header{row}", "header cannot hold row", 7},
		{ParseDSL, "container{row{column,column,column}}", "1, 2 or 4 columns", 10},
		{ParseDSL, "header{btn-blue}", `unknown element "btn-blue"`, 7},
		{ParseDSL, "header{btn-active} $", "unexpected '$'", 19},
		{ParseDSL, "", "empty page", 0},
		{ParsePix2Code, "row {\nsingle {\ntext\n}\n}", "no header", 23},
		{ParsePix2Code, "header {\nbtn-green\n}", `"btn-green" cannot stand in a header`, 9},
		{ParsePix2Code, "header {\nbtn-active\n}\nrow {\ndouble {\ntext\n}\n}", "a double row needs 2 columns, has 1", 22},
		{ParsePix2Code, "header {\nbtn-active\n}\nrow {\nsingle {\nimage\n}\n}", `"image" cannot stand in a column`, 37},
	}
	for _, tt := range tests {
		_, err := tt.parse(tt.in)
		pe, ok := err.(*ParseError)
		if !ok || !strings.Contains(err.Error(), tt.msg) || pe.Pos != tt.pos {
			t.Errorf("%q: error %v, want %q at byte %d", tt.in, err, tt.msg, tt.pos)
		}
	}
}

func FuzzParseDSL(f *testing.F) {
	f.Add("header{btn-active,btn-inactive} menu-left{item,item} container{row{column{small-title,text,btn-green}}} footer")
	f.Add("header{btn-active} container{row{column{image},column{big-title}}}")
	f.Fuzz(func(t *testing.T, s string) {
		page, err := ParseDSL(s)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("%q: error %T is not a *ParseError", s, err)
			}
			return
		}
		out := PrintDSL(page)
		again, err := ParseDSL(out)
		if err != nil || !SameStructure(page, again) || PrintDSL(again) != out {
			t.Fatalf("%q printed as %q, which does not read back the same (%v)", s, out, err)
		}
	})
}

func FuzzParsePix2Code(f *testing.F) {
	f.Add("header {\nbtn-active, btn-inactive\n}\nrow {\ndouble {\nsmall-title, text, btn-green\n}\ndouble {\ntext\n}\n}")
	f.Add("header{btn-inactive}row{quadruple{text}quadruple{text}quadruple{text}quadruple{btn-red}}")
	f.Fuzz(func(t *testing.T, s string) {
		page, err := ParsePix2Code(s)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("%q: error %T is not a *ParseError", s, err)
			}
			return
		}
		out := PrintPix2Code(page)
		again, err := ParsePix2Code(out)
		if err != nil || !SameStructure(page, again) || PrintPix2Code(again) != out {
			t.Fatalf("%q printed as %q, which does not read back the same (%v)", s, out, err)
		}
	})
}

func TestCaptionsAgreeWithTheTree(t *testing.T) {
	pages(t, testPlan(t, nil), 60, func(i int, ex *Example, _ *renderer, _ generators.Sample) {
		n := map[Class]int{}
		ex.Tree.Walk(func(e *Element) { n[e.Class]++ })
		header := ex.Tree.find(Header)
		if !strings.HasPrefix(ex.Caption, "header with "+count(len(header.Children), "button")) {
			t.Fatalf("page %d: %q does not start with the header's %d buttons", i, ex.Caption, len(header.Children))
		}
		if m := ex.Tree.find(Menu); (m != nil) != strings.Contains(ex.Caption, " menu with ") ||
			(m != nil && !strings.Contains(ex.Caption, fmt.Sprintf("a %s menu with %s", m.Style, count(len(m.Children), "item")))) {
			t.Fatalf("page %d: %q and the menu disagree", i, ex.Caption)
		}
		c := ex.Tree.find(Container)
		if !strings.Contains(ex.Caption, "a container of "+count(len(c.Children), "row")) {
			t.Fatalf("page %d: %q does not count %d rows", i, ex.Caption, len(c.Children))
		}
		cn := map[Class]int{}
		c.Walk(func(e *Element) { cn[e.Class]++ })
		if cn[Image] > 0 && !strings.Contains(ex.Caption, count(cn[Image], "image")) {
			t.Fatalf("page %d: %q does not count %d images", i, ex.Caption, cn[Image])
		}
		if (ex.Tree.find(Footer) != nil) != strings.HasSuffix(ex.Caption, "; a footer") {
			t.Fatalf("page %d: %q and the footer disagree", i, ex.Caption)
		}
	})
}

func TestPartsArePixelExact(t *testing.T) {
	p := testPlan(t, func(c *Config) { c.Parts = true })
	pages(t, p, 20, func(i int, ex *Example, r *renderer, s generators.Sample) {
		full := r.page.dc.Image().(*image.RGBA)
		if len(ex.Parts) != len(ex.Tree.Children) {
			t.Fatalf("page %d: %d parts for %d top-level elements", i, len(ex.Parts), len(ex.Tree.Children))
		}
		for k, part := range ex.Tree.Children {
			img := r.parts[k].dc.Image().(*image.RGBA)
			for y := 0; y < p.cfg.ImageSize; y++ {
				for x := 0; x < p.cfg.ImageSize; x++ {
					in := x >= part.Box[0] && x < part.Box[2] && y >= part.Box[1] && y < part.Box[3]
					o := img.PixOffset(x, y)
					got := [3]uint8(img.Pix[o : o+3])
					want := [3]uint8(full.Pix[o : o+3])
					if !in {
						want = [3]uint8{pageColor.R, pageColor.G, pageColor.B}
					}
					if got != want {
						t.Fatalf("page %d part %s: pixel (%d, %d) is %v, want %v", i, part.Kind, x, y, got, want)
					}
				}
			}
		}
	})
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		mod func(*Config)
		msg string
	}{
		{func(c *Config) { c.ImageSize = 64 }, "image_size 64 cannot lay out 3 rows of 4 columns"},
		{func(c *Config) { c.Menu = "top" }, `menu "top": want any, none, left or right`},
		{func(c *Config) { c.MinRows, c.MaxRows = 3, 2 }, "want 1 <= min_rows <= max_rows"},
		{func(c *Config) { c.Pix2Code, c.Footer = true, "yes" }, "pix2code=true cannot have a menu or a footer"},
	}
	for _, tt := range tests {
		c := Pages{}.DefaultConfig().(*Config)
		tt.mod(c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("error %v, want %q", err, tt.msg)
		}
	}
}
