// Package webpages generates synthetic web pages with full ground truth:
// the screenshot, an instance mask (16-bit, element id per pixel, the
// innermost element winning) and a class mask (8-bit), the element tree
// with every box, our DSL, pix2code's DSL where its vocabulary can say the
// page, a self-contained HTML file that lays out like the screenshot, and
// a caption of the structure. With parts, each top-level part (header,
// menu, container, footer) is also drawn alone on the page canvas.
//
// A page is drawn from a small grammar: page → header, an optional left or
// right menu, a container of rows of 1, 2 or 4 columns (pix2code's single,
// double and quadruple) holding titles, text, image placeholders and
// buttons, and an optional footer. Layout is a pure function of the tree
// and the page size; rendering is a pure function of the layout and the
// sample's seed. Every element paints only inside its box (text and the
// image placeholder's cross are clipped to it), so the screenshot, the
// masks and the boxes agree exactly: a pixel the instance mask gives to
// the page, header, menu, container, a row or a column is that element's
// fill.
//
// DecodeTree rebuilds a tree from regions (class and box), by containment:
// the second stage of the research notes' segmentation-then-tree pipeline.
// TreeFromClassMask runs that stage on a class mask alone, such as a
// segmentation net predicts: specks repainted, frames found from their
// content, the result repaired by the page grammar; RestoreStyles adds the
// button styles from the screenshot. FitTree reads a class mask knowing
// the config the page was drawn with: of the pages that config's grammar
// can draw, the one whose laid-out mask agrees best with it, so every box
// is where the layout puts it. TreeEditDistance (Zhang–Shasha) and
// NormalizedTreeEditDistance score a decoded tree against the truth.
//
// How the two hold up is measured by TestTreeFromDegradedMasks (exact
// trees per degradation, 100 pages at 128×128 and at 256×256;
// testdata/degradations.txt also has TreeFromClassMask's mean normalized
// edit distance):
//
//	go test ./webpages -run TestTreeFromDegradedMasks -v
//
//	                        clean  20 stray px  1% salt  erode 1  erode 2  dilate 1  drop 10%  merge 2
//	TreeFromClassMask 128   1.00   1.00         0.99     0.34     0.17     0.01      0.07      0.15
//	TreeFromClassMask 256   1.00   1.00         1.00     1.00     0.33     1.00      0.07      0.15
//	FitTree 128             1.00   1.00         1.00     1.00     0.80     0.65      0.41      0.99
//	FitTree 256             1.00   1.00         1.00     1.00     1.00     0.79      0.43      0.99
package webpages
