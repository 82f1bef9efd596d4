package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/internal/browser"
)

// shownImage is an <img> as the browser decoded it.
type shownImage struct {
	Src      string  `json:"src"`
	Complete bool    `json:"complete"`
	Width    float64 `json:"width"`
	Height   float64 `json:"height"`
}

// browserCell is a leaderboard cell as the browser reads it; Value, Lo and
// Hi are null when the cell has no such attribute.
type browserCell struct {
	Task   string  `json:"task"`
	Model  string  `json:"model"`
	Metric string  `json:"metric"`
	Value  *string `json:"value"`
	Lo     *string `json:"lo"`
	Hi     *string `json:"hi"`
	Text   string  `json:"text"`
}

const (
	imagesJS = `Array.from(document.images).map(i => ({src: i.getAttribute('src'), complete: i.complete, width: i.naturalWidth, height: i.naturalHeight}))`
	cellsJS  = `Array.from(document.querySelectorAll('td[data-metric]')).map(td => ({task: td.dataset.task, model: td.dataset.model,
		metric: td.dataset.metric, value: td.dataset.value ?? null, lo: td.dataset.lo ?? null, hi: td.dataset.hi ?? null, text: td.textContent}))`
)

// open loads a page and returns its images and leaderboard cells.
func open(t *testing.T, ctx context.Context, page string) ([]shownImage, []pageCell) {
	t.Helper()
	abs, err := filepath.Abs(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+abs)); err != nil {
		t.Fatal(err)
	}
	imgs, err := chromedp.Run(ctx, chromedp.Evaluate[[]shownImage](imagesJS))
	if err != nil {
		t.Fatal(err)
	}
	bc, err := chromedp.Run(ctx, chromedp.Evaluate[[]browserCell](cellsJS))
	if err != nil {
		t.Fatal(err)
	}
	cells := make([]pageCell, len(bc))
	for i, c := range bc {
		cells[i] = pageCell{Task: c.Task, Model: c.Model, Metric: c.Metric, Value: c.Value, Lo: c.Lo, Hi: c.Hi, Text: c.Text}
	}
	return imgs, cells
}

// TestReportInBrowser opens reports in headless Chromium: the page of the
// quick suite's records (every kind of task) and the page of a tiny real
// run with two seeds, its dataset cache and pictures. Each loads with no
// console error, warning or exception and no failed request, every image
// decodes, and every leaderboard cell equals the records' numbers. A
// canary page with a broken image and a console error first shows that the
// checks can see both. Without Chromium the test skips, unless
// HIDDENDIM_REQUIRE_BROWSER is set (as CI sets it).
func TestReportInBrowser(t *testing.T) {
	ctx, console := browser.New(t, 1280, 900)
	dir := t.TempDir()

	canary := filepath.Join(dir, "canary.html")
	if err := os.WriteFile(canary, []byte(`<!DOCTYPE html><img src="missing.png"><script>console.error("canary")</script>`), 0o644); err != nil {
		t.Fatal(err)
	}
	imgs, _ := open(t, ctx, canary)
	if len(imgs) != 1 || imgs[0].Width != 0 {
		t.Fatalf("canary: a missing image reads as %+v", imgs)
	}
	if p := strings.Join(console.Problems(), "\n"); !strings.Contains(p, "canary") || !strings.Contains(p, "missing.png") {
		t.Fatalf("canary: the console caught %q, want the console.error and the failed image", p)
	}

	h := harness()
	quick := readQuick(t)
	quickPage, err := Write(h, quick, Options{Out: filepath.Join(dir, "quick"), Files: []string{quickRecords}})
	if err != nil {
		t.Fatal(err)
	}
	tinyPage, run := tinyReport(t, filepath.Join(dir, "tiny"), filepath.Join(dir, "pictures"))
	for _, p := range []struct {
		name, page string
		recs       []bench.Record
		images     int
	}{
		{"quick", quickPage, quick, 14},
		{"tiny", tinyPage, run.Records, 9},
	} {
		t.Run(p.name, func(t *testing.T) {
			console.Reset()
			imgs, cells := open(t, ctx, p.page)
			if probs := console.Problems(); len(probs) > 0 {
				t.Errorf("the page reported %d problems:\n%s", len(probs), strings.Join(probs, "\n"))
			}
			if len(imgs) != p.images {
				t.Errorf("%d images, want %d", len(imgs), p.images)
			}
			for _, im := range imgs {
				if !im.Complete || im.Width == 0 || im.Height == 0 {
					t.Errorf("image %s does not decode: %+v", im.Src, im)
				}
			}
			checkCells(t, h, p.recs, cells)
			t.Logf("%d images decoded, %d leaderboard cells equal to the records", len(imgs), len(cells))
		})
	}
}
