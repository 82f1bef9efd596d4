package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/olekukonko/tablewriter"
)

func runList(ctx context.Context, args []string) error {
	pos, err := parseInterleaved(newFlags("list"), args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("list takes no arguments, got %v", pos)
	}
	reg := datasets()
	t := tablewriter.NewWriter(os.Stdout)
	t.Header("dataset", "version", "default splits", "description")
	for _, name := range reg.Names() {
		ds, _ := reg.Lookup(name)
		t.Append(name, ds.Version().String(), splitsString(ds.DefaultSplits()), ds.Description())
	}
	return t.Render()
}

func splitsString(ss []generators.SplitSize) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = fmt.Sprintf("%s=%d", s.Name, s.Count)
	}
	return strings.Join(parts, ",")
}

func runDescribe(ctx context.Context, args []string) error {
	pos, err := parseInterleaved(newFlags("describe"), args)
	if err != nil {
		return err
	}
	if err := exactly(pos, 1, "one DATASET (see `hiddendim list`)"); err != nil {
		return err
	}
	ds, err := datasets().Lookup(pos[0])
	if err != nil {
		return asUsage(err)
	}
	cfg := ds.DefaultConfig()
	sampler, err := ds.New(cfg)
	if err != nil {
		return err
	}
	fmt.Printf("%s %s: %s\ndefault splits: %s\n\nFeatures (default config):\n", ds.Name(), ds.Version(), ds.Description(), splitsString(ds.DefaultSplits()))
	t := tablewriter.NewWriter(os.Stdout)
	t.Header("feature", "kind", "shape", "values", "description")
	for _, f := range sampler.Features() {
		shape := ""
		if len(f.Shape) > 0 {
			shape = strings.Trim(strings.ReplaceAll(fmt.Sprint(f.Shape), " ", "×"), "[]")
		}
		t.Append(f.Name, f.Kind.String(), shape, strings.Join(f.Vocab, ","), f.Doc)
	}
	if err := t.Render(); err != nil {
		return err
	}
	fmt.Printf("\nConfig keys (--set key=value):\n")
	t = tablewriter.NewWriter(os.Stdout)
	t.Header("key", "type", "default", "meaning")
	for _, k := range generators.ConfigKeys(cfg) {
		t.Append(k.Name, k.Type, k.Default, k.Help)
	}
	return t.Render()
}
