package webpages

import (
	"errors"
	"fmt"
	"image"
	"sort"
)

// MaskOptions tunes reading a class mask; the zero value means the
// defaults.
type MaskOptions struct {
	// MinArea is the size in pixels below which a connected piece of one
	// class is a speck: it is repainted with the class around it. Zero or
	// less means max(6, w·h/8192) for a w×h mask: 6 at 128×128, 8 at
	// 256×256; the smallest element the generator draws is 4×4 pixels.
	MinArea int
	// Tol is the containment tolerance in pixels for DecodeTree. Zero or
	// less means 2.
	Tol int
}

func (o MaskOptions) resolved(w, h int) MaskOptions {
	if o.MinArea <= 0 {
		o.MinArea = max(6, w*h/8192)
	}
	if o.Tol <= 0 {
		o.Tol = 2
	}
	return o
}

// closure lists, for each class, the classes an element of it may cover
// on the page: itself and every class the grammar lets it hold, however
// deep. A frame's extent is the extent of its closure's pixels, so a frame
// whose own thin border is broken or gone is still found from its content.
var closure = [numClasses][]Class{
	Header:     {Header, Button},
	Menu:       {Menu, MenuItem},
	MenuItem:   {MenuItem},
	Container:  {Container, Row, Column, BigTitle, SmallTitle, Text, Image, Button},
	Footer:     {Footer},
	Row:        {Row, Column, BigTitle, SmallTitle, Text, Image, Button},
	Column:     {Column, BigTitle, SmallTitle, Text, Image, Button},
	BigTitle:   {BigTitle},
	SmallTitle: {SmallTitle},
	Text:       {Text},
	Image:      {Image},
	Button:     {Button},
}

// RegionsFromClassMask finds the regions of a (possibly predicted, noisy)
// class mask. First every 4-connected piece of one class smaller than
// opt.MinArea (a speck: a stray pixel, salt noise, a hole) is repainted
// with the class that borders it most (the lower class id on a tie, which
// keeps a one-pixel line between two pieces of a frame). Then each class
// gives one region per connected component of its closure — the pixels of
// its own class and of every class it may hold — so a header, a menu, the
// container, a row or a column is found from its content even where its
// own border is thin or broken. Components are taken on the mask's 3×3
// interior (a pixel whose eight neighbours are all in the set), so a
// one-pixel bridge never joins two siblings and a one-pixel spur never
// widens a box; each box is that interior's bounding box grown by a
// pixel. A frame's component must hold at least MinArea pixels of its own
// class, or it is some other element's content.
//
// Boxes are in the mask's own coordinates: the pixel at class.Rect.Min is
// (0, 0). Regions come ordered by class, then top to bottom, left to right.
// It returns an error, and no regions, if the mask is nil, if its pixel
// slice is too short for its bounds and stride, or if a pixel is past the
// last class id (12).
func RegionsFromClassMask(class *image.Gray, opt MaskOptions) ([]Region, error) {
	m, w, h, err := readClassMask(class)
	if err != nil {
		return nil, err
	}
	opt = opt.resolved(w, h)
	s := newMaskScratch(w, h)
	// Single pixels first: a line cut by two stray pixels into a short
	// piece is whole again before pieces that short are judged.
	s.despeckle(m, 2)
	s.despeckle(m, opt.MinArea)
	var regions []Region
	for c := Header; c < numClasses; c++ {
		first := len(regions)
		regions = s.regions(m, c, opt.MinArea, regions)
		if isFrame(c) {
			// Pieces of a frame's own pixels stand in where its content
			// did not find it; where it did, the content is the surer
			// guide (a stray pixel can join two rows' borders, not their
			// interiors).
			found := len(regions)
			regions = s.ownPieces(m, c, opt.MinArea, regions)
			kept := regions[:found]
			for _, r := range regions[found:] {
				if !overlapsAny(r.Box, regions[first:found]) {
					kept = append(kept, r)
				}
			}
			regions = append(kept[:first], mergeOverlapping(kept[first:])...)
		}
	}
	return regions, nil
}

// isFrame reports whether elements of class c hold others.
func isFrame(c Class) bool {
	switch c {
	case Header, Menu, Container, Row, Column:
		return true
	}
	return false
}

