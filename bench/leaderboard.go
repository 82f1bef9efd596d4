package bench

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Formats lists the leaderboard output formats.
var Formats = []string{"table", "markdown", "csv", "json"}

// Entry is one model's aggregate on one task.
type Entry struct {
	Task    string            `json:"task"`
	Model   string            `json:"model"`
	Rank    int               `json:"rank"`
	Seeds   []uint64          `json:"seeds"`
	Primary string            `json:"primary"`
	Metrics map[string]Metric `json:"metrics"`
	// TrainSeconds is the mean training time, for reading, not ranking.
	TrainSeconds float64 `json:"train_seconds"`
}

// Board is one task's ranking.
type Board struct {
	Task    string   `json:"task"`
	Primary string   `json:"primary"`
	Metrics []string `json:"metrics"`
	Entries []Entry  `json:"entries"`
	// LowerIsBetter lists the board's metrics ranked low to high.
	LowerIsBetter []string `json:"lower_is_better"`
}

// Aggregate groups records by task and model: over several seeds a metric
// is their mean with a Student-t 95% interval; for one seed it keeps the
// run's own interval. Models are ranked by the primary metric.
func (h *Harness) Aggregate(recs []Record) []Board {
	type key struct{ task, model string }
	groups := map[key][]Record{}
	var tasks []string
	seenTask := map[string]bool{}
	for _, r := range recs {
		k := key{r.Task, r.Model}
		groups[k] = append(groups[k], r)
		if !seenTask[r.Task] {
			seenTask[r.Task] = true
			tasks = append(tasks, r.Task)
		}
	}
	var boards []Board
	for _, task := range tasks {
		b := Board{Task: task}
		names := map[string]bool{}
		for k, rs := range groups {
			if k.task != task {
				continue
			}
			sort.Slice(rs, func(i, j int) bool { return rs[i].Seed < rs[j].Seed })
			e := Entry{Task: task, Model: k.model, Primary: rs[0].Primary, Metrics: map[string]Metric{}}
			var secs float64
			for _, r := range rs {
				e.Seeds = append(e.Seeds, r.Seed)
				secs += r.Timings.TrainSeconds
				for m := range r.Metrics {
					names[m] = true
				}
			}
			e.TrainSeconds = secs / float64(len(rs))
			for m := range names {
				var vals []float64
				for _, r := range rs {
					if v, ok := r.Metrics[m]; ok {
						vals = append(vals, v.Value)
					}
				}
				switch {
				case len(vals) == 0:
				case len(rs) == 1:
					e.Metrics[m] = rs[0].Metrics[m]
				default:
					e.Metrics[m] = clampCI(h.Metric(m), MeanCI(vals))
				}
			}
			b.Primary = e.Primary
			b.Entries = append(b.Entries, e)
		}
		b.Metrics = orderMetrics(names, b.Primary)
		b.LowerIsBetter = []string{}
		for _, m := range b.Metrics {
			if h.Metric(m).LowerIsBetter {
				b.LowerIsBetter = append(b.LowerIsBetter, m)
			}
		}
		sort.SliceStable(b.Entries, func(i, j int) bool {
			x, y := b.Entries[i].Metrics[b.Primary].Value, b.Entries[j].Metrics[b.Primary].Value
			if x != y {
				if h.Metric(b.Primary).LowerIsBetter {
					return x < y
				}
				return x > y
			}
			return b.Entries[i].Model < b.Entries[j].Model
		})
		for i := range b.Entries {
			b.Entries[i].Rank = i + 1
		}
		boards = append(boards, b)
	}
	return boards
}

// clampCI keeps an interval inside the metric's range: a Student-t
// interval over a few seeds can reach past either end.
func clampCI(info MetricInfo, m Metric) Metric {
	if m.CI95 == nil {
		return m
	}
	m.CI95 = &[2]float64{max(info.Min, m.CI95[0]), min(info.Max, m.CI95[1])}
	return m
}

// orderMetrics puts the primary first and params last.
func orderMetrics(names map[string]bool, primary string) []string {
	var out []string
	for n := range names {
		if n != primary && n != "params" {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	out = append([]string{primary}, out...)
	if names["params"] {
		out = append(out, "params")
	}
	return out
}

// arrow marks a metric's direction: ↓ if lower is better, else ↑.
func (b Board) arrow(metric string) string {
	if slices.Contains(b.LowerIsBetter, metric) {
		return metric + " ↓"
	}
	return metric + " ↑"
}

func cell(m Metric, ok bool, metric string) string {
	if !ok {
		return "—"
	}
	if metric == "params" {
		return fmt.Sprintf("%.0f", m.Value)
	}
	if m.CI95 == nil {
		return fmt.Sprintf("%.4f", m.Value)
	}
	return fmt.Sprintf("%.4f [%.4f, %.4f]", m.Value, m.CI95[0], m.CI95[1])
}

// WriteBoards renders the boards in one of Formats.
func WriteBoards(w io.Writer, boards []Board, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(boards)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"task", "model", "rank", "seeds", "metric", "value", "ci95_lo", "ci95_hi"})
		for _, b := range boards {
			for _, e := range b.Entries {
				for _, m := range b.Metrics {
					v, ok := e.Metrics[m]
					if !ok {
						continue
					}
					lo, hi := "", ""
					if v.CI95 != nil {
						lo, hi = fmtFloat(v.CI95[0]), fmtFloat(v.CI95[1])
					}
					cw.Write([]string{b.Task, e.Model, fmt.Sprint(e.Rank), fmt.Sprint(len(e.Seeds)), m, fmtFloat(v.Value), lo, hi})
				}
			}
		}
		cw.Flush()
		return cw.Error()
	case "table", "markdown", "":
		for i, b := range boards {
			if i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "%s — ranked by %s; value [95%% interval]: over seeds a Student-t interval of the mean, for one seed the run's own (Wilson for accuracies)\n", b.Task, b.arrow(b.Primary))
			if len(b.Metrics) > wideBoard {
				if err := writeTransposed(w, b, format); err != nil {
					return err
				}
				continue
			}
			t := newTable(w, format)
			header := []any{"rank", "model", "seeds"}
			for _, m := range b.Metrics {
				header = append(header, b.arrow(m))
			}
			header = append(header, "train s")
			t.Header(header...)
			for _, e := range b.Entries {
				row := []any{e.Rank, e.Model, len(e.Seeds)}
				for _, m := range b.Metrics {
					v, ok := e.Metrics[m]
					row = append(row, cell(v, ok, m))
				}
				row = append(row, trainCell(e.TrainSeconds))
				t.Append(row...)
			}
			if err := t.Render(); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("bench: unknown format %q; want %s", format, strings.Join(Formats, ", "))
}

