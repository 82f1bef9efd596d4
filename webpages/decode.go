package webpages

import (
	"errors"
	"fmt"
	"image"
	"sort"
)

// Region is one element as a segmentation sees it: a class and a box.
type Region struct {
	Class Class
	Box   [4]int
}

// RegionsFromMasks reads the regions of an instance mask and a class
// mask: for every id but 0, the box of its pixels and its most common
// class (class ids past the last class are not counted; a region none of
// whose pixels has a known class is the background class). The two masks
// must have the same bounds; it returns an error, and no regions, if they
// do not, if either is nil, or if either's pixel slice is too short for
// its bounds and stride.
func RegionsFromMasks(instance *image.Gray16, class *image.Gray) ([]Region, error) {
	if instance == nil || class == nil {
		return nil, errors.New("webpages: RegionsFromMasks needs both masks, got a nil one")
	}
	if instance.Rect != class.Rect {
		return nil, fmt.Errorf("webpages: the instance mask is %s (%dx%d) and the class mask %s (%dx%d): want the same bounds",
			instance.Rect, instance.Rect.Dx(), instance.Rect.Dy(), class.Rect, class.Rect.Dx(), class.Rect.Dy())
	}
	if err := checkPix("instance", instance.Rect, instance.Stride, 2, len(instance.Pix)); err != nil {
		return nil, err
	}
	if err := checkPix("class", class.Rect, class.Stride, 1, len(class.Pix)); err != nil {
		return nil, err
	}
	type acc struct {
		box    [4]int
		counts [numClasses]int
	}
	byID := map[int]*acc{}
	b := instance.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			i := instance.PixOffset(x, y)
			id := int(instance.Pix[i])<<8 | int(instance.Pix[i+1])
			if id == 0 {
				continue
			}
			a, ok := byID[id]
			if !ok {
				a = &acc{box: [4]int{x, y, x + 1, y + 1}}
				byID[id] = a
			}
			a.box = [4]int{min(a.box[0], x), min(a.box[1], y), max(a.box[2], x+1), max(a.box[3], y+1)}
			if c := class.Pix[class.PixOffset(x, y)]; int(c) < int(numClasses) {
				a.counts[c]++
			}
		}
	}
	ids := make([]int, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	out := make([]Region, 0, len(ids))
	for _, id := range ids {
		a := byID[id]
		best := Class(0)
		for c, n := range a.counts {
			if n > a.counts[best] {
				best = Class(c)
			}
		}
		out = append(out, Region{Class: best, Box: a.box})
	}
	return out, nil
}

// checkPix reports whether an image of bounds r, stride and bpp bytes a
// pixel can hold its pixels in n bytes: an image made by hand, not by
// image.NewGray16 or a decoder, may not.
func checkPix(name string, r image.Rectangle, stride, bpp, n int) error {
	if r.Empty() {
		return nil
	}
	if stride < r.Dx()*bpp {
		return fmt.Errorf("webpages: the %s mask's stride is %d bytes, shorter than a row of %d pixels (%d bytes)", name, stride, r.Dx(), r.Dx()*bpp)
	}
	if need := (r.Dy()-1)*stride + r.Dx()*bpp; n < need {
		return fmt.Errorf("webpages: the %s mask holds %d bytes, %dx%d pixels at stride %d need %d", name, n, r.Dx(), r.Dy(), stride, need)
	}
	return nil
}

// DecodeTree rebuilds a page tree from regions by containment: each
// region's parent is the smallest region (by area) whose box contains its
// box within tol pixels on every side, or the page if none does; children
// are ordered top to bottom, then left to right. It never fails: noisy
// regions give a tree, perhaps not the true one. Styles and texts are not
// recovered; ids are numbered depth first.
func DecodeTree(regions []Region, w, h, tol int) *Element {
	page := newElement(Background)
	page.Box = [4]int{0, 0, w, h}
	type node struct {
		e    *Element
		area int
	}
	nodes := make([]node, 0, len(regions))
	for _, r := range regions {
		if r.Box[2] <= r.Box[0] || r.Box[3] <= r.Box[1] {
			continue // an empty box says nothing
		}
		e := newElement(r.Class)
		e.Box = r.Box
		nodes = append(nodes, node{e, (r.Box[2] - r.Box[0]) * (r.Box[3] - r.Box[1])})
	}
	// Largest first, so every possible parent is placed before its children.
	sort.SliceStable(nodes, func(i, j int) bool {
		if nodes[i].area != nodes[j].area {
			return nodes[i].area > nodes[j].area
		}
		return less(nodes[i].e.Box, nodes[j].e.Box)
	})
	for i, n := range nodes {
		parent, parentArea := page, -1
		for j := range i {
			p := nodes[j]
			if contains(p.e.Box, n.e.Box, tol) && (parentArea < 0 || p.area < parentArea) {
				parent, parentArea = p.e, p.area
			}
		}
		parent.Children = append(parent.Children, n.e)
	}
	page.Walk(func(e *Element) {
		sort.SliceStable(e.Children, func(i, j int) bool { return less(e.Children[i].Box, e.Children[j].Box) })
	})
	number(page)
	return page
}

func contains(outer, inner [4]int, tol int) bool {
	return inner[0] >= outer[0]-tol && inner[1] >= outer[1]-tol && inner[2] <= outer[2]+tol && inner[3] <= outer[3]+tol
}

// less is reading order: top to bottom, then left to right.
func less(a, b [4]int) bool {
	if a[1] != b[1] {
		return a[1] < b[1]
	}
	return a[0] < b[0]
}
