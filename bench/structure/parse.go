package structure

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"github.com/fogleman/gg"
	"golang.org/x/image/font/basicfont"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/models"
	"github.com/hiddendim/hiddendim/webpages"
)

// ParseOptions configure Parse: the checkpoint, the dataset folder and
// split the pages come from, and the folder the files go to.
type ParseOptions struct {
	Checkpoint, Data, Split, Out string
	// N pages are parsed; 0 means 8.
	N int
}

// Parsed is one page Parse decoded.
type Parsed struct {
	// Page is its index in the split.
	Page int
	// Tree is the decoded tree, styles restored.
	Tree *webpages.Element
	// Exact says the tree is the true one (webpages.SameStructure);
	// Distance is their normalized tree edit distance.
	Exact    bool
	Distance float64
	// Files are the paths written, in the order ParseFiles names them.
	Files []string
}

// ParseFiles names what Parse writes for page k: the screenshot, the
// predicted and the true class masks (webpages.ClassColors), the
// predicted mask over the screenshot with its wrong pixels marked
// (Overlay), the decoded tree drawn as labelled boxes (DrawTree), all
// enlarged alike (each pixel a square, to about 384 px), and a text file
// with the page in both DSLs, decoded and true.
func ParseFiles(k int) []string {
	p := fmt.Sprintf("page_%d_", k)
	return []string{p + "screenshot.png", p + "predicted_mask.png", p + "true_mask.png", p + "overlay.png", p + "tree.png", p + "dsl.txt"}
}

// Parse runs a segnet checkpoint's pipeline on the first N pages of a
// split (see DecodePage) and writes, per page, the files ParseFiles names
// into Out. It returns what it decoded, in page order, also when a write
// fails part way.
func Parse(o ParseOptions) ([]Parsed, error) {
	if o.N <= 0 {
		o.N = 8
	}
	net, meta, err := Load(o.Checkpoint)
	if err != nil {
		return nil, err
	}
	defer net.Close()
	all, err := LoadSet(o.Data, o.Split)
	if err != nil {
		return nil, err
	}
	if err := fits(meta, all); err != nil {
		return nil, err
	}
	return writeParsed(net, all.head(o.N), o.Out)
}

// writeParsed runs net's pipeline on every page of set and writes the
// files ParseFiles names into out.
func writeParsed(net *models.SegNet, set *Set, out string) ([]Parsed, error) {
	pred, err := net.Predict(set.Segmentation(), evalBatch)
	if err != nil {
		return nil, err
	}
	trees, err := DecodePages(set, pred)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("structure: %w", err)
	}
	h, w := set.Shape[1], set.Shape[2]
	var parsed []Parsed
	for k, tree := range trees {
		p := Parsed{Page: k, Tree: tree, Exact: webpages.SameStructure(tree, set.Trees[k]),
			Distance: webpages.NormalizedTreeEditDistance(tree, set.Trees[k])}
		for _, f := range ParseFiles(k) {
			p.Files = append(p.Files, filepath.Join(out, f))
		}
		shot := set.Screenshot(k)
		s := pictureScale(w)
		predicted := maskImage(pred[k*h*w:(k+1)*h*w], h, w)
		writes := []func(string) error{
			func(path string) error { return gg.SavePNG(path, bench.Upscale(shot, s)) },
			func(path string) error { return gg.SavePNG(path, bench.Upscale(ColorMask(predicted), s)) },
			func(path string) error { return gg.SavePNG(path, bench.Upscale(ColorMask(set.Mask(k)), s)) },
			func(path string) error {
				return gg.SavePNG(path, bench.Upscale(Overlay(shot, predicted, set.Mask(k)), s))
			},
			func(path string) error { return DrawTree(tree, shot).SavePNG(path) },
			func(path string) error { return os.WriteFile(path, []byte(dslText(p, set, k)), 0o644) },
		}
		for i, write := range writes {
			if err := write(p.Files[i]); err != nil {
				return parsed, fmt.Errorf("structure: %w", err)
			}
		}
		parsed = append(parsed, p)
	}
	return parsed, nil
}

// dslText is a parsed page's text file: the decoded page in our DSL and
// in pix2code's, then the true page in both.
func dslText(p Parsed, set *Set, k int) string {
	var b strings.Builder
	verdict := "not the true tree"
	if p.Exact {
		verdict = "the true tree"
	}
	fmt.Fprintf(&b, "page %d: decoded %s (normalized tree edit distance %.3f)\n\n", p.Page, verdict, p.Distance)
	section := func(title, body string) {
		if body == "" {
			body = "(pix2code's DSL cannot say this tree)"
		}
		fmt.Fprintf(&b, "== %s ==\n%s\n\n", title, strings.TrimRight(body, "\n"))
	}
	section("decoded, DSL", webpages.PrintDSL(p.Tree))
	section("decoded, pix2code", webpages.PrintPix2Code(p.Tree))
	section("true, DSL", webpages.PrintDSL(set.Trees[k]))
	section("true, pix2code", set.Pix2Code[k])
	return b.String()
}

