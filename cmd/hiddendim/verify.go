package main

import (
	"context"
	"fmt"

	"github.com/hiddendim/hiddendim/generators"
)

func runVerify(ctx context.Context, args []string) error {
	if err := exactly(args, 1, "one dataset DIR"); err != nil {
		return err
	}
	if err := generators.Verify(args[0]); err != nil {
		return err
	}
	m, _ := generators.ReadManifest(args[0])
	n := 0
	for _, s := range m.Splits {
		n += s.Count
	}
	fmt.Printf("%s: intact (%s %s, %d samples in %d splits)\n", args[0], m.Dataset, m.Version, n, len(m.Splits))
	return nil
}
