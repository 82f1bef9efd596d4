package report

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hiddendim/hiddendim/bench"
)

// Options configure Write.
type Options struct {
	// Out is the folder the report is written to: index.html, and the
	// pictures under plots/, datasets/ and pictures/. It must not exist, be
	// empty, or hold an earlier report, which is replaced whole.
	Out string
	// Files names the record files the records came from, in the page and
	// its commands, as given; nil names none.
	Files []string
	// CacheDir is the dataset cache bench ran with; "" draws no contact
	// sheets.
	CacheDir string
	// Pictures lists folders searched for PNG pictures; nil means none.
	Pictures []string
}

// IndexFile is the page's name in Options.Out.
const IndexFile = "index.html"

// generatorMeta marks a folder as a report, so that writing a report
// again may replace it.
const generatorMeta = `<meta name="generator" content="hiddendim report">`

// maxPictures is the most pictures a report copies from the picture
// folders: more make a page too long to read, and the rest are named.
const maxPictures = 200

// Write writes the report of recs into opt.Out and returns the page's
// path. The records are aggregated as h.Aggregate does; records of one run
// must not appear twice (see Combine). It refuses an opt.Out that holds
// files but no earlier report.
func Write(h *bench.Harness, recs []bench.Record, opt Options) (string, error) {
	if opt.Out == "" {
		return "", errors.New("report: no output folder")
	}
	if len(recs) == 0 {
		return "", errors.New("report: no records")
	}
	if err := checkOut(opt.Out); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(opt.Out)), "."+filepath.Base(opt.Out)+".tmp-")
	if err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	defer os.RemoveAll(tmp)
	p, err := build(h, recs, opt, tmp)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, IndexFile), buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	// The folder is replaced only once the new report is whole.
	if err := os.RemoveAll(opt.Out); err != nil {
		return "", fmt.Errorf("report: replacing %s: %w", opt.Out, err)
	}
	if err := os.Rename(tmp, opt.Out); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	return filepath.Join(opt.Out, IndexFile), nil
}

// checkOut refuses an output folder that holds something other than a
// report: replacing it would delete the user's files.
func checkOut(out string) error {
	entries, err := os.ReadDir(out)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(entries) == 0) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("report: --out %s: %w", out, err)
	}
	b, err := os.ReadFile(filepath.Join(out, IndexFile))
	if err != nil || !bytes.Contains(b, []byte(generatorMeta)) {
		return fmt.Errorf("report: %s holds files but no earlier report; want a new or empty folder, or one a report was written to", out)
	}
	return nil
}

// Combine joins record files into one set, as the shards of one suite or
// several suites: a run recorded in several files (the same run key) is
// kept once if its records agree (the same record id), and refused if
// they do not. names name the sets in errors.
func Combine(names []string, sets [][]bench.Record) ([]bench.Record, error) {
	type seen struct {
		file int
		rec  bench.Record
	}
	have := map[string]seen{}
	var out []bench.Record
	for i, s := range sets {
		for _, r := range s {
			if old, ok := have[r.RunKey]; ok {
				if old.rec.RecordID != r.RecordID {
					return nil, fmt.Errorf("report: %s %s seed %d is recorded in %s and %s with different results (records %.12s… and %.12s…); pass one of them",
						r.Task, r.Model, r.Seed, names[old.file], names[i], old.rec.RecordID, r.RecordID)
				}
				continue
			}
			have[r.RunKey] = seen{i, r}
			out = append(out, r)
		}
	}
	return out, nil
}

// page is what the template shows.
type page struct {
	Meta     template.HTML
	Files    []string
	Records  int
	Suites   []string
	Summary  []summaryRow
	Tasks    []taskSection
	Others   []pictureGroup
	Left     []string
	Envs     []envRow
	Commands string
}

type summaryRow struct {
	Anchor, Task, Primary, Best string
	Value                       string
	Models, Seeds               int
}

