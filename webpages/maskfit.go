package webpages

import (
	"fmt"
	"image"
)

// FitTree reads a (possibly predicted, noisy) class mask by analysis by
// synthesis: of all the pages cfg's grammar can draw, it returns the one
// whose class mask, laid out and painted as the renderer paints it,
// agrees with class on the most pixels (classes that look alike, such
// as two frames, counting half: see agree). A page's layout is a function of
// its tree (the header's button count, the menu's side and item count,
// the footer, the rows, each row's column count and each column's
// content pattern), so the search is over those choices only, and every
// element comes out with the box the renderer would give it: a frame one
// pixel thick or a boundary a pixel off cannot break the tree, and each
// element's class is the one most of its pixels vote for. The agreement
// of a painted tree is a sum over its elements' own pixels, so each
// column's pattern, each row's column count and the rows are chosen
// independently given their frame's box, and the search costs a few
// thousand box sums a page (prefix sums per class).
//
// The tree has its classes, boxes, menu side and row styles; button
// styles and texts are not in a class mask (RestoreStyles reads button
// styles from the screenshot); ids are numbered depth first. Ties go to
// the choice found first: menus none, left, right; footer absent, then
// present; fewer elements first; patterns in the grammar's order.
//
// Unlike TreeFromClassMask it needs the config the page was drawn with,
// and cannot return a page that config could not draw. It returns an
// error if cfg is not valid (Config.Validate), if the mask is not
// ImageSize×ImageSize, or for the mask errors RegionsFromClassMask
// reports (nil, short pixel slice, a pixel past the last class id).
func FitTree(class *image.Gray, cfg Config) (*Element, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("webpages: FitTree: %w", err)
	}
	m, w, h, err := readClassMask(class)
	if err != nil {
		return nil, err
	}
	if w != cfg.ImageSize || h != cfg.ImageSize {
		return nil, fmt.Errorf("webpages: FitTree: the mask is %d×%d, the config draws %d×%d pages", w, h, cfg.ImageSize, cfg.ImageSize)
	}
	f := newFitter(m, w, h, cfg.resolved())
	return f.page(), nil
}

// fitter holds one mask's per-class prefix sums and the search's
// choices.
type fitter struct {
	w, h int
	cfg  Config
	g    geometry
	// sums[c][y*(w+1)+x] counts the pixels of class c above and left of
	// (x, y); sums[framePlane] and sums[blankPlane] those of the classes
	// they name.
	sums     [blankPlane + 1][]int32
	patterns [][]Class
}

func newFitter(m []Class, w, h int, cfg Config) *fitter {
	f := &fitter{w: w, h: h, cfg: cfg, g: newGeometry(w, h)}
	W := w + 1
	for plane := range f.sums {
		var in [numClasses]int32
		for k := range numClasses {
			switch {
			case int(k) == plane,
				plane == int(framePlane) && !isLeaf(k),
				plane == int(blankPlane) && (!isLeaf(k) || k == BigTitle || k == SmallTitle || k == Text):
				in[k] = 1
			}
		}
		s := make([]int32, W*(h+1))
		for y := range h {
			var rowSum int32
			above, cur := s[y*W:(y+1)*W], s[(y+1)*W:(y+2)*W]
			for x, k := range m[y*w : (y+1)*w] {
				rowSum += in[k]
				cur[x+1] = above[x+1] + rowSum
			}
		}
		f.sums[plane] = s
	}
	for _, pt := range patterns {
		if !cfg.Pix2Code || !containsClass(pt, Image) {
			f.patterns = append(f.patterns, pt)
		}
	}
	return f
}

// count is the number of pixels of class c in box b (clipped to the
// mask), or of the classes of plane c past the last class.
func (f *fitter) count(b [4]int, c Class) int {
	x0, y0, x1, y1 := max(b[0], 0), max(b[1], 0), min(b[2], f.w), min(b[3], f.h)
	if x1 <= x0 || y1 <= y0 {
		return 0
	}
	s, W := f.sums[c], f.w+1
	return int(s[y1*W+x1] - s[y0*W+x1] - s[y1*W+x0] + s[y0*W+x0])
}

// agree scores e's subtree, painted parents first, against the mask: 2
// for every pixel where it has the mask's class, 1 where the two classes
// differ but look alike, 0 elsewhere; and 2 for a title or text where the
// mask says column. Two frames (the page background, header, menu,
// container, footer, a row or a column) look alike: a thin frame read as
// its neighbour, or eroded to the background, still tells content apart,
// so it still votes for the layout that has a frame there rather than
// content. Titles and text have no fill: away from their glyphs they are
// the column's white, which a net that sees a few dozen pixels around a
// pixel cannot tell from the column (the blank end of a text box), so a
// column read there is no evidence against them; a title or text read in
// a column is weaker evidence against the column (1).
func (f *fitter) agree(e *Element) int {
	n := f.own(e.Box, e.Class)
	for _, ch := range e.Children {
		n += f.agree(ch) - f.own(ch.Box, e.Class)
	}
	return n
}

// The extra planes of fitter.sums.
const (
	framePlane = numClasses     // any frame class
	blankPlane = numClasses + 1 // any frame class, title or text
)

