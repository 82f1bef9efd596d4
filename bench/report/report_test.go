package report

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/bench/caption"
	"github.com/hiddendim/hiddendim/bench/classify"
	"github.com/hiddendim/hiddendim/bench/questions"
	"github.com/hiddendim/hiddendim/bench/reason"
	"github.com/hiddendim/hiddendim/bench/structure"
	"github.com/hiddendim/hiddendim/bench/vae"
	"github.com/hiddendim/hiddendim/clevrlite"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/scenes"
	"github.com/hiddendim/hiddendim/webpages"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// quickRecords holds the 16 records of `hiddendim bench --suite quick`,
// run on this machine with training curves, unedited: every kind of task,
// one seed each.
const quickRecords = "testdata/quick.jsonl"

// tinySuite is the smallest suite that exercises what one seed does not:
// two seeds (Student-t intervals, seed dots, mean curves), two tasks on one
// dataset (one contact sheet), and a task of one model.
const tinySuite = "testdata/tiny-suite.json"

// harness is the command line's: every dataset, every kind.
func harness() *bench.Harness {
	reg := generators.NewRegistry(generators.Shapes{}, scenes.Relations{}, scenes.Counting{}, clevrlite.SortOfCLEVR{}, webpages.Pages{})
	return bench.NewHarness(reg, classify.Kind{}, vae.Kind{}, caption.Kind{}, reason.Kind{}, questions.Kind{}, structure.Kind{})
}