// wideBoard is the most metrics a board shows as columns; a board with
// more shows one row per metric and one column per model.
const wideBoard = 8

func writeTransposed(w io.Writer, b Board, format string) error {
	t := newTable(w, format)
	header := []any{"metric"}
	for _, e := range b.Entries {
		seeds := "1 seed"
		if len(e.Seeds) != 1 {
			seeds = fmt.Sprintf("%d seeds", len(e.Seeds))
		}
		header = append(header, fmt.Sprintf("#%d %s (%s)", e.Rank, e.Model, seeds))
	}
	t.Header(header...)
	for _, m := range b.Metrics {
		row := []any{b.arrow(m)}
		for _, e := range b.Entries {
			v, ok := e.Metrics[m]
			row = append(row, cell(v, ok, m))
		}
		t.Append(row...)
	}
	row := []any{"train s"}
	for _, e := range b.Entries {
		row = append(row, trainCell(e.TrainSeconds))
	}
	t.Append(row...)
	return t.Render()
}

// trainCell shows training seconds, or "–" for a board of scores that
// carry no timing (the one-model boards of train and eval).
func trainCell(s float64) string {
	if s == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f", s)
}

// newTable keeps header text as given: metric names are identifiers.
func newTable(w io.Writer, format string) *tablewriter.Table {
	opts := []tablewriter.Option{tablewriter.WithConfig(tablewriter.NewConfigBuilder().WithHeaderAutoFormat(tw.Off).Build())}
	if format == "markdown" {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
	}
	return tablewriter.NewTable(w, opts...)
}

func fmtFloat(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return fmt.Sprintf("%.6g", v)
}

// WriteComparison shows several record files side by side: for each task
// and model, the primary metric of each file, whether their record ids
// agree (the same runs, reproduced), and whether every metric of every
// seed agrees bit for bit (the same scores, though a record's inputs, and
// so its id, may have changed).
func (h *Harness) WriteComparison(w io.Writer, names []string, sets [][]Record, format string) error {
	per := make([][]Board, len(sets))
	for i, s := range sets {
		per[i] = h.Aggregate(s)
	}
	type key struct{ task, model string }
	rows := map[key][]string{}
	var order []key
	primary := map[string]string{}
	board := map[string]Board{}
	for i, boards := range per {
		for _, b := range boards {
			primary[b.Task] = b.Primary
			board[b.Task] = b
			for _, e := range b.Entries {
				k := key{b.Task, e.Model}
				if _, ok := rows[k]; !ok {
					rows[k] = make([]string, len(sets))
					order = append(order, k)
				}
				v, ok := e.Metrics[b.Primary]
				rows[k][i] = cell(v, ok, b.Primary)
			}
		}
	}
	// Per (task, model): the record ids, and the scores of each seed, in
	// seed order.
	ids := make([]map[key]string, len(sets))
	scores := make([]map[key]string, len(sets))
	for i, s := range sets {
		ids[i], scores[i] = map[key]string{}, map[key]string{}
		bySeed := map[key][]Record{}
		for _, r := range s {
			k := key{r.Task, r.Model}
			ids[i][k] += r.RecordID
			bySeed[k] = append(bySeed[k], r)
		}
		for k, rs := range bySeed {
			sort.Slice(rs, func(a, b int) bool { return rs[a].Seed < rs[b].Seed })
			for _, r := range rs {
				scores[i][k] += fmt.Sprintf("%d:%s;", r.Seed, hashJSON(r.Metrics))
			}
		}
	}
	if format == "json" || format == "csv" {
		return fmt.Errorf("bench: comparisons render as table or markdown")
	}
	t := newTable(w, format)
	header := []any{"task", "model", "primary"}
	for _, n := range names {
		header = append(header, n)
	}
	header = append(header, "same records", "same scores")
	t.Header(header...)
	for _, k := range order {
		row := []any{k.task, k.model, board[k.task].arrow(primary[k.task])}
		for _, c := range rows[k] {
			if c == "" {
				c = "—"
			}
			row = append(row, c)
		}
		same, sameScores := "yes", "yes"
		for i := 1; i < len(ids); i++ {
			if ids[i][k] != ids[0][k] {
				same = "no"
			}
			if scores[i][k] != scores[0][k] {
				sameScores = "no"
			}
		}
		row = append(row, same, sameScores)
		t.Append(row...)
	}
	return t.Render()
}
