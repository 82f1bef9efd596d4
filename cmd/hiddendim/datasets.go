package main

import (
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

// datasets is every dataset the command line knows.
func datasets() *generators.Registry {
	return generators.NewRegistry(generators.Shapes{}, scenes.Relations{}, scenes.Counting{}, clevrlite.SortOfCLEVR{}, webpages.Pages{})
}

// harness is the benchmark harness over every dataset and every kind of
// task the command line knows.
func harness() *bench.Harness {
	return bench.NewHarness(datasets(), classify.Kind{}, vae.Kind{}, caption.Kind{}, reason.Kind{}, questions.Kind{}, structure.Kind{})
}
