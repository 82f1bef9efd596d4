package webpages

import (
	"fmt"
	"strings"
)

// Our DSL names every element; a node's children follow in braces:
//
//	header{btn-active,btn-inactive} menu-left{item,item} container{row{column{small-title,text,btn-green}}} footer
//
// pix2code's DSL (Beltramelli 2017) says the same for the pages it can:
// the header's buttons, then the container's rows as top-level blocks,
// each column as single, double or quadruple after its row's count:
//
//	header {
//	btn-active, btn-inactive
//	}
//	row {
//	single {
//	small-title, text, btn-green
//	}
//	}

// dslName is an element's word in our DSL.
func dslName(e *Element) string {
	switch e.Class {
	case Menu:
		return "menu-" + e.Style
	case MenuItem:
		return "item"
	case Button:
		return "btn-" + e.Style
	case BigTitle:
		return "big-title"
	case SmallTitle:
		return "small-title"
	}
	return e.Kind
}

// PrintDSL writes the page in our DSL: one line, top-level parts
// separated by spaces.
func PrintDSL(page *Element) string {
	var b strings.Builder
	for i, part := range page.Children {
		if i > 0 {
			b.WriteByte(' ')
		}
		printNode(&b, part)
	}
	return b.String()
}

func printNode(b *strings.Builder, e *Element) {
	b.WriteString(dslName(e))
	if len(e.Children) == 0 {
		return
	}
	b.WriteByte('{')
	for i, c := range e.Children {
		if i > 0 {
			b.WriteByte(',')
		}
		printNode(b, c)
	}
	b.WriteByte('}')
}

// ParseError is a DSL error at a byte offset.
type ParseError struct {
	Pos int
	Msg string
}

func (e *ParseError) Error() string { return fmt.Sprintf("at byte %d: %s", e.Pos, e.Msg) }

type token struct {
	text string
	pos  int
}

func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\n' || c == '\t' || c == '\r':
			i++
		case c == '{' || c == '}' || c == ',':
			toks = append(toks, token{string(c), i})
			i++
		case c == '-' || (c >= 'a' && c <= 'z'):
			j := i
			for j < len(s) && (s[j] == '-' || (s[j] >= 'a' && s[j] <= 'z')) {
				j++
			}
			toks = append(toks, token{s[i:j], i})
			i = j
		default:
			return nil, &ParseError{i, fmt.Sprintf("unexpected %q: want a word, '{', '}' or ','", c)}
		}
	}
	return toks, nil
}

type dslParser struct {
	toks []token
	i    int
	end  int // the input's length, for errors at the end
}

func (p *dslParser) peek() *token {
	if p.i < len(p.toks) {
		return &p.toks[p.i]
	}
	return nil
}

func (p *dslParser) errf(format string, a ...any) error {
	pos := p.end
	if t := p.peek(); t != nil {
		pos = t.pos
	}
	return &ParseError{pos, fmt.Sprintf(format, a...)}
}

// dslElement maps a word of our DSL to a fresh element.
func dslElement(w string) (*Element, bool) {
	switch w {
	case "header", "container", "footer", "row", "column", "text", "image":
		for c := Header; c < numClasses; c++ {
			if c.String() == w {
				return newElement(c), true
			}
		}
	case "menu-left", "menu-right":
		e := newElement(Menu)
		e.Style = strings.TrimPrefix(w, "menu-")
		return e, true
	case "item":
		return newElement(MenuItem), true
	case "big-title":
		return newElement(BigTitle), true
	case "small-title":
		return newElement(SmallTitle), true
	}
	if st, ok := strings.CutPrefix(w, "btn-"); ok {
		for _, s := range buttonStyles {
			if s == st {
				e := newElement(Button)
				e.Style = s
				return e, true
			}
		}
	}
	return nil, false
}

// children lists which classes each class may hold: the grammar.
var children = map[Class][]Class{
	Background: {Header, Menu, Container, Footer},
	Header:     {Button},
	Menu:       {MenuItem},
	Container:  {Row},
	Row:        {Column},
	Column:     {BigTitle, SmallTitle, Text, Image, Button},
}

func (p *dslParser) node(parent Class) (*Element, error) {
	t := p.peek()
	if t == nil || t.text == "{" || t.text == "}" || t.text == "," {
		return nil, p.errf("want an element name")
	}
	e, ok := dslElement(t.text)
	if !ok {
		return nil, p.errf("unknown element %q", t.text)
	}
	if !containsClass(children[parent], e.Class) {
		return nil, p.errf("%s cannot hold %s", parentName(parent), t.text)
	}
	p.i++
	if t := p.peek(); t != nil && t.text == "{" {
		p.i++
		for {
			c, err := p.node(e.Class)
			if err != nil {
				return nil, err
			}
			e.Children = append(e.Children, c)
			t := p.peek()
			if t == nil {
				return nil, p.errf("unclosed '{' of %s", dslName(e))
			}
			p.i++
			if t.text == "}" {
				break
			}
			if t.text != "," {
				p.i--
				return nil, p.errf("want ',' or '}' after an element of %s", dslName(e))
			}
		}
	}
	if e.Class == Row {
		if e.Style = columnStyles[len(e.Children)]; e.Style == "" {
			return nil, &ParseError{t.pos, fmt.Sprintf("a row holds 1, 2 or 4 columns, not %d", len(e.Children))}
		}
	}
	return e, nil
}

func parentName(c Class) string {
	if c == Background {
		return "the page"
	}
	return c.String()
}

