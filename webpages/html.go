package webpages

import (
	"fmt"
	"html"
	"image/color"
	"strconv"
)

// HTML writes the page as one self-contained HTML file that lays out like
// the screenshot: every element is a div placed at its box (absolute
// positions relative to its parent), filled and lettered as drawn, and
// carries data-id (its id) and data-class. A browser's
// getBoundingClientRect of each div gives the element's box.
func HTML(page *Element) []byte {
	w, h := page.Box[2], page.Box[3]
	b := fmt.Appendf(nil, `<!DOCTYPE html>
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
		b = appendDiv(b, c, page.Box, 0)
	}
	return append(b, "</body></html>\n"...)
}

// appendDiv appends e's div, and its children's, to dst, indented by
// depth: byte for byte what fmt wrote before (TestHTMLBytes holds them
// equal), without formatting through reflection.
func appendDiv(dst []byte, e *Element, parent [4]int, depth int) []byte {
	x, y := e.Box[0]-parent[0], e.Box[1]-parent[1]
	w, h := e.Box[2]-e.Box[0], e.Box[3]-e.Box[1]
	dst = appendIndent(dst, depth)
	dst = append(dst, `<div data-id="`...)
	dst = strconv.AppendInt(dst, int64(e.ID), 10)
	dst = append(dst, `" data-class="`...)
	dst = append(dst, e.Kind...)
	dst = append(dst, '"')
	if e.Style != "" {
		dst = append(dst, ` data-style="`...)
		dst = append(dst, e.Style...)
		dst = append(dst, '"')
	}
	dst = append(dst, ` class="`...)
	dst = append(dst, e.Kind...)
	dst = append(dst, `" style="left:`...)
	dst = strconv.AppendInt(dst, int64(x), 10)
	dst = append(dst, "px;top:"...)
	dst = strconv.AppendInt(dst, int64(y), 10)
	dst = append(dst, "px;width:"...)
	dst = strconv.AppendInt(dst, int64(w), 10)
	dst = append(dst, "px;height:"...)
	dst = strconv.AppendInt(dst, int64(h), 10)
	dst = append(dst, "px"...)
	if e.Class == Button {
		dst = appendBackground(dst, buttonFill[e.Style])
	} else if c, ok := fills[e.Class]; ok {
		dst = appendBackground(dst, c)
	}
	switch e.Class {
	case BigTitle, SmallTitle, Button, MenuItem, Footer:
		dst = append(dst, ";font-size:"...)
		dst = strconv.AppendInt(dst, int64(max(6, h*6/10)), 10)
		dst = append(dst, "px;padding-top:"...)
		dst = strconv.AppendInt(dst, int64(max(0, h*2/10)), 10)
		dst = append(dst, "px"...)
	case Text:
		dst = append(dst, ";font-size:"...)
		dst = strconv.AppendInt(dst, int64(min(max(7, h/5), 11)), 10)
		dst = append(dst, "px"...)
	}
	dst = append(dst, `">`...)
	if e.Text != "" {
		dst = append(dst, html.EscapeString(e.Text)...)
	}
	if len(e.Children) > 0 {
		dst = append(dst, '\n')
		for _, c := range e.Children {
			dst = appendDiv(dst, c, e.Box, depth+1)
		}
		dst = appendIndent(dst, depth)
	}
	return append(dst, "</div>\n"...)
}

func appendIndent(dst []byte, depth int) []byte {
	for range depth {
		dst = append(dst, "  "...)
	}
	return dst
}

// appendBackground appends ";background:#rrggbb".
func appendBackground(dst []byte, c color.RGBA) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, ";background:#"...)
	return append(dst, hex[c.R>>4], hex[c.R&15], hex[c.G>>4], hex[c.G&15], hex[c.B>>4], hex[c.B&15])
}
