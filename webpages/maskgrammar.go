package webpages

import "sort"

// repair makes a tree decoded by containment obey the page grammar (see
// TreeFromClassMask), sets the styles a class mask can tell, sorts every
// element's children into reading order and numbers the tree.
func repair(page *Element) {
	var header, menu, container *Element
	var footers, loose []*Element
	for _, e := range page.Children {
		switch e.Class {
		case Header:
			header = mergeInto(header, e)
		case Menu:
			menu = mergeInto(menu, e)
		case Container:
			container = mergeInto(container, e)
		case Footer:
			footers = append(footers, e)
		default:
			loose = append(loose, e)
		}
	}
	// The top of the content: buttons above it belong to the header.
	contentTop := page.Box[3]
	for _, e := range append([]*Element{container}, loose...) {
		if e != nil && e.Class != Button && e.Class != MenuItem {
			contentTop = min(contentTop, e.Box[1])
		}
	}
	for _, e := range loose {
		switch {
		case e.Class == MenuItem:
			menu = adopt(menu, Menu, e)
		case e.Class == Button && e.Box[3] <= contentTop:
			header = adopt(header, Header, e)
		default:
			container = adopt(container, Container, e)
		}
	}
	var footer *Element
	for _, f := range footers {
		// A footer holds nothing: anything found inside it is noise.
		f.Children = nil
		footer = mergeInto(footer, f)
	}
	page.Children = page.Children[:0]
	for _, e := range []*Element{header, menu, container, footer} {
		if e != nil {
			page.Children = append(page.Children, e)
		}
	}
	if header != nil {
		header.Children = leavesAs(header.Children, Button)
	}
	if menu != nil {
		menu.Children = leavesAs(menu.Children, MenuItem)
		menu.Style = "left"
		if 2*(menu.Box[0]+menu.Box[2]) > page.Box[0]+page.Box[2] {
			menu.Style = "right"
		}
	}
	if container != nil {
		repairContainer(container)
	}
	page.Walk(func(e *Element) { e.Children = readingOrder(e.Children) })
	number(page)
}

// readingOrder sorts elements into lines of vertically overlapping boxes,
// top to bottom, and each line left to right: boxes found from noisy
// pixels may be a pixel off, so a strict top-then-left order could put a
// column before its left neighbour.
func readingOrder(els []*Element) []*Element {
	out := els[:0:0]
	for _, line := range groups(els, 1) {
		sort.SliceStable(line, func(i, j int) bool { return line[i].Box[0] < line[j].Box[0] })
		out = append(out, line...)
	}
	return out
}

// mergeInto merges e into into (nil: e is the first of its class): boxes
// joined, children gathered.
func mergeInto(into, e *Element) *Element {
	if into == nil {
		return e
	}
	into.Box = union(into.Box, e.Box)
	into.Children = append(into.Children, e.Children...)
	return into
}

// adopt adds e to parent, making a parent of class c around e if there is
// none, and grows the parent's box to hold e.
func adopt(parent *Element, c Class, e *Element) *Element {
	if parent == nil {
		parent = newElement(c)
		parent.Box = e.Box
	}
	parent.Box = union(parent.Box, e.Box)
	parent.Children = append(parent.Children, e)
	return parent
}

func union(a, b [4]int) [4]int {
	return [4]int{min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])}
}

// flatten replaces every element of els that is not a leaf class by its
// children, however deep, keeping the leaves in order.
func flatten(els []*Element) []*Element {
	var out []*Element
	for _, e := range els {
		if isLeaf(e.Class) {
			e.Children = nil
			out = append(out, e)
			continue
		}
		out = append(out, flatten(e.Children)...)
	}
	return out
}

func isLeaf(c Class) bool {
	switch c {
	case MenuItem, BigTitle, SmallTitle, Text, Image, Button:
		return true
	}
	return false
}

// leavesAs flattens els and gives every leaf class c: the header holds
// only buttons and the menu only items, so a leaf there is one of them
// whatever its pixels said.
func leavesAs(els []*Element, c Class) []*Element {
	out := flatten(els)
	for _, e := range out {
		if e.Class != c {
			box := e.Box
			*e = *newElement(c)
			e.Box = box
		}
	}
	return out
}

