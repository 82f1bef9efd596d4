package webpages

import "fmt"

// Metrics of the layout, as fractions of the page size or in pixels.
const (
	minSide = 4 // the smallest box side any element may get
)

// geometry is the layout's spacing for a page of w×h pixels.
type geometry struct {
	w, h          int
	margin, pad   int
	headerH       int
	footerH       int
	menuW         int
	maxMenuItemH  int
	maxHeaderBtnW int
}

func newGeometry(w, h int) geometry {
	return geometry{w: w, h: h, margin: max(2, w/64), pad: max(1, w/85),
		headerH: h * 12 / 100, footerH: h * 8 / 100, menuW: w * 22 / 100,
		maxMenuItemH: max(minSide, h/11), maxHeaderBtnW: w / 5}
}

// layout computes every element's box from the tree: the header across the
// top, the footer across the bottom, the menu down one side between them,
// the container filling the rest; rows share the container's height,
// columns their row's width, and a column's children its height (a run of
// buttons shares one strip, side by side). It fails if any box would be
// smaller than minSide pixels on a side.
func layout(page *Element, w, h int) error {
	g := newGeometry(w, h)
	page.Box = [4]int{0, 0, w, h}
	top, bottom := g.margin, h-g.margin
	left, right := g.margin, w-g.margin
	var menu, container *Element
	for _, part := range page.Children {
		switch part.Class {
		case Header:
			part.Box = [4]int{left, top, right, top + g.headerH}
		case Footer:
			part.Box = [4]int{left, bottom - g.footerH, right, bottom}
		case Menu:
			menu = part
		case Container:
			container = part
		}
	}
	y0, y1 := top+g.headerH+g.margin, bottom
	if page.find(Footer) != nil {
		y1 = bottom - g.footerH - g.margin
	}
	cx0, cx1 := left, right
	if menu != nil {
		if menu.Style == "left" {
			menu.Box = [4]int{left, y0, left + g.menuW, y1}
			cx0 = left + g.menuW + g.margin
		} else {
			menu.Box = [4]int{right - g.menuW, y0, right, y1}
			cx1 = right - g.menuW - g.margin
		}
	}
	if container != nil {
		container.Box = [4]int{cx0, y0, cx1, y1}
	}
	for _, part := range page.Children {
		switch part.Class {
		case Header:
			g.share(part.Children, inset(part.Box, g.pad), across, g.maxHeaderBtnW)
		case Menu:
			g.share(part.Children, inset(part.Box, g.pad), down, g.maxMenuItemH)
		case Container:
			g.share(part.Children, inset(part.Box, g.pad), down, 0)
			for _, row := range part.Children {
				g.share(row.Children, inset(row.Box, g.pad), across, 0)
				for _, col := range row.Children {
					g.column(col)
				}
			}
		}
	}
	var bad *Element
	page.Walk(func(e *Element) {
		if bad == nil && (e.Box[2]-e.Box[0] < minSide || e.Box[3]-e.Box[1] < minSide) {
			bad = e
		}
	})
	if bad != nil {
		return fmt.Errorf("a %s would be %d×%d pixels, less than %d on a side", bad.Kind, bad.Box[2]-bad.Box[0], bad.Box[3]-bad.Box[1], minSide)
	}
	return nil
}

func inset(b [4]int, d int) [4]int { return [4]int{b[0] + d, b[1] + d, b[2] - d, b[3] - d} }

// Axes along which share lays elements out.
const (
	across = 0 // left to right
	down   = 1 // top to bottom
)

// share divides box along axis among els, with the padding between them;
// maxExtent (when positive) caps each one's width (across) or height
// (down). The other axis spans the box.
func (g geometry) share(els []*Element, box [4]int, axis, maxExtent int) {
	n := len(els)
	if n == 0 {
		return
	}
	each := (box[axis+2] - box[axis] - g.pad*(n-1)) / n
	if maxExtent > 0 {
		each = min(each, maxExtent)
	}
	for i, e := range els {
		e.Box = box
		e.Box[axis] = box[axis] + i*(each+g.pad)
		e.Box[axis+2] = e.Box[axis] + each
	}
}

// column stacks a column's children from the top: titles and button
// strips (a run of buttons side by side) get a fixed height, text and
// images share what is left; if the fixed heights do not fit, every slot
// shrinks in proportion.
func (g geometry) column(col *Element) {
	box := inset(col.Box, g.pad)
	var slots [][]*Element
	for i, e := range col.Children {
		if e.Class == Button && i > 0 && col.Children[i-1].Class == Button {
			slots[len(slots)-1] = append(slots[len(slots)-1], e)
			continue
		}
		slots = append(slots, []*Element{e})
	}
	avail := box[3] - box[1] - g.pad*(len(slots)-1)
	heights := make([]int, len(slots))
	fixed, flexible := 0, 0
	for i, s := range slots {
		switch s[0].Class {
		case BigTitle:
			heights[i] = g.h * 9 / 100
		case SmallTitle:
			heights[i] = g.h * 6 / 100
		case Button:
			heights[i] = g.h * 8 / 100
		default:
			flexible++
			continue
		}
		fixed += heights[i]
	}
	// Text and images keep at least a quarter of the column between them.
	budget := avail
	if flexible > 0 {
		budget = avail - max(avail/4, flexible*minSide)
	}
	if fixed > budget {
		for i := range heights {
			heights[i] = heights[i] * budget / fixed
		}
		fixed = 0
		for _, h := range heights {
			fixed += h
		}
	}
	if flexible > 0 {
		for i, s := range slots {
			if s[0].Class == Text || s[0].Class == Image {
				heights[i] = (avail - fixed) / flexible
			}
		}
	}
	y := box[1]
	for i, s := range slots {
		slot := [4]int{box[0], y, box[2], y + heights[i]}
		if len(s) == 1 && s[0].Class != Button {
			s[0].Box = slot
		} else {
			g.share(s, slot, across, 0)
		}
		y += heights[i] + g.pad
	}
}