func readQuick(t testing.TB) []bench.Record {
	t.Helper()
	recs, err := bench.ReadRecords(quickRecords)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// tinyRun runs the tiny suite once per test binary, into a cache and a
// record file under a folder that outlives the tests that share it.
var tinyRun = sync.OnceValues(func() (tinyResult, error) {
	dir, err := os.MkdirTemp("", "report-tiny-")
	if err != nil {
		return tinyResult{}, err
	}
	h := harness()
	suite, err := h.LookupSuite(tinySuite)
	if err != nil {
		return tinyResult{}, err
	}
	out := filepath.Join(dir, "tiny.jsonl")
	cache := filepath.Join(dir, "cache")
	recs, err := h.Run(context.Background(), suite, bench.Options{Out: out, CacheDir: cache})
	return tinyResult{Dir: dir, Records: recs, File: out, Cache: cache}, err
})

type tinyResult struct {
	Dir, File, Cache string
	Records          []bench.Record
}

func tiny(t testing.TB) tinyResult {
	t.Helper()
	r, err := tinyRun()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestMain(m *testing.M) {
	code := m.Run()
	if r, err := tinyRun(); err == nil || r.Dir != "" {
		os.RemoveAll(r.Dir)
	}
	os.Exit(code)
}

// pageCell is a leaderboard cell as the page holds it.
type pageCell struct {
	Task, Model, Metric string
	Value, Lo, Hi       *string
	Text                string
}

var cellRE = regexp.MustCompile(`<td class="[^"]*" data-task="([^"]*)" data-model="([^"]*)" data-metric="([^"]*)"(?: data-value="([^"]*)")?(?: data-lo="([^"]*)" data-hi="([^"]*)")?>(.*?)</td>`)

// cellsOf reads the leaderboard cells of a page's HTML.
func cellsOf(t *testing.T, page []byte) []pageCell {
	t.Helper()
	var out []pageCell
	for _, m := range cellRE.FindAllSubmatchIndex(page, -1) {
		str := func(k int) *string {
			if m[2*k] < 0 {
				return nil
			}
			s := html.UnescapeString(string(page[m[2*k]:m[2*k+1]]))
			return &s
		}
		text := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(*str(7), "")
		out = append(out, pageCell{Task: *str(1), Model: *str(2), Metric: *str(3), Value: str(4), Lo: str(5), Hi: str(6), Text: html.UnescapeString(text)})
	}
	return out
}

// tQuantile975 is Student's t 0.975 quantile by degrees of freedom, from
// the standard table (R: qt(0.975, df)).
var tQuantile975 = map[int]float64{1: 12.706204736174707, 2: 4.302652729911275, 3: 3.182446305284263}

type cellKey struct{ task, model, metric string }

type wantCell struct {
	value  float64
	ci     *[2]float64
	text   string
	approx bool // a mean over seeds, compared within 1e-12
}

// expectedCells computes every leaderboard cell from the records directly,
// without bench's aggregation: one seed's value and interval as recorded,
// or the mean over seeds with a Student-t interval clamped to the
// metric's range; and each (task, model)'s mean training seconds.
func expectedCells(t *testing.T, h *bench.Harness, recs []bench.Record) map[cellKey]wantCell {
	t.Helper()
	vals := map[cellKey][]bench.Metric{}
	secs := map[cellKey][]float64{}
	for _, r := range recs {
		for m, v := range r.Metrics {
			k := cellKey{r.Task, r.Model, m}
			vals[k] = append(vals[k], v)
		}
		k := cellKey{r.Task, r.Model, "train_seconds"}
		secs[k] = append(secs[k], r.Timings.TrainSeconds)
	}
	want := map[cellKey]wantCell{}
	for k, vs := range vals {
		var w wantCell
		if len(vs) == 1 {
			w.value, w.ci = vs[0].Value, vs[0].CI95
		} else {
			w.approx = true
			var sum, ss float64
			for _, v := range vs {
				sum += v.Value
			}
			w.value = sum / float64(len(vs))
			for _, v := range vs {
				ss += (v.Value - w.value) * (v.Value - w.value)
			}
			tq, ok := tQuantile975[len(vs)-1]
			if !ok {
				t.Fatalf("no t quantile for %d seeds", len(vs))
			}
			half := tq * math.Sqrt(ss/float64(len(vs)-1)) / math.Sqrt(float64(len(vs)))
			info := h.Metric(k.metric)
			w.ci = &[2]float64{max(info.Min, w.value-half), min(info.Max, w.value+half)}
		}
		if k.metric == "params" {
			w.ci = nil
			w.text = fmt.Sprintf("%.0f", w.value)
		} else {
			w.text = fmt.Sprintf("%.4f", w.value)
			if w.ci != nil {
				w.text += fmt.Sprintf(" [%.4f, %.4f]", w.ci[0], w.ci[1])
			}
		}
		want[k] = w
	}
	for k, ss := range secs {
		var sum float64
		for _, s := range ss {
			sum += s
		}
		w := wantCell{value: sum / float64(len(ss)), approx: len(ss) > 1, text: "–"}
		if w.value != 0 {
			w.text = fmt.Sprintf("%.1f", w.value)
		}
		want[k] = w
	}
	return want
}

// checkCells checks that the page shows every cell the records imply,
// once, with their numbers: a cell's data-value and interval equal the
// records' (bit for bit for one seed), and its text shows them rounded.
func checkCells(t *testing.T, h *bench.Harness, recs []bench.Record, cells []pageCell) {
	t.Helper()
	want := expectedCells(t, h, recs)
	seen := map[cellKey]bool{}
	near := func(got string, want float64, approx bool) bool {
		g, err := strconv.ParseFloat(got, 64)
		if err != nil {
			return false
		}
		if approx {
			return math.Abs(g-want) <= 1e-12*max(1, math.Abs(want))
		}
		return g == want || math.IsNaN(g) && math.IsNaN(want)
	}
	for _, c := range cells {
		k := cellKey{c.Task, c.Model, c.Metric}
		if seen[k] {
			t.Errorf("%v: shown twice", k)
		}
		seen[k] = true
		w, ok := want[k]
		if !ok {
			if c.Value != nil || c.Text != "—" {
				t.Errorf("%v: the page shows %q, the records hold no such value", k, c.Text)
			}
			continue
		}
		if k.metric == "train_seconds" && w.value == 0 {
			if c.Value != nil || c.Text != "–" {
				t.Errorf("%v: no timing recorded, the page shows %q", k, c.Text)
			}
			continue
		}
		if c.Value == nil || !near(*c.Value, w.value, w.approx) {
			t.Errorf("%v: data-value %v, records %v", k, deref(c.Value), w.value)
		}
		if (c.Lo != nil) != (w.ci != nil) {
			t.Errorf("%v: interval on the page %v, in the records %v", k, c.Lo != nil, w.ci != nil)
		} else if w.ci != nil && (!near(*c.Lo, w.ci[0], w.approx) || !near(*c.Hi, w.ci[1], w.approx)) {
			t.Errorf("%v: interval [%s, %s], records %v", k, *c.Lo, *c.Hi, *w.ci)
		}
		if strings.TrimSpace(c.Text) != w.text {
			t.Errorf("%v: shows %q, want %q", k, c.Text, w.text)
		}
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("%v: in the records, not on the page", k)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<none>"
	}
	return *s
}

// TestGoldenPage writes the report of the quick suite's records, without a
// dataset cache or pictures, and compares the page with the golden file
// (go test -update rewrites it); its leaderboard cells must equal the
// records' numbers, and every picture it names must exist and decode.
func TestGoldenPage(t *testing.T) {
	h := harness()
	recs := readQuick(t)
	out := filepath.Join(t.TempDir(), "report")
	page, err := Write(h, recs, Options{Out: out, Files: []string{quickRecords}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "quick.golden.html")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("the page differs from %s at line %d:\n got %.300s\nwant %.300s\n(go test -update if intended)", golden, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("the page has %d lines, %s %d (go test -update if intended)", len(gl), golden, len(wl))
	}
	cells := cellsOf(t, got)
	if len(cells) < 200 {
		t.Fatalf("read %d cells from the page", len(cells))
	}
	checkCells(t, h, recs, cells)
	srcs := imageSources(got)
	// Each of the 7 tasks: its primary metric and its training curve.
	if len(srcs) != 14 {
		t.Errorf("the page shows %d images, want 14: %v", len(srcs), srcs)
	}
	for _, s := range srcs {
		checkPNG(t, filepath.Join(out, s))
	}
}

var srcRE = regexp.MustCompile(`<img src="([^"]*)"`)

func imageSources(page []byte) []string {
	var out []string
	for _, m := range srcRE.FindAllSubmatch(page, -1) {
		out = append(out, html.UnescapeString(string(m[1])))
	}
	return out
}

func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	if b := img.Bounds(); b.Dx() < 50 || b.Dy() < 50 {
		t.Errorf("%s: %v, too small to read", path, b)
	}
}

// writePicture writes a small PNG of a gradient at path.
func writePicture(t *testing.T, path string) { writePictureSized(t, path, 80, 60) }

// writePictureSized writes a w×h PNG of a gradient at path.
func writePictureSized(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(3 * x), uint8(4 * y), 128, 255})
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tinyReport writes the tiny run's report with its cache and a picture
// folder: a picture of a task, one of no task, and a file that is not a
// PNG.
func tinyReport(t *testing.T, out, pics string) (string, tinyResult) {
	t.Helper()
	run := tiny(t)
	writePicture(t, filepath.Join(pics, "shapes-tiny", "inspect", "filters.png"))
	writePicture(t, filepath.Join(pics, "elsewhere", "strip.png"))
	writePictureSized(t, filepath.Join(pics, "elsewhere", "wide.png"), 2000, 100)
	if err := os.WriteFile(filepath.Join(pics, "elsewhere", "notes.png"), []byte("not a picture"), 0o644); err != nil {
		t.Fatal(err)
	}
	page, err := Write(harness(), run.Records, Options{Out: out, Files: []string{"tiny.jsonl"}, CacheDir: run.Cache, Pictures: []string{pics}})
	if err != nil {
		t.Fatal(err)
	}
	return page, run
}

// TestTinyRunReport reports real records of several seeds: the cells
// equal the records', the page shows each task's plots, the shared
// dataset's sheet and the pictures, names the file that is not a PNG, and
// is the same bytes when written again.
func TestTinyRunReport(t *testing.T) {
	dir := t.TempDir()
	pics := filepath.Join(dir, "pictures")
	page, run := tinyReport(t, filepath.Join(dir, "a"), pics)
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	checkCells(t, harness(), run.Records, cellsOf(t, b))
	srcs := imageSources(b)
	want := []string{
		"plots/shapes-tiny-by-model.png", "plots/shapes-tiny-training-loss.png",
		"datasets/shapes-" + run.Records[0].Dataset.SpecSHA256[:16] + ".png",
		"pictures/0/shapes-tiny/inspect/filters.png",
		"plots/shapes-tiny-shape-by-model.png", "plots/shapes-tiny-shape-training-loss.png",
		"datasets/shapes-" + run.Records[0].Dataset.SpecSHA256[:16] + ".png",
		"pictures/0/elsewhere/strip.png", "pictures/0/elsewhere/wide.png",
	}
	if !slices.Equal(srcs, want) {
		t.Errorf("images\n got %v\nwant %v", srcs, want)
	}
	for _, s := range srcs {
		checkPNG(t, filepath.Join(dir, "a", s))
	}
	if bytes.Count(b, []byte(`<figure class="wide"><img src="pictures/0/elsewhere/wide.png"`)) != 1 || bytes.Count(b, []byte(`class="wide"`)) != 1 {
		t.Error("the wide picture, and it alone, should scroll at its own size")
	}
	if !bytes.Contains(b, []byte("notes.png (not a PNG)")) {
		t.Error("the page does not name the file that is not a PNG")
	}
	if !bytes.Contains(b, []byte("grey dots are single seeds")) {
		t.Error("two seeds, and the plot caption does not mention their dots")
	}
	// Written again, into another folder: the same files, byte for byte.
	tinyReport(t, filepath.Join(dir, "b"), pics)
	filesA, filesB := treeOf(t, filepath.Join(dir, "a")), treeOf(t, filepath.Join(dir, "b"))
	if len(filesA) != len(filesB) {
		t.Fatalf("%d files, then %d", len(filesA), len(filesB))
	}
	for name, a := range filesA {
		if !bytes.Equal(a, filesB[name]) {
			t.Errorf("%s differs between two reports of the same records", name)
		}
	}
}

func treeOf(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteReplacesOnlyAReport(t *testing.T) {
	h := harness()
	recs := readQuick(t)[:2]
	dir := t.TempDir()
	out := filepath.Join(dir, "report")
	if _, err := Write(h, recs, Options{Out: out}); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(out, "plots", "stale.png")
	writePicture(t, stale)
	if _, err := Write(h, recs, Options{Out: out}); err != nil {
		t.Fatalf("writing over a report: %v", err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("a file of the earlier report survived: the folder was not replaced whole")
	}
	mine := filepath.Join(dir, "mine")
	writePicture(t, filepath.Join(mine, "holiday.png"))
	_, err := Write(h, recs, Options{Out: mine})
	if err == nil || !strings.Contains(err.Error(), "holds files but no earlier report") {
		t.Fatalf("writing over a folder of other files: %v", err)
	}
	if _, err := os.Stat(filepath.Join(mine, "holiday.png")); err != nil {
		t.Fatal("the folder's own file is gone")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("left a temporary folder %s", e.Name())
		}
	}
	for _, tt := range []struct {
		name string
		recs []bench.Record
		opt  Options
		msg  string
	}{
		{"no out", recs, Options{}, "no output folder"},
		{"no records", nil, Options{Out: filepath.Join(dir, "x")}, "no records"},
	} {
		if _, err := Write(h, tt.recs, tt.opt); err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.msg)
		}
	}
}