func overlapsAny(b [4]int, rs []Region) bool {
	for _, r := range rs {
		if overlap(r.Box, b, 0) > 0 && overlap(r.Box, b, 1) > 0 {
			return true
		}
	}
	return false
}

// mergeOverlapping joins regions (of one class) whose boxes overlap, until
// none do: two frames of one class never overlap on a page, so
// overlapping ones are pieces of one frame. The result is in reading
// order.
func mergeOverlapping(rs []Region) []Region {
	for merged := true; merged; {
		merged = false
		for i := 0; i < len(rs) && !merged; i++ {
			for j := i + 1; j < len(rs); j++ {
				a, b := rs[i].Box, rs[j].Box
				if overlap(a, b, 0) > 0 && overlap(a, b, 1) > 0 {
					rs[i].Box = union(a, b)
					rs = append(rs[:j], rs[j+1:]...)
					merged = true
					break
				}
			}
		}
	}
	sort.Slice(rs, func(i, j int) bool { return less(rs[i].Box, rs[j].Box) })
	return rs
}

// TreeFromClassMask is RegionsFromClassMask, DecodeTree with opt.Tol, and
// a repair by the page grammar: elements the grammar cannot place are
// moved where it can (a row's loose content grouped into columns by their
// horizontal extent, a container's loose columns into rows by their
// vertical extent, loose menu items into a menu, buttons above the
// content into the header, the rest into the container), a frame inside
// a leaf's place is replaced by its children, a leaf inside the header
// becomes a button and one inside the menu an item, and a column holding
// side-by-side content (two merged columns) is split. A menu's style is
// left or right by the side of the page it is on, a row's single, double
// or quadruple by its column count (none for other counts); button
// styles are not in a class mask and stay empty (see RestoreStyles). It
// returns RegionsFromClassMask's errors.
func TreeFromClassMask(class *image.Gray, opt MaskOptions) (*Element, error) {
	regions, err := RegionsFromClassMask(class, opt)
	if err != nil {
		return nil, err
	}
	w, h := class.Rect.Dx(), class.Rect.Dy()
	page := DecodeTree(regions, w, h, opt.resolved(w, h).Tol)
	repair(page)
	return page, nil
}

// readClassMask copies the mask into a dense w×h slice, checking it.
func readClassMask(class *image.Gray) ([]Class, int, int, error) {
	if class == nil {
		return nil, 0, 0, errors.New("webpages: no class mask (nil)")
	}
	if err := checkPix("class", class.Rect, class.Stride, 1, len(class.Pix)); err != nil {
		return nil, 0, 0, err
	}
	w, h := class.Rect.Dx(), class.Rect.Dy()
	if w <= 0 || h <= 0 {
		return nil, 0, 0, nil
	}
	m := make([]Class, w*h)
	for y := range h {
		row := class.Pix[y*class.Stride : y*class.Stride+w]
		for x, v := range row {
			if v >= uint8(numClasses) {
				return nil, 0, 0, fmt.Errorf("webpages: class mask pixel (%d, %d) is %d: want a class id 0 to %d", class.Rect.Min.X+x, class.Rect.Min.Y+y, v, numClasses-1)
			}
			m[y*w+x] = Class(v)
		}
	}
	return m, w, h, nil
}

// maskScratch holds the buffers of one mask's decoding.
type maskScratch struct {
	w, h  int
	in    []bool // the pixel is in the current class set
	core  []bool // the pixel and its eight neighbours are in the set
	stack []int32
	piece []int32 // the pixels of the current component
	runs  []run
	// runClass is each run's class while despeckling.
	runClass []Class
}

func newMaskScratch(w, h int) *maskScratch {
	return &maskScratch{w: w, h: h, in: make([]bool, w*h), core: make([]bool, w*h)}
}