type taskSection struct {
	Anchor      string
	Task        string
	Version     string
	Dataset     string
	Primary     string
	Board       boardTable
	PrimaryPlot string
	PlotCaption string
	Curve       string
	CurveNote   string
	Sheet       string
	SheetNote   string
	Pictures    []pictureGroup
}

// boardTable is a board laid out: models down and metrics across, or, for
// a board with more than wideBoard metrics, transposed.
type boardTable struct {
	Header []string
	Rows   [][]cell
	// More holds the rows past shownRows of a long transposed board,
	// shown folded.
	More [][]cell
}

// shownRows is how many rows of a long transposed board show unfolded;
// a board is long when it has more than foldRows.
const shownRows, foldRows = 12, 16

// cell is one table cell; Metric is set in leaderboard cells, which carry
// their numbers.
type cell struct {
	Text, CI        string
	Head            bool
	Task, Model     string
	Metric          string
	Value, Lo, Hi   string
	HasValue, HasCI bool
	Class           string
	RankOne         bool
}

// pictureGroup is the pictures of one folder.
type pictureGroup struct {
	Title, Folder string
	Items         []picture
}

type picture struct {
	Src, Caption string
	Wide         bool
}

type envRow struct {
	Harness, Revision, Go, Platform, CPU, BLAS string
	Procs, Records                             int
	TrainSeconds                               string
}

// wideBoard is the most metrics a board shows as columns, as in the
// terminal's leaderboard.
const wideBoard = 8

func build(h *bench.Harness, recs []bench.Record, opt Options, dir string) (*page, error) {
	boards := h.Aggregate(recs)
	p := &page{Meta: template.HTML(generatorMeta), Files: opt.Files, Records: len(recs)}
	byTask := map[string][]bench.Record{}
	suites := map[string]bool{}
	for _, r := range recs {
		byTask[r.Task] = append(byTask[r.Task], r)
		suites[r.Suite] = true
	}
	p.Suites = sortedKeys(suites)
	// The page's own sections' ids are taken.
	anchors := map[string]bool{"summary": true, "environment": true, "reproduce": true, "pictures": true}
	pics, others, left, err := collectPictures(opt.Pictures, opt.Out, boards, dir)
	if err != nil {
		return nil, err
	}
	p.Others, p.Left = others, left
	sheets := map[string]string{} // dataset folder → picture
	for _, b := range boards {
		rs := byTask[b.Task]
		anchor := uniqueSlug(b.Task, anchors)
		ds := rs[0].Dataset
		s := taskSection{Anchor: anchor, Task: b.Task, Version: rs[0].TaskVersion, Primary: arrow(b, b.Primary),
			Dataset: fmt.Sprintf("%s %s (spec %.12s…)", ds.Generator, ds.Version, ds.SpecSHA256), Board: layout(b)}
		if len(b.Entries) > 0 {
			best := b.Entries[0]
			p.Summary = append(p.Summary, summaryRow{Anchor: anchor, Task: b.Task, Primary: arrow(b, b.Primary), Best: best.Model,
				Value: cellText(best.Metrics[b.Primary], b.Primary), Models: len(b.Entries), Seeds: len(best.Seeds)})
		}
		var err error
		if s.PrimaryPlot, err = primaryPlot(dir, anchor, b, rs, h.Metric(b.Primary)); err != nil {
			return nil, err
		}
		s.PlotCaption = "The primary metric by model, best first, with its 95% interval"
		for _, e := range b.Entries {
			if len(e.Seeds) > 1 {
				s.PlotCaption += "; grey dots are single seeds"
				break
			}
		}
		s.PlotCaption += "."
		if s.Curve, s.CurveNote, err = curvePlot(dir, anchor, b, rs); err != nil {
			return nil, err
		}
		s.Sheet, s.SheetNote = contactSheet(dir, opt.CacheDir, ds, sheets)
		s.Pictures = pics[b.Task]
		p.Tasks = append(p.Tasks, s)
	}
	p.Envs = envs(recs)
	p.Commands = commands(h, recs, opt.Files)
	return p, nil
}