func TestCombine(t *testing.T) {
	recs := readQuick(t)
	a, b := recs[:10], recs[6:]
	got, err := Combine([]string{"a", "b"}, [][]bench.Record{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(recs) {
		t.Fatalf("combined %d records, want %d: a run in both files is kept once", len(got), len(recs))
	}
	other := slices.Clone(b)
	other[0].RecordID = strings.Repeat("0", 64)
	_, err = Combine([]string{"a.jsonl", "b.jsonl"}, [][]bench.Record{a, other})
	if err == nil || !strings.Contains(err.Error(), "recorded in a.jsonl and b.jsonl with different results") {
		t.Fatalf("a run recorded differently in two files: %v", err)
	}
}

func TestCommands(t *testing.T) {
	h := harness()
	recs := readQuick(t)
	for _, tt := range []struct {
		name  string
		recs  []bench.Record
		files []string
		want  []string
	}{
		{"whole suite", recs, []string{"results/quick.jsonl"}, []string{
			"hiddendim bench --suite quick --out results/quick.jsonl",
			"hiddendim report results/quick.jsonl --out report"}},
		{"some tasks", recs[:4], []string{"my results/q.jsonl"}, []string{
			"hiddendim bench --suite quick --tasks shapes-multilabel,vae-shapes --out 'my results/q.jsonl'"}},
	} {
		got := commands(h, tt.recs, tt.files)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: commands\n%s\nlack %q", tt.name, got, w)
			}
		}
	}
	r := slices.Clone(recs[:1])
	r[0].Env.VCSRevision, r[0].Suite = "0123abc", "mine"
	got := commands(h, r, nil)
	for _, w := range []string{"git checkout 0123abc", "hiddendim bench --suite mine.json --out results/mine.jsonl   # mine is a suite file"} {
		if !strings.Contains(got, w) {
			t.Errorf("commands\n%s\nlack %q", got, w)
		}
	}
}

