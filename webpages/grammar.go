package webpages

import (
	"math/rand/v2"
	"strings"
)

// lexicon is the fixed word list texts are drawn from.
var lexicon = strings.Fields(`about account add alpha analytics archive article beta blog board book build
button careers cart chart city cloud code contact content core dashboard data delta design docs download
edit email events explore feed file find forum gallery garden guide help home hotel image index insight
journal lab launch learn library link live login map market media menu music news note offer order page
panel photo plan play post press price pricing profile project query report review river search security
service settings share shop sign space sport store stream studio support team terms theme tools topic
travel user video view vision weather wiki work world`)

func words(rng *rand.Rand, n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = lexicon[rng.IntN(len(lexicon))]
	}
	return strings.Join(ws, " ")
}

// column content patterns; pix2code's columns are a small title, a text
// and a button, and our grammar adds the rest.
var patterns = [][]Class{
	{SmallTitle, Text, Button},
	{SmallTitle, Text},
	{BigTitle, Text},
	{Text, Button},
	{Button, Button},
	{Button, Button, Button},
	{BigTitle, Button, Button},
	{Image, SmallTitle},
	{SmallTitle, Image, Text},
	{Image},
}

func (p *plan) pattern(rng *rand.Rand) []Class {
	for {
		pt := patterns[rng.IntN(len(patterns))]
		if !p.cfg.Pix2Code || !containsClass(pt, Image) {
			return pt
		}
	}
}

func containsClass(cs []Class, c Class) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

var columnCounts = []int{1, 2, 4}
var columnStyles = map[int]string{1: "single", 2: "double", 4: "quadruple"}

// sampleTree draws a page from the grammar, children in reading order.
func (p *plan) sampleTree(rng *rand.Rand) *Element {
	c := p.cfg
	page := newElement(Background)
	header := newElement(Header)
	for i := range 1 + rng.IntN(c.MaxHeaderButtons) {
		b := newElement(Button)
		b.Style, b.Text = "inactive", words(rng, 1)
		if i == 0 {
			b.Style = "active"
		}
		header.Children = append(header.Children, b)
	}
	page.Children = append(page.Children, header)
	side := p.menuSide(rng)
	var menu *Element
	if side != "" {
		menu = newElement(Menu)
		menu.Style = side
		for range 2 + rng.IntN(c.MaxMenuItems-1) {
			it := newElement(MenuItem)
			it.Text = words(rng, 1)
			menu.Children = append(menu.Children, it)
		}
	}
	container := newElement(Container)
	for range c.MinRows + rng.IntN(c.MaxRows-c.MinRows+1) {
		row := newElement(Row)
		n := columnCounts[rng.IntN(len(columnCounts))]
		row.Style = columnStyles[n]
		for range n {
			col := newElement(Column)
			for _, cl := range p.pattern(rng) {
				el := newElement(cl)
				switch cl {
				case BigTitle:
					el.Text = words(rng, 1+rng.IntN(2))
				case SmallTitle:
					el.Text = words(rng, 1+rng.IntN(3))
				case Text:
					el.Text = words(rng, 6+rng.IntN(12))
				case Button:
					el.Style = buttonStyles[2+rng.IntN(3)]
					el.Text = words(rng, 1)
				}
				col.Children = append(col.Children, el)
			}
			row.Children = append(row.Children, col)
		}
		container.Children = append(container.Children, row)
	}
	if side == "left" {
		page.Children = append(page.Children, menu, container)
	} else if side == "right" {
		page.Children = append(page.Children, container, menu)
	} else {
		page.Children = append(page.Children, container)
	}
	if p.footer(rng) {
		f := newElement(Footer)
		f.Text = words(rng, 3)
		page.Children = append(page.Children, f)
	}
	number(page)
	return page
}

func (p *plan) menuSide(rng *rand.Rand) string {
	switch p.cfg.Menu {
	case "left", "right":
		return p.cfg.Menu
	case "none":
		return ""
	}
	return []string{"", "left", "right"}[rng.IntN(3)]
}

func (p *plan) footer(rng *rand.Rand) bool {
	switch p.cfg.Footer {
	case "yes":
		return true
	case "no":
		return false
	}
	return rng.IntN(2) == 0
}