// layout lays a board out as the terminal's leaderboard does.
func layout(b bench.Board) boardTable {
	var t boardTable
	metricCell := func(e bench.Entry, m string) cell {
		v, ok := e.Metrics[m]
		c := cell{Task: b.Task, Model: e.Model, Metric: m, Class: "num"}
		if !ok {
			c.Text = "—"
			return c
		}
		c.HasValue, c.Value = true, num(v.Value)
		c.Text = valueText(v.Value, m)
		// A parameter count is exact: over seeds its interval is a point,
		// which the terminal's leaderboard does not show either.
		if v.CI95 != nil && m != "params" {
			c.HasCI, c.Lo, c.Hi = true, num(v.CI95[0]), num(v.CI95[1])
			c.CI = fmt.Sprintf("[%.4f, %.4f]", v.CI95[0], v.CI95[1])
		}
		c.RankOne = e.Rank == 1 && m == b.Primary
		return c
	}
	trainCell := func(e bench.Entry) cell {
		c := cell{Task: b.Task, Model: e.Model, Metric: "train_seconds", Class: "num", Text: "–"}
		if e.TrainSeconds != 0 {
			c.HasValue, c.Value, c.Text = true, num(e.TrainSeconds), fmt.Sprintf("%.1f", e.TrainSeconds)
		}
		return c
	}
	if len(b.Metrics) <= wideBoard {
		t.Header = []string{"rank", "model", "seeds"}
		for _, m := range b.Metrics {
			t.Header = append(t.Header, arrow(b, m))
		}
		t.Header = append(t.Header, "train s")
		for _, e := range b.Entries {
			row := []cell{{Text: strconv.Itoa(e.Rank), Class: "num"}, {Text: e.Model, Head: true}, {Text: strconv.Itoa(len(e.Seeds)), Class: "num"}}
			for _, m := range b.Metrics {
				row = append(row, metricCell(e, m))
			}
			t.Rows = append(t.Rows, append(row, trainCell(e)))
		}
		return t
	}
	t.Header = []string{"metric"}
	for _, e := range b.Entries {
		t.Header = append(t.Header, fmt.Sprintf("#%d %s (%s)", e.Rank, e.Model, plural(len(e.Seeds), "seed")))
	}
	for _, m := range b.Metrics {
		row := []cell{{Text: arrow(b, m), Head: true}}
		for _, e := range b.Entries {
			row = append(row, metricCell(e, m))
		}
		t.Rows = append(t.Rows, row)
	}
	row := []cell{{Text: "train s", Head: true}}
	for _, e := range b.Entries {
		row = append(row, trainCell(e))
	}
	t.Rows = append(t.Rows, row)
	if len(t.Rows) > foldRows {
		t.Rows, t.More = t.Rows[:shownRows], t.Rows[shownRows:]
	}
	return t
}

// arrow marks a metric's direction, as the terminal's leaderboard does.
func arrow(b bench.Board, metric string) string {
	if slices.Contains(b.LowerIsBetter, metric) {
		return metric + " ↓"
	}
	return metric + " ↑"
}