// despeckle repaints every 4-connected single-class piece smaller than
// minArea (a speck) with the class that best explains its surroundings.
// Each class bordering the speck scores 2 for every pixel beside it and
// loses 1 for every pixel diagonal to it, other specks not counted: a
// stray pixel on a one-pixel line between two pieces of one class has
// the line's class beside it on two sides and none on its diagonals, so
// the line stays whole rather than bridging the pieces. Ties go to the
// lower class id. All specks are judged on the mask as it was, so one
// repainted speck cannot spread into the next.
func (s *maskScratch) despeckle(m []Class, minArea int) {
	w, h := s.w, s.h
	// Runs of one class, joined to the runs of that class they touch in
	// the row above; a root's box[0] counts its component's pixels.
	s.runs = s.runs[:0]
	s.runClass = s.runClass[:0]
	prev := [2]int{0, 0}
	for y := range h {
		row := m[y*w : (y+1)*w]
		cur := len(s.runs)
		k := prev[0]
		for x := 0; x < w; {
			c, x0 := row[x], x
			for x < w && row[x] == c {
				x++
			}
			i := int32(len(s.runs))
			s.runs = append(s.runs, run{parent: i, box: [4]int{x - x0, y, x0, x}})
			s.runClass = append(s.runClass, c)
			for k < prev[1] && s.runs[k].box[3] <= x0 {
				k++
			}
			for j := k; j < prev[1] && s.runs[j].box[2] < x; j++ {
				if s.runClass[j] == c {
					s.unionCount(int32(j), i)
				}
			}
		}
		prev = [2]int{cur, len(s.runs)}
	}
	speck := s.in // reused: true for a speck's pixels
	clear(speck)
	s.piece = s.piece[:0]
	var starts []int // each speck's first index in s.piece
	// A speck's runs, gathered by root in run order.
	first := map[int32]int{}
	var byRoot [][]int32
	for i := range s.runs {
		r := s.find(int32(i))
		if s.runs[r].box[0] >= minArea {
			continue
		}
		k, ok := first[r]
		if !ok {
			k = len(byRoot)
			first[r] = k
			byRoot = append(byRoot, nil)
		}
		byRoot[k] = append(byRoot[k], int32(i))
	}
	for _, rs := range byRoot {
		starts = append(starts, len(s.piece))
		for _, i := range rs {
			r := s.runs[i]
			y := r.box[1]
			for x := r.box[2]; x < r.box[3]; x++ {
				s.piece = append(s.piece, int32(y*w+x))
				speck[y*w+x] = true
			}
		}
	}
	starts = append(starts, len(s.piece))
	paint := make([]Class, len(starts)-1)
	for k := range paint {
		piece := s.piece[starts[k]:starts[k+1]]
		c := m[piece[0]]
		var score [numClasses]int
		var seen [numClasses]bool
		for _, p := range piece {
			x, y := int(p)%w, int(p)/w
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					qx, qy := x+dx, y+dy
					if (dx == 0 && dy == 0) || qx < 0 || qx >= w || qy < 0 || qy >= h {
						continue
					}
					j := qy*w + qx
					if speck[j] {
						continue
					}
					seen[m[j]] = true
					if dx == 0 || dy == 0 {
						score[m[j]] += 2
					} else {
						score[m[j]]--
					}
				}
			}
		}
		best, found := c, false
		for k, ok := range seen {
			if ok && (!found || score[k] > score[best]) {
				best, found = Class(k), true
			}
		}
		paint[k] = best
	}
	for k, c := range paint {
		for _, p := range s.piece[starts[k]:starts[k+1]] {
			m[p] = c
		}
	}
}

// ownPieces appends a region for every 4-connected piece of class c's own
// pixels of at least minArea pixels: a frame whose border survives as a
// thin line cut off from its content by lost pixels is still found.
func (s *maskScratch) ownPieces(m []Class, c Class, minArea int, out []Region) []Region {
	w, h := s.w, s.h
	seen := s.core // reused: the pixels already in a piece
	clear(seen)
	for start, k := range m {
		if k != c || seen[start] {
			continue
		}
		seen[start] = true
		box, n := [4]int{w, h, 0, 0}, 0
		s.stack = append(s.stack[:0], int32(start))
		for len(s.stack) > 0 {
			p := int(s.stack[len(s.stack)-1])
			s.stack = s.stack[:len(s.stack)-1]
			n++
			x, y := p%w, p/w
			box = [4]int{min(box[0], x), min(box[1], y), max(box[2], x+1), max(box[3], y+1)}
			for _, q := range [4][2]int{{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}} {
				if q[0] < 0 || q[0] >= w || q[1] < 0 || q[1] >= h {
					continue
				}
				if j := q[1]*w + q[0]; m[j] == c && !seen[j] {
					seen[j] = true
					s.stack = append(s.stack, int32(j))
				}
			}
		}
		if n >= minArea {
			out = append(out, Region{Class: c, Box: box})
		}
	}
	return out
}

