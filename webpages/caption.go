package webpages

import (
	"fmt"
	"strings"
)

// Caption describes the page's structure in words, as the research notes
// do: "header with 3 buttons, a left menu with 4 items and a container of
// 2 rows (double, single) with 1 title, 2 texts and 3 buttons; a footer".
func Caption(page *Element) string {
	var parts []string
	var container, menu, footer *Element
	for _, p := range page.Children {
		switch p.Class {
		case Header:
			parts = append(parts, "header with "+count(len(p.Children), "button"))
		case Menu:
			menu = p
		case Container:
			container = p
		case Footer:
			footer = p
		}
	}
	if menu != nil {
		parts = append(parts, fmt.Sprintf("a %s menu with %s", menu.Style, count(len(menu.Children), "item")))
	}
	if container != nil {
		var styles []string
		n := map[Class]int{}
		container.Walk(func(e *Element) { n[e.Class]++ })
		for _, r := range container.Children {
			styles = append(styles, r.Style)
		}
		var holds []string
		for _, c := range []struct {
			class Class
			word  string
		}{{BigTitle, "big title"}, {SmallTitle, "small title"}, {Text, "text"}, {Image, "image"}, {Button, "button"}} {
			if n[c.class] > 0 {
				holds = append(holds, count(n[c.class], c.word))
			}
		}
		parts = append(parts, fmt.Sprintf("a container of %s (%s) with %s", count(len(container.Children), "row"), strings.Join(styles, ", "), list(holds)))
	}
	s := list(parts)
	if footer != nil {
		s += "; a footer"
	}
	return s
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// list joins "a", "a and b", "a, b and c".
func list(xs []string) string {
	switch len(xs) {
	case 0:
		return "nothing"
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}