func TestSlugsAndQuotes(t *testing.T) {
	used := map[string]bool{"environment": true}
	for _, tt := range []struct{ in, want string }{
		{"shapes-multilabel", "shapes-multilabel"},
		{"Environment", "environment-2"}, // the page's own section keeps its id
		{"environment", "environment-3"},
		{"a b/c", "a-b-c"},
		{"..", "x"},
		{"", "x-2"},
	} {
		if got := uniqueSlug(tt.in, used); got != tt.want {
			t.Errorf("uniqueSlug(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"results/quick.jsonl", "results/quick.jsonl"},
		{"my results/q.jsonl", "'my results/q.jsonl'"},
		{"it's", `'it'\''s'`},
		{"", "''"},
	} {
		if got := shellQuote(tt.in); got != tt.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestPicturesAreCapped: past maxPictures the pictures are named, not
// copied, and past maxLeftNamed names the rest are counted.
func TestPicturesAreCapped(t *testing.T) {
	dir := t.TempDir()
	pics := filepath.Join(dir, "pictures")
	writePicture(t, filepath.Join(pics, "p000.png"))
	b, err := os.ReadFile(filepath.Join(pics, "p000.png"))
	if err != nil {
		t.Fatal(err)
	}
	const n = maxPictures + maxLeftNamed + 10
	for i := 1; i < n; i++ {
		if err := os.WriteFile(filepath.Join(pics, fmt.Sprintf("p%03d.png", i)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	page, err := Write(harness(), readQuick(t)[:1], Options{Out: filepath.Join(dir, "r"), Pictures: []string{pics}})
	if err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(html), `src="pictures/`); got != maxPictures {
		t.Errorf("%d pictures shown, want %d", got, maxPictures)
	}
	if !strings.Contains(string(html), fmt.Sprintf("p%03d.png", maxPictures)) || !strings.Contains(string(html), "and 10 more") {
		t.Error("the pictures left out are not named and counted")
	}
}
