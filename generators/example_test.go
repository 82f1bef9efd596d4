package generators_test

import (
	"fmt"

	"github.com/hiddendim/hiddendim/generators"
)

// Render the first samples of the default shapes config in memory: what
// Write puts on disk, before encoding.
func ExampleShapes() {
	ds := generators.Shapes{}
	sampler, err := ds.New(ds.DefaultConfig())
	if err != nil {
		panic(err)
	}
	r := sampler.NewRenderer()
	for i := 0; i < 3; i++ {
		key := generators.SampleKey{Seed: 7, Split: "train", Index: i}
		s, err := r.Render(key, generators.NewSampleRand(key.Seed, key.Split, key.Index))
		if err != nil {
			panic(err)
		}
		ex := s.Record.(*generators.ShapesExample)
		fmt.Println(ex.ID, ex.Caption, ex.BBox)
	}
	// Output:
	// 000000 green square [6 6 25 25]
	// 000001 blue triangle [13 7 25 20]
	// 000002 red circle [4 7 17 20]
}

func ExampleSetConfig() {
	cfg := generators.Shapes{}.DefaultConfig()
	if err := generators.SetConfig(cfg, "colors", "red,yellow"); err != nil {
		panic(err)
	}
	fmt.Println(generators.SetConfig(cfg, "colour", "red"))
	fmt.Println(cfg.(*generators.ShapesConfig).Colors)
	// Output:
	// generators: unknown config key "colour"; known: image_size, size_min, size_max, jitter, rotation, background, shapes, colors, holdout
	// [red yellow]
}
