package webpages

import (
	"image"
	"image/color"
)

// RestoreStyles sets the styles a class mask cannot hold, so that a tree
// decoded from a (predicted) class mask can say the page in both DSLs and
// be compared with SameStructure:
//   - a button's style is the style whose fill color most of the button's
//     pixels in the screenshot are nearest to, among the styles its place
//     allows (active or inactive in the header, green, orange or red
//     elsewhere); the label's text pixels, far from every fill, do not vote;
//   - a menu is "left" or "right" by which half of the page its box's
//     center lies in;
//   - a row is "single", "double" or "quadruple" by its number of columns
//     (any other count leaves it "", which pix2code cannot say).
//
// It changes nothing else. Boxes outside the screenshot's bounds are
// clipped; a button with no pixel near any allowed fill keeps the first
// allowed style.
func RestoreStyles(page *Element, screenshot image.Image) {
	restoreStyles(page, nil, screenshot, page.Box)
}

// The styles a button may have, by where it stands.
var (
	headerButtonStyles = buttonStyles[:2]
	columnButtonStyles = buttonStyles[2:]
)

func restoreStyles(e, parent *Element, shot image.Image, pageBox [4]int) {
	switch e.Class {
	case Button:
		allowed := columnButtonStyles
		if parent != nil && parent.Class == Header {
			allowed = headerButtonStyles
		}
		e.Style = buttonStyle(shot, e.Box, allowed)
	case Menu:
		e.Style = "right"
		if e.Box[0]+e.Box[2] < pageBox[0]+pageBox[2] {
			e.Style = "left"
		}
	case Row:
		e.Style = columnStyles[len(e.Children)]
	}
	for _, c := range e.Children {
		restoreStyles(c, e, shot, pageBox)
	}
}

// fillVoteDistance is how far (squared RGB distance) a pixel may be from
// a fill to vote for it: the fills are at least 40 apart in some channel,
// anti-aliased label edges lie between a fill and the light text.
const fillVoteDistance = 24 * 24 * 3

// buttonStyle votes box's pixels for the nearest allowed fill.
func buttonStyle(shot image.Image, box [4]int, allowed []string) string {
	r := image.Rect(box[0], box[1], box[2], box[3]).Intersect(shot.Bounds())
	votes := make([]int, len(allowed))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.RGBAModel.Convert(shot.At(x, y)).(color.RGBA)
			best, bestD := -1, fillVoteDistance+1
			for i, s := range allowed {
				if d := colorDistance(c, buttonFill[s]); d < bestD {
					best, bestD = i, d
				}
			}
			if best >= 0 {
				votes[best]++
			}
		}
	}
	win := 0
	for i, v := range votes {
		if v > votes[win] {
			win = i
		}
	}
	return allowed[win]
}

func colorDistance(a, b color.RGBA) int {
	dr, dg, db := int(a.R)-int(b.R), int(a.G)-int(b.G), int(a.B)-int(b.B)
	return dr*dr + dg*dg + db*db
}