// valueText is a cell's value as the terminal's leaderboard shows it.
func valueText(v float64, metric string) string {
	if metric == "params" {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.4f", v)
}

// cellText is a value with its interval.
func cellText(m bench.Metric, metric string) string {
	s := valueText(m.Value, metric)
	if m.CI95 != nil && metric != "params" {
		s += fmt.Sprintf(" [%.4f, %.4f]", m.CI95[0], m.CI95[1])
	}
	return s
}

// num is a float in the shortest form that reads back as the same float.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// envs lists the distinct environments the records ran in, with how many
// records each.
func envs(recs []bench.Record) []envRow {
	type agg struct {
		env  bench.Env
		n    int
		secs float64
	}
	var order []string
	m := map[string]*agg{}
	for _, r := range recs {
		k := fmt.Sprintf("%+v", r.Env)
		if m[k] == nil {
			m[k] = &agg{env: r.Env}
			order = append(order, k)
		}
		m[k].n++
		m[k].secs += r.Timings.TrainSeconds
	}
	sort.Strings(order)
	var out []envRow
	for _, k := range order {
		a := m[k]
		e := a.env
		rev := e.VCSRevision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if e.VCSModified {
			rev += " (modified)"
		}
		out = append(out, envRow{Harness: e.Harness, Revision: rev, Go: e.Go, Platform: e.OS + "/" + e.Arch, CPU: e.CPU, BLAS: e.BLAS,
			Procs: e.GOMAXPROCS, Records: a.n, TrainSeconds: fmt.Sprintf("%.0f", a.secs)})
	}
	return out
}

// commands are the shell lines that reproduce the records: the revision,
// each suite's bench run (with --tasks when the records hold only some of
// a built-in suite's tasks), then the leaderboard and the report.
func commands(h *bench.Harness, recs []bench.Record, files []string) string {
	var lines []string
	revs := map[string]bool{}
	modified := false
	for _, r := range recs {
		revs[r.Env.VCSRevision] = true
		modified = modified || r.Env.VCSModified
	}
	switch {
	case len(revs) == 1 && !revs["unknown"] && !revs[""]:
		line := "git checkout " + sortedKeys(revs)[0]
		if modified {
			line += "   # the runs had uncommitted changes on top of it"
		}
		lines = append(lines, line)
	case len(revs) > 1:
		lines = append(lines, "# the records come from "+plural(len(revs), "revision")+": "+strings.Join(sortedKeys(revs), ", "))
	default:
		lines = append(lines, "# the binary that wrote the records was built without its git revision")
	}
	tasks := map[string][]string{}
	var suites []string
	for _, r := range recs {
		if _, ok := tasks[r.Suite]; !ok {
			suites = append(suites, r.Suite)
		}
		if !slices.Contains(tasks[r.Suite], r.Task) {
			tasks[r.Suite] = append(tasks[r.Suite], r.Task)
		}
	}
	var outs []string
	for _, s := range suites {
		out := filepath.Join("results", s+".jsonl")
		if len(suites) == 1 && len(files) > 0 {
			out = files[0]
		}
		outs = append(outs, shellQuote(out))
		if !slices.Contains(bench.BuiltinSuites(), s) {
			lines = append(lines, fmt.Sprintf("hiddendim bench --suite %s --out %s   # %s is a suite file", shellQuote(s+".json"), shellQuote(out), s))
			continue
		}
		line := fmt.Sprintf("hiddendim bench --suite %s --out %s", s, shellQuote(out))
		if suite, err := h.LookupSuite(s); err == nil && len(suite.Tasks) != len(tasks[s]) {
			line = fmt.Sprintf("hiddendim bench --suite %s --tasks %s --out %s", s, strings.Join(tasks[s], ","), shellQuote(out))
		}
		lines = append(lines, line)
	}
	lines = append(lines, "hiddendim leaderboard "+strings.Join(outs, " "), "hiddendim report "+strings.Join(outs, " ")+" --out report")
	return strings.Join(lines, "\n")
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe
// characters.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=,:+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// slug is s made safe for a file name and an HTML id.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 || strings.Trim(b.String(), ".") == "" {
		return "x"
	}
	return b.String()
}

// uniqueSlug is slug(s), numbered if used already.
func uniqueSlug(s string, used map[string]bool) string {
	base := slug(s)
	out := base
	for i := 2; used[out]; i++ {
		out = fmt.Sprintf("%s-%d", base, i)
	}
	used[out] = true
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// finite reports whether v can be drawn.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))