// regions appends class c's regions: the components of the interior of
// c's closure whose box holds at least minArea pixels of c itself.
func (s *maskScratch) regions(m []Class, c Class, minArea int, out []Region) []Region {
	w, h := s.w, s.h
	if w < 3 || h < 3 {
		return out
	}
	var member [numClasses]bool
	for _, k := range closure[c] {
		member[k] = true
	}
	any := false
	for i, k := range m {
		s.in[i] = member[k]
		any = any || k == c
	}
	if !any {
		return out
	}
	// The interior, in two passes: three across, then three down.
	across := s.core
	for y := range h {
		row, in := across[y*w:(y+1)*w], s.in[y*w:(y+1)*w]
		row[0], row[w-1] = false, false
		for x := 1; x < w-1; x++ {
			row[x] = in[x-1] && in[x] && in[x+1]
		}
	}
	// Runs of interior pixels, joined to the runs they touch in the row
	// above: union-find over runs, each component's box at its root.
	s.runs = s.runs[:0]
	prev := [2]int{0, 0}
	for y := 1; y < h-1; y++ {
		up, mid, down := across[(y-1)*w:y*w], across[y*w:(y+1)*w], across[(y+1)*w:(y+2)*w]
		cur := len(s.runs)
		for x := 1; x < w-1; {
			if !(up[x] && mid[x] && down[x]) {
				x++
				continue
			}
			x0 := x
			for x < w-1 && up[x] && mid[x] && down[x] {
				x++
			}
			i := int32(len(s.runs))
			s.runs = append(s.runs, run{parent: i, box: [4]int{x0, y, x, y + 1}})
			for k := prev[0]; k < prev[1]; k++ {
				if r := s.runs[k].box; r[0] < x && x0 < r[2] {
					s.union(int32(k), i)
				}
			}
		}
		prev = [2]int{cur, len(s.runs)}
	}
	first := len(out)
	for i := range s.runs {
		r := s.find(int32(i))
		if r != int32(i) {
			s.runs[r].box = union(s.runs[r].box, s.runs[i].box)
		}
	}
	for i, r := range s.runs {
		if r.parent != int32(i) {
			continue
		}
		box := [4]int{r.box[0] - 1, r.box[1] - 1, r.box[2] + 1, r.box[3] + 1}
		own := 0
		for y := box[1]; y < box[3] && own < minArea; y++ {
			for _, k := range m[y*w+box[0] : y*w+box[2]] {
				if k == c {
					own++
				}
			}
		}
		if own >= minArea {
			out = append(out, Region{Class: c, Box: box})
		}
	}
	added := out[first:]
	sort.Slice(added, func(i, j int) bool { return less(added[i].Box, added[j].Box) })
	return out
}

// run is a horizontal run of interior pixels and, at a component's root,
// the component's box.
type run struct {
	parent int32
	box    [4]int
}

func (s *maskScratch) find(i int32) int32 {
	for s.runs[i].parent != i {
		s.runs[i].parent = s.runs[s.runs[i].parent].parent
		i = s.runs[i].parent
	}
	return i
}

// unionCount is union for despeckling, where a root's box[0] counts its
// component's pixels.
func (s *maskScratch) unionCount(i, j int32) {
	i, j = s.find(i), s.find(j)
	if i == j {
		return
	}
	if i > j {
		i, j = j, i
	}
	s.runs[j].parent = i
	s.runs[i].box[0] += s.runs[j].box[0]
}

// union joins the components of runs i and j under the lower root, so
// roots (and the order regions come out in) do not depend on the order
// runs were joined.
func (s *maskScratch) union(i, j int32) {
	i, j = s.find(i), s.find(j)
	if i > j {
		i, j = j, i
	}
	s.runs[j].parent = i
}