// ColorMask paints a class mask in webpages.ClassColors; an id past the
// classes is black.
func ColorMask(mask *image.Gray) *image.RGBA {
	b := mask.Bounds()
	img := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBA{A: 255}
			if id := int(mask.GrayAt(x, y).Y); id < len(webpages.ClassColors) {
				rgb := webpages.ClassColors[id]
				c = color.RGBA{rgb[0], rgb[1], rgb[2], 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// WrongColor marks, in Overlay, a pixel whose predicted class is not the
// true one: magenta, which no class color is.
var WrongColor = color.RGBA{255, 0, 255, 255}

// Overlay draws a predicted class mask over its screenshot: each pixel
// half its class color (webpages.ClassColors) and half the screenshot,
// and in WrongColor where the prediction differs from the true mask, so
// that a segmentation's errors show where they are on the page. The three
// images share their bounds.
func Overlay(screenshot image.Image, predicted, truth *image.Gray) *image.RGBA {
	b := predicted.Bounds()
	colored := ColorMask(predicted)
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if predicted.GrayAt(x, y).Y != truth.GrayAt(x, y).Y {
				out.SetRGBA(x, y, WrongColor)
				continue
			}
			c := color.RGBAModel.Convert(screenshot.At(x, y)).(color.RGBA)
			m := colored.RGBAAt(x, y)
			mix := func(a, b uint8) uint8 { return uint8((int(a) + int(b) + 1) / 2) }
			out.SetRGBA(x, y, color.RGBA{mix(c.R, m.R), mix(c.G, m.G), mix(c.B, m.B), 255})
		}
	}
	return out
}

// treeScale is how many times the pictures enlarge a page at most; pages
// are drawn at least 384 px wide where that is within it.
const treeScale = 4

// pictureScale is how many times the pictures of a page w pixels wide
// enlarge it.
func pictureScale(w int) int { return min(treeScale, max(1, 384/max(w, 1))) }

// DrawTree draws a page tree as labelled boxes over its faded
// screenshot: each element's box in its class color (darkened where the
// palette is too light to see on white), its class (and style) written in
// its top left corner (a row's in its bottom right, clear of its first
// column's).
func DrawTree(page *webpages.Element, screenshot image.Image) *gg.Context {
	b := screenshot.Bounds()
	s := pictureScale(b.Dx())
	dc := gg.NewContext(b.Dx()*s, b.Dy()*s)
	dc.DrawImage(fade(bench.Upscale(screenshot, s)), 0, 0)
	dc.SetFontFace(basicfont.Face7x13)
	var draw func(e *webpages.Element, depth int)
	draw = func(e *webpages.Element, depth int) {
		if e.Class != webpages.Background {
			r, g, bl := visible(webpages.ClassColors[e.Class])
			dc.SetRGB(r, g, bl)
			dc.SetLineWidth(1.5)
			x0, y0 := float64(e.Box[0]*s)+0.75, float64(e.Box[1]*s)+0.75
			dc.DrawRectangle(x0, y0, float64((e.Box[2]-e.Box[0])*s)-1.5, float64((e.Box[3]-e.Box[1])*s)-1.5)
			dc.Stroke()
			label := e.Class.String()
			if e.Style != "" {
				label += " " + e.Style
			}
			if e.Class == webpages.Row { // its box starts where its first column's does: label it at the bottom right
				dc.DrawStringAnchored(label, float64(e.Box[2]*s)-3, float64(e.Box[3]*s)-3, 1, 0)
			} else {
				dc.DrawString(label, x0+2, y0+11)
			}
		}
		for _, c := range e.Children {
			draw(c, depth+1)
		}
	}
	draw(page, 0)
	return dc
}

// fade blends an image three quarters of the way to white, so that boxes
// and labels drawn over it stand out.
func fade(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			f := func(v uint8) uint8 { return uint8((int(v) + 3*255) / 4) }
			out.SetRGBA(x, y, color.RGBA{f(c.R), f(c.G), f(c.B), 255})
		}
	}
	return out
}

// visible returns a class color as gg's [0, 1] RGB, halved if it is too
// light to read on white.
func visible(rgb [3]uint8) (r, g, b float64) {
	r, g, b = float64(rgb[0])/255, float64(rgb[1])/255, float64(rgb[2])/255
	if 0.299*r+0.587*g+0.114*b > 0.7 {
		r, g, b = r/2, g/2, b/2
	}
	return r, g, b
}