// ParseDSL reads a page in our DSL. Boxes and texts are empty; ids are
// numbered as the generator numbers them.
func ParseDSL(s string) (*Element, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &dslParser{toks: toks, end: len(s)}
	page := newElement(Background)
	for p.peek() != nil {
		e, err := p.node(Background)
		if err != nil {
			return nil, err
		}
		page.Children = append(page.Children, e)
	}
	if len(page.Children) == 0 {
		return nil, &ParseError{0, "empty page: want at least a header"}
	}
	number(page)
	return page, nil
}

// pix2codeColumns are the words pix2code uses for a row's columns.
var pix2codeColumns = map[string]int{"single": 1, "double": 2, "quadruple": 4}

// Expressible reports whether pix2code's DSL can say the page: a header
// and a container only, no images.
func Expressible(page *Element) bool {
	ok := true
	page.Walk(func(e *Element) {
		switch e.Class {
		case Menu, Footer, Image, MenuItem:
			ok = false
		case Header:
			for _, b := range e.Children {
				if b.Style != "active" && b.Style != "inactive" {
					ok = false
				}
			}
		}
	})
	return ok && page.find(Header) != nil
}

// PrintPix2Code writes the page in pix2code's DSL, or "" if it cannot.
func PrintPix2Code(page *Element) string {
	if !Expressible(page) {
		return ""
	}
	var lines []string
	leaves := func(els []*Element) string {
		ws := make([]string, len(els))
		for i, e := range els {
			ws[i] = dslName(e)
		}
		return strings.Join(ws, ", ")
	}
	for _, part := range page.Children {
		switch part.Class {
		case Header:
			lines = append(lines, "header {", leaves(part.Children), "}")
		case Container:
			for _, row := range part.Children {
				lines = append(lines, "row {")
				for _, col := range row.Children {
					lines = append(lines, row.Style+" {", leaves(col.Children), "}")
				}
				lines = append(lines, "}")
			}
		}
	}
	return strings.Join(lines, "\n")
}

// ParsePix2Code reads pix2code's DSL into a page tree (a header and a
// container of its rows). Whitespace is free; a row's columns must all
// have one width word, which must match their count.
func ParsePix2Code(s string) (*Element, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &dslParser{toks: toks, end: len(s)}
	page := newElement(Background)
	var container *Element
	expect := func(w string) error {
		t := p.peek()
		if t == nil || t.text != w {
			return p.errf("want %q", w)
		}
		p.i++
		return nil
	}
	list := func(parent Class) ([]*Element, error) {
		var out []*Element
		for {
			t := p.peek()
			if t == nil {
				return nil, p.errf("unclosed '{'")
			}
			e, ok := dslElement(t.text)
			if !ok || !containsClass(children[parent], e.Class) || (e.Class == Image) || (parent == Header) != (e.Style == "active" || e.Style == "inactive") {
				return nil, p.errf("%q cannot stand in a %s", t.text, map[Class]string{Header: "header", Column: "column"}[parent])
			}
			p.i++
			out = append(out, e)
			if t := p.peek(); t != nil && t.text == "," {
				p.i++
				continue
			}
			return out, expect("}")
		}
	}
	for p.peek() != nil {
		t := p.peek()
		switch t.text {
		case "header":
			if page.find(Header) != nil || container != nil {
				return nil, p.errf("the header must come once, first")
			}
			p.i++
			if err := expect("{"); err != nil {
				return nil, err
			}
			h := newElement(Header)
			if h.Children, err = list(Header); err != nil {
				return nil, err
			}
			page.Children = append(page.Children, h)
		case "row":
			rowPos := t.pos
			p.i++
			if err := expect("{"); err != nil {
				return nil, err
			}
			row := newElement(Row)
			for {
				t := p.peek()
				if t == nil {
					return nil, p.errf("unclosed row")
				}
				if t.text == "}" {
					p.i++
					break
				}
				n, ok := pix2codeColumns[t.text]
				if !ok {
					return nil, p.errf("want single, double, quadruple or '}' in a row, got %q", t.text)
				}
				if row.Style != "" && row.Style != t.text {
					return nil, p.errf("a row mixes %s and %s columns", row.Style, t.text)
				}
				row.Style = t.text
				p.i++
				if err := expect("{"); err != nil {
					return nil, err
				}
				col := newElement(Column)
				if col.Children, err = list(Column); err != nil {
					return nil, err
				}
				row.Children = append(row.Children, col)
				if len(row.Children) > n {
					return nil, p.errf("a %s row has more than %d columns", row.Style, n)
				}
			}
			if len(row.Children) == 0 {
				return nil, &ParseError{rowPos, "an empty row"}
			}
			if len(row.Children) != pix2codeColumns[row.Style] {
				return nil, &ParseError{rowPos, fmt.Sprintf("a %s row needs %d columns, has %d", row.Style, pix2codeColumns[row.Style], len(row.Children))}
			}
			if container == nil {
				container = newElement(Container)
				page.Children = append(page.Children, container)
			}
			container.Children = append(container.Children, row)
		default:
			return nil, p.errf("want header or row, got %q", t.text)
		}
	}
	if page.find(Header) == nil {
		return nil, &ParseError{len(s), "no header"}
	}
	number(page)
	return page, nil
}

// SameStructure reports whether two trees have the same elements (class
// and style) in the same order, ignoring boxes, texts and ids.
func SameStructure(a, b *Element) bool {
	if a.Class != b.Class || a.Style != b.Style || len(a.Children) != len(b.Children) {
		return false
	}
	for i := range a.Children {
		if !SameStructure(a.Children[i], b.Children[i]) {
			return false
		}
	}
	return true
}
