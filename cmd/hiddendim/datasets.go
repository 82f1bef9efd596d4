package main

import (
	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/generators"
)

// datasets is every dataset the command line knows.
func datasets() *generators.Registry { return bench.Datasets() }