// repairContainer puts the container's loose content into rows, each
// row's loose content into columns, and splits merged columns.
func repairContainer(container *Element) {
	var rows, loose []*Element
	for _, e := range container.Children {
		if e.Class == Row {
			rows = append(rows, e)
			continue
		}
		if e.Class == Container {
			loose = append(loose, e.Children...) // a container in the container: keep its content
			continue
		}
		loose = append(loose, e)
	}
	rows = place(rows, loose, Row, 1)
	container.Children = rows
	for _, row := range rows {
		var cols, loose []*Element
		for _, e := range row.Children {
			switch e.Class {
			case Column:
				cols = append(cols, e)
			case Row, Container:
				loose = append(loose, e.Children...)
			default:
				loose = append(loose, e)
			}
		}
		cols = place(cols, loose, Column, 0)
		var split []*Element
		for _, col := range cols {
			col.Children = columnContent(flatten(col.Children))
			split = append(split, splitColumn(col)...)
		}
		row.Children = split
		row.Style = columnStyles[len(split)]
	}
}

// place puts each loose element into the frame of class c among frames
// its extent along axis (0 across, 1 down) overlaps most, and groups the
// rest by overlapping extents into new frames of class c. It returns the
// frames.
func place(frames, loose []*Element, c Class, axis int) []*Element {
	var orphans []*Element
	for _, e := range loose {
		var best *Element
		bestOverlap := 0
		for _, f := range frames {
			if o := overlap(f.Box, e.Box, axis); o > bestOverlap {
				best, bestOverlap = f, o
			}
		}
		if best == nil {
			orphans = append(orphans, e)
			continue
		}
		best.Box = union(best.Box, e.Box)
		best.Children = append(best.Children, e)
	}
	for _, group := range groups(orphans, axis) {
		var f *Element
		for _, e := range group {
			f = adopt(f, c, e)
		}
		frames = append(frames, f)
	}
	return frames
}

// overlap is the length of the overlap of a and b along axis.
func overlap(a, b [4]int, axis int) int {
	return max(0, min(a[axis+2], b[axis+2])-max(a[axis], b[axis]))
}

// groups clusters els into runs whose extents along axis overlap,
// transitively.
func groups(els []*Element, axis int) [][]*Element {
	sorted := append([]*Element(nil), els...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Box[axis] < sorted[j].Box[axis] })
	var out [][]*Element
	end := 0
	for _, e := range sorted {
		if len(out) > 0 && e.Box[axis] < end {
			out[len(out)-1] = append(out[len(out)-1], e)
			end = max(end, e.Box[axis+2])
			continue
		}
		out = append(out, []*Element{e})
		end = e.Box[axis+2]
	}
	return out
}

// columnContent drops what a column cannot hold: menu items.
func columnContent(els []*Element) []*Element {
	out := els[:0]
	for _, e := range els {
		if containsClass(children[Column], e.Class) {
			out = append(out, e)
		}
	}
	return out
}

// splitColumn splits a column whose content stands side by side: only
// buttons share a column's width, so two or more horizontal runs of other
// content are two or more columns merged. Buttons join the run they
// overlap most, or the nearest.
func splitColumn(col *Element) []*Element {
	var others, buttons []*Element
	for _, e := range col.Children {
		if e.Class == Button {
			buttons = append(buttons, e)
		} else {
			others = append(others, e)
		}
	}
	runs := groups(others, 0)
	if len(runs) < 2 {
		return []*Element{col}
	}
	cols := make([]*Element, len(runs))
	for i, run := range runs {
		for _, e := range run {
			cols[i] = adopt(cols[i], Column, e)
		}
	}
	for _, b := range buttons {
		best, bestScore := 0, -1<<62
		for i, c := range cols {
			// Overlap counts; without one, the nearer the better.
			score := overlap(c.Box, b.Box, 0)
			if score == 0 {
				score = -min(abs(b.Box[0]-c.Box[2]), abs(c.Box[0]-b.Box[2]))
			}
			if score > bestScore {
				best, bestScore = i, score
			}
		}
		cols[best].Box = union(cols[best].Box, b.Box)
		cols[best].Children = append(cols[best].Children, b)
	}
	// Each part keeps the merged column's height.
	for _, c := range cols {
		c.Box[1], c.Box[3] = col.Box[1], col.Box[3]
	}
	return cols
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
