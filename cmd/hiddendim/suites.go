package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/olekukonko/tablewriter"
)

// listSuites prints the named suites (built-in names or files): in json,
// each suite as a file `bench --suite FILE` runs; otherwise a table per
// suite of its tasks, models, seeds and measured minutes.
func listSuites(w io.Writer, h *bench.Harness, names []string, format string) error {
	var suites []bench.Suite
	for _, n := range names {
		s, err := h.LookupSuite(n)
		if err != nil {
			return asUsage(err)
		}
		suites = append(suites, s)
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if len(suites) == 1 {
			return enc.Encode(suites[0])
		}
		return enc.Encode(suites)
	}
	for i, s := range suites {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s — %s\nmeasured: %s\n", s.Name, s.Description, minutes(s.Minutes))
		t := tablewriter.NewWriter(w)
		t.Header("task", "kind", "dataset", "train / test", "models", "seeds", "budget", "measured")
		for _, task := range s.Tasks {
			var models []string
			for _, m := range task.Models {
				models = append(models, m.Name)
			}
			var seeds []string
			for _, sd := range task.Seeds {
				seeds = append(seeds, fmt.Sprint(sd))
			}
			sizes := map[string]int{}
			for _, sp := range task.Dataset.Splits {
				sizes[sp.Name] = sp.Count
			}
			b := task.Budget
			budget := fmt.Sprintf("%d epochs, batch %d, lr %g", b.Epochs, b.Batch, b.LR)
			if b.Schedule != bench.Constant {
				budget += " " + b.Schedule.String()
			}
			t.Append(task.Name, task.Kind, task.Dataset.Generator+" "+task.Dataset.Version,
				fmt.Sprintf("%d / %d", sizes[task.Dataset.Train], sizes[task.Dataset.Test]),
				strings.Join(models, ", "), strings.Join(seeds, ", "), budget, minutes(task.Minutes))
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	return nil
}

// minutes says a measured time, or that there is none.
func minutes(m float64) string {
	switch {
	case m == 0:
		return "not measured"
	case m < 2:
		return fmt.Sprintf("%.0f s", m*60)
	}
	return fmt.Sprintf("%.0f min", m)
}