// own scores box b painted with class c alone.
func (f *fitter) own(b [4]int, c Class) int {
	same := f.count(b, c)
	switch c {
	case BigTitle, SmallTitle, Text:
		return 2 * (same + f.count(b, Column))
	case Column:
		return same + f.count(b, blankPlane)
	}
	if isLeaf(c) {
		return 2 * same
	}
	return same + f.count(b, framePlane)
}

// page searches the top-level choices and returns the best page.
func (f *fitter) page() *Element {
	var sides []string
	switch f.cfg.Menu {
	case "none":
		sides = []string{""}
	case "left", "right":
		sides = []string{f.cfg.Menu}
	default:
		sides = []string{"", "left", "right"}
	}
	var footers []bool
	switch f.cfg.Footer {
	case "yes":
		footers = []bool{true}
	case "no":
		footers = []bool{false}
	default:
		footers = []bool{false, true}
	}
	var best *Element
	bestScore := -1
	for _, side := range sides {
		for _, footer := range footers {
			p := f.skeleton(side, footer)
			if p == nil {
				continue
			}
			for _, part := range p.Children {
				switch part.Class {
				case Header:
					part.Children = f.run(part, Button, across, 1, f.cfg.MaxHeaderButtons, f.g.maxHeaderBtnW)
				case Menu:
					part.Children = f.run(part, MenuItem, down, 2, f.cfg.MaxMenuItems, f.g.maxMenuItemH)
				case Container:
					part.Children = f.rows(part)
				}
			}
			if s := f.agree(p); s > bestScore {
				best, bestScore = p, s
			}
		}
	}
	if best == nil {
		// Validate lays out the most crowded page, so every skeleton
		// fits; an empty page keeps the promise of a tree regardless.
		best = newElement(Background)
		best.Box = [4]int{0, 0, f.w, f.h}
	}
	number(best)
	return best
}

// skeleton lays out the page's parts without their content: the header,
// the menu on side ("" for none), the container and, if footer, the
// footer, in the renderer's order. It returns nil if they do not fit.
func (f *fitter) skeleton(side string, footer bool) *Element {
	page := newElement(Background)
	page.Children = append(page.Children, newElement(Header))
	container := newElement(Container)
	var menu *Element
	if side != "" {
		menu = newElement(Menu)
		menu.Style = side
	}
	switch side {
	case "left":
		page.Children = append(page.Children, menu, container)
	case "right":
		page.Children = append(page.Children, container, menu)
	default:
		page.Children = append(page.Children, container)
	}
	if footer {
		page.Children = append(page.Children, newElement(Footer))
	}
	if err := layout(page, f.w, f.h); err != nil {
		return nil
	}
	return page
}

// run returns the best run of lo to hi leaves of class c shared along
// axis inside frame, as the layout shares them.
func (f *fitter) run(frame *Element, c Class, axis, lo, hi, maxExtent int) []*Element {
	var best []*Element
	bestScore := -1
	for n := lo; n <= hi; n++ {
		els := make([]*Element, n)
		for i := range els {
			els[i] = newElement(c)
		}
		f.g.share(els, inset(frame.Box, f.g.pad), axis, maxExtent)
		frame.Children = els
		if s := f.agree(frame); s > bestScore {
			best, bestScore = els, s
		}
	}
	return best
}

// rows returns the container's best rows: their number, and in each its
// best columns.
func (f *fitter) rows(container *Element) []*Element {
	var best []*Element
	bestScore := -1
	for n := f.cfg.MinRows; n <= f.cfg.MaxRows; n++ {
		rows := make([]*Element, n)
		for i := range rows {
			rows[i] = newElement(Row)
		}
		f.g.share(rows, inset(container.Box, f.g.pad), down, 0)
		for _, r := range rows {
			r.Children = f.columns(r)
			r.Style = columnStyles[len(r.Children)]
		}
		container.Children = rows
		if s := f.agree(container); s > bestScore {
			best, bestScore = rows, s
		}
	}
	return best
}

// columns returns a row's best columns: their number, and in each its
// best content pattern.
func (f *fitter) columns(row *Element) []*Element {
	var best []*Element
	bestScore := -1
	for _, n := range columnCounts {
		cols := make([]*Element, n)
		for i := range cols {
			cols[i] = newElement(Column)
		}
		f.g.share(cols, inset(row.Box, f.g.pad), across, 0)
		for _, col := range cols {
			col.Children = f.content(col)
		}
		row.Children = cols
		if s := f.agree(row); s > bestScore {
			best, bestScore = cols, s
		}
	}
	return best
}

// content returns a column's best content: one of the grammar's
// patterns, laid out as the renderer lays it out.
func (f *fitter) content(col *Element) []*Element {
	var best []*Element
	bestScore := -1
	for _, pt := range f.patterns {
		els := make([]*Element, len(pt))
		for i, c := range pt {
			els[i] = newElement(c)
		}
		col.Children = els
		f.g.column(col)
		if s := f.agree(col); s > bestScore {
			best, bestScore = els, s
		}
	}
	return best
}
