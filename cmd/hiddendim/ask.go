package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/clevrlite"
	"github.com/hiddendim/hiddendim/generators"
)

func runAsk(ctx context.Context, args []string) error {
	fs := newFlags("ask")
	n := fs.Int("n", 100, "`N` relevant questions to write")
	split := fs.String("split", "test", "`NAME` of the split whose scenes are asked about")
	seed := fs.Uint64("seed", 1, "seed `S` of the draws")
	families := fs.String("families", "", "`F1,F2,...` the families to draw from (default: every family of the dataset's config)")
	out := fs.String("out", "", "`FILE` for the questions, one JSON object a line (default: stdout)")
	score := fs.String("score", "", "`FILE.jsonl` of questions to score instead, a JSON object a line with id and text")
	asJSON := fs.Bool("json", false, "with --score: print the score as JSON")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := exactly(pos, 1, "one clevrlite dataset DIR"); err != nil {
		return err
	}
	if *score != "" {
		for _, name := range []string{"n", "seed", "families", "out"} {
			if flagGiven(fs, name) {
				return usageErrorf("ask: --score scores the questions of a file; it takes no --%s", name)
			}
		}
	} else if *asJSON {
		return usageErrorf("ask: --json goes with --score")
	}
	if *n < 1 {
		return usageErrorf("ask: --n %d: want at least 1 question", *n)
	}
	qs, exs, err := openScenes(pos[0], *split)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if *score != "" {
		return scoreQuestions(qs, exs, *score, pos[0]+"/"+*split, *asJSON)
	}
	var fams []string
	if *families != "" {
		fams = strings.Split(*families, ",")
		for _, f := range fams {
			if !slices.Contains(qs.Families(), f) {
				return usageErrorf("ask: --families: no family %q in %s's questions; known: %s", f, pos[0], strings.Join(qs.Families(), ", "))
			}
		}
	}
	asked, tally, err := qs.Ask(exs, *n, fams, rand.New(rand.NewPCG(*seed, 0)))
	if tally != nil {
		fmt.Fprintf(os.Stderr, "ask: %d draws on %d scenes of %s/%s (seed %d), %s relevant\n",
			tally.Questions, len(exs), pos[0], *split, *seed, formatShare(tally.Share()))
		printFamilies(os.Stderr, tally, "draws")
	}
	if err != nil {
		return err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, a := range asked {
		if err := enc.Encode(a); err != nil {
			return err
		}
	}
	if *out == "" {
		_, err := os.Stdout.Write(b.Bytes())
		return err
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		os.Remove(*out)
		return fmt.Errorf("ask: %w", err)
	}
	fmt.Fprintf(os.Stderr, "ask: wrote %d questions to %s\n", len(asked), *out)
	return nil
}

// openScenes reads the scenes of a split of a clevrlite dataset, with the
// question families of its config. Another dataset, a missing split, or
// the npz format (whose records keep no scenes) is a usage error.
func openScenes(dir, split string) (*clevrlite.Questions, []clevrlite.Example, error) {
	r, err := generators.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	m := r.Manifest
	if name := (clevrlite.SortOfCLEVR{}).Name(); m.Dataset != name {
		return nil, nil, usageErrorf("ask: %s is a %s dataset; ask asks about the scenes of a %s dataset", dir, m.Dataset, name)
	}
	if !m.Format.Records() {
		return nil, nil, usageErrorf("ask: %s is in the %s format, whose records keep no scenes; generate it with --format png, tar or parquet", dir, m.Format)
	}
	if _, ok := m.Splits[split]; !ok {
		return nil, nil, usageErrorf("ask: %s has no split %q; it has %s", dir, split, strings.Join(m.SplitOrder, ", "))
	}
	var cfg clevrlite.Config
	if err := json.Unmarshal(m.Config, &cfg); err != nil {
		return nil, nil, fmt.Errorf("ask: %s: config: %w", dir, err)
	}
	qs, err := clevrlite.NewQuestions(&cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("ask: %s: %w", dir, err)
	}
	sr, err := r.Split(split)
	if err != nil {
		return nil, nil, err
	}
	defer sr.Close()
	var exs []clevrlite.Example
	for sr.Next() {
		var ex clevrlite.Example
		if err := sr.Record().Decode(&ex); err != nil {
			return nil, nil, fmt.Errorf("ask: %s/%s sample %d: %w", dir, split, sr.Record().Index, err)
		}
		ex.Questions = nil // only the scene is asked about
		exs = append(exs, ex)
	}
	if err := sr.Err(); err != nil {
		return nil, nil, err
	}
	if len(exs) == 0 {
		return nil, nil, usageErrorf("ask: %s/%s holds no samples", dir, split)
	}
	return qs, exs, nil
}

// scoreQuestions prints the share of the questions in file (JSON lines
// with id and text) that are relevant to their scenes, overall and per
// family, and the share whose text was not understood. where names the
// split in messages.
func scoreQuestions(qs *clevrlite.Questions, exs []clevrlite.Example, file, where string, asJSON bool) error {
	scenes := make(map[string]*clevrlite.Scene, len(exs))
	for _, ex := range exs {
		scenes[ex.ID] = qs.Scene(ex.Objects)
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("ask: --score: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	score := qs.NewScore()
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var q struct {
			ID   *string `json:"id"`
			Text *string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			return fmt.Errorf("ask: %s:%d: want a JSON object with id and text: %w", file, line, err)
		}
		if q.ID == nil || q.Text == nil {
			return fmt.Errorf("ask: %s:%d: want a JSON object with id and text, got %s", file, line, sc.Bytes())
		}
		s, ok := scenes[*q.ID]
		if !ok {
			return fmt.Errorf("ask: %s:%d: id %q is not a sample of %s (ids %s to %s)", file, line, *q.ID, where, exs[0].ID, exs[len(exs)-1].ID)
		}
		family, prog, err := qs.Parse(*q.Text)
		if err != nil {
			score.AddUnparsed()
			continue
		}
		_, why := clevrlite.Relevant(prog, s)
		if err := score.Add(family, why); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("ask: %s: %w", file, err)
	}
	if score.Questions == 0 {
		return fmt.Errorf("ask: %s holds no questions", file)
	}
	if asJSON {
		return printScoreJSON(os.Stdout, score)
	}
	fmt.Printf("%d questions about %s: %s relevant (%d), %s not understood (%d)\n", score.Questions, where,
		formatShare(score.Share()), score.Relevant, formatShare(float64(score.Unparsed)/float64(score.Questions)), score.Unparsed)
	printFamilies(os.Stdout, score, "questions")
	return nil
}

// printFamilies writes one line per family with questions: the share
// relevant, of how many, and the flaws of the others.
func printFamilies(w io.Writer, s *clevrlite.Score, what string) {
	for _, f := range s.Families {
		if f.Questions == 0 {
			continue
		}
		fmt.Fprintf(w, "  %-22s %6s relevant of %5d %s", f.Family, formatShare(f.Share()), f.Questions, what)
		var flaws []string
		for flaw, k := range f.Flaws {
			if k > 0 {
				flaws = append(flaws, fmt.Sprintf("%s %d", clevrlite.Flaw(flaw), k))
			}
		}
		if len(flaws) > 0 {
			fmt.Fprintf(w, "; %s", strings.Join(flaws, ", "))
		}
		fmt.Fprintln(w)
	}
}

// printScoreJSON writes the score as one JSON object, the flaws by name.
func printScoreJSON(w io.Writer, s *clevrlite.Score) error {
	type family struct {
		Family    string         `json:"family"`
		Questions int            `json:"questions"`
		Relevant  int            `json:"relevant"`
		Share     float64        `json:"share_relevant"`
		Flaws     map[string]int `json:"flaws,omitempty"`
	}
	out := struct {
		Questions int      `json:"questions"`
		Relevant  int      `json:"relevant"`
		Unparsed  int      `json:"not_understood"`
		Share     float64  `json:"share_relevant"`
		Families  []family `json:"families"`
	}{Questions: s.Questions, Relevant: s.Relevant, Unparsed: s.Unparsed, Share: s.Share(), Families: []family{}}
	for _, f := range s.Families {
		if f.Questions == 0 {
			continue
		}
		fj := family{Family: f.Family, Questions: f.Questions, Relevant: f.Relevant, Share: f.Share()}
		for flaw, k := range f.Flaws {
			if k > 0 {
				if fj.Flaws == nil {
					fj.Flaws = map[string]int{}
				}
				fj.Flaws[clevrlite.Flaw(flaw).String()] = k
			}
		}
		out.Families = append(out.Families, fj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func formatShare(share float64) string { return fmt.Sprintf("%.1f%%", 100*share) }
