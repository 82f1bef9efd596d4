package webpages

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/internal/browser"
)

// TestHTMLLaysOutLikeTheScreenshot opens sample pages in headless Chromium
// and checks every element's box in the browser against the ground truth.
// Without Chromium it skips, unless HIDDENDIM_REQUIRE_BROWSER is set (as
// .ci/run sets it), when it fails.
func TestHTMLLaysOutLikeTheScreenshot(t *testing.T) {
	ctx, _ := browser.New(t, 800, 800)

	dir := t.TempDir()
	checked := 0
	for _, mod := range []func(*Config){nil, func(c *Config) { c.Pix2Code = true }, func(c *Config) { c.ImageSize = 384 }} {
		p := testPlan(t, mod)
		pages(t, p, 4, func(i int, ex *Example, _ *renderer, s generators.Sample) {
			var html []byte
			for _, f := range s.Files {
				if f.Field == "html" {
					html = f.Data
				}
			}
			file := filepath.Join(dir, fmt.Sprintf("page%d.html", checked))
			if err := os.WriteFile(file, html, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, chromedp.Navigate("file://"+file)); err != nil {
				t.Fatal(err)
			}
			boxes, err := chromedp.Run(ctx, chromedp.Evaluate[[][]float64](`Array.from(document.querySelectorAll('[data-id]')).map(e => {
				const r = e.getBoundingClientRect(); return [Number(e.dataset.id), r.left, r.top, r.right, r.bottom] })`))
			if err != nil {
				t.Fatal(err)
			}
			want := map[int][4]int{}
			ex.Tree.Walk(func(e *Element) {
				if e.ID > 0 {
					want[e.ID] = e.Box
				}
			})
			if len(boxes) != len(want) {
				t.Fatalf("page %d: the browser has %d elements, the tree %d", checked, len(boxes), len(want))
			}
			for _, b := range boxes {
				id := int(b[0])
				w, ok := want[id]
				if !ok {
					t.Fatalf("page %d: the browser has an element %d the tree lacks", checked, id)
				}
				for k := range 4 {
					if math.Abs(b[k+1]-float64(w[k])) > 1 {
						t.Fatalf("page %d element %d: browser box %v, ground truth %v", checked, id, b[1:], w)
					}
				}
			}
			checked++
		})
	}
	t.Logf("%d pages: every element's browser box within 1 px of the ground truth", checked)
}
