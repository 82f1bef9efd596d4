package webpages

import (
	"bytes"
	"fmt"
	"html"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
)

// TestHTMLBytes holds HTML equal, byte for byte, to the fmt-based writer
// it replaced (htmlRef, kept below), on pages of every config the tests
// use: the datasets' bytes were made by it.
func TestHTMLBytes(t *testing.T) {
	for _, size := range []int{256, 128, 512} {
		cfg := Pages{}.DefaultConfig().(*Config)
		cfg.ImageSize = size
		s, err := Pages{}.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		p := s.(*plan)
		for i := range 200 {
			rng := generators.NewSampleRand(9, "train", i)
			page := p.sampleTree(rng)
			if err := layout(page, p.cfg.ImageSize, p.cfg.ImageSize); err != nil {
				t.Fatal(err)
			}
			if got, want := HTML(page), htmlRef(page); !bytes.Equal(got, want) {
				t.Fatalf("image size %d, page %d:\n got %s\nwant %s", p.cfg.ImageSize, i, got, want)
			}
		}
	}
}

// htmlRef is HTML as it was written with fmt.
func htmlRef(page *Element) []byte {
	var b strings.Builder
	w, h := page.Box[2], page.Box[3]
	fmt.Fprintf(&b, `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>page</title><style>
html,body{margin:0;padding:0}
body{position:relative;width:%dpx;height:%dpx;background:#fff;overflow:hidden;font-family:"Go","DejaVu Sans",sans-serif}
div{position:absolute;box-sizing:border-box;overflow:hidden;white-space:nowrap;line-height:1}
.text{white-space:normal;color:#636e72}
.button,.footer{color:#f5f5f5;text-align:center}
.big_title,.small_title,.menu_item{color:#212121}
</style></head><body>
`, w, h)
	for _, c := range page.Children {
		writeDivRef(&b, c, page.Box, 0)
	}
	b.WriteString("</body></html>\n")
	return []byte(b.String())
}

func writeDivRef(b *strings.Builder, e *Element, parent [4]int, depth int) {
	x, y := e.Box[0]-parent[0], e.Box[1]-parent[1]
	w, h := e.Box[2]-e.Box[0], e.Box[3]-e.Box[1]
	style := fmt.Sprintf("left:%dpx;top:%dpx;width:%dpx;height:%dpx", x, y, w, h)
	if e.Class == Button {
		c := buttonFill[e.Style]
		style += fmt.Sprintf(";background:#%02x%02x%02x", c.R, c.G, c.B)
	} else if c, ok := fills[e.Class]; ok {
		style += fmt.Sprintf(";background:#%02x%02x%02x", c.R, c.G, c.B)
	}
	switch e.Class {
	case BigTitle, SmallTitle, Button, MenuItem, Footer:
		style += fmt.Sprintf(";font-size:%dpx;padding-top:%dpx", max(6, h*6/10), max(0, h*2/10))
	case Text:
		style += fmt.Sprintf(";font-size:%dpx", min(max(7, h/5), 11))
	}
	indent := strings.Repeat("  ", depth)
	fmt.Fprintf(b, `%s<div data-id="%d" data-class="%s"`, indent, e.ID, e.Kind)
	if e.Style != "" {
		fmt.Fprintf(b, ` data-style="%s"`, e.Style)
	}
	fmt.Fprintf(b, ` class="%s" style="%s">`, e.Kind, style)
	if e.Text != "" {
		b.WriteString(html.EscapeString(e.Text))
	}
	if len(e.Children) > 0 {
		b.WriteByte('\n')
		for _, c := range e.Children {
			writeDivRef(b, c, e.Box, depth+1)
		}
		b.WriteString(indent)
	}
	b.WriteString("</div>\n")
}
