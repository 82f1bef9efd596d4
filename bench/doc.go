// Package bench is hiddendim's benchmark kernel: suites of tasks, the run
// loop, records, the shared statistics, the dataset cache and
// leaderboards. It knows no kind of task. Each kind (classification, VAEs,
// captioning) is a package under bench that implements Kind: it loads its
// data, builds and trains its models, and scores them. The command line
// builds a Harness from the datasets and the kinds it knows:
//
//	h := bench.NewHarness(datasets, classify.Kind{}, vae.Kind{}, caption.Kind{})
//	suite, err := h.LookupSuite("quick") // or a suite file: "./my-suite.json"
//	recs, err := h.Run(ctx, suite, bench.Options{Out: "results/quick.jsonl"})
//	bench.WriteBoards(os.Stdout, h.Aggregate(recs), "table")
//
// # Suites
//
// A suite is a JSON file (the built-in ones are embedded from suites/):
// its tasks name a kind, a dataset exactly (generator, version, seed,
// settings, split sizes), the models compared (each a name and its kind's
// config), the budget, the seeds, the metrics shown and the one ranked by,
// and optional sanity targets. ReadSuite checks every field and names the
// one at fault. A dataset's version is a literal: a build that renders
// another version refuses the suite, so a MAJOR dataset bump cannot change
// a task's data silently.
//
// # Determinism and records
//
// A run is a pure function of (task, model, seed): the same inputs train to
// the same bits on the same machine. Each run appends one Record, whose id
// hashes everything but timings and environment, so a rerun that
// reproduces shares the id; Options.Verify runs everything twice and fails
// if a single score differs. A rerun skips the runs its output already
// records.
//
// # Shards
//
// Plan deals a suite's runs into N shards balanced by estimated time, the
// same on every machine; Options.Shard runs one, writing the very records
// (ids included) a one-machine run writes for those runs. MergeRecordFiles
// takes the shards' record files together (a run held twice must have
// the same record), SuiteOrder or Suite.Order restores the suite's order,
// and Check holds the merged records to the suite. The dataset Cache may
// be shared by several processes, on one machine or many: each dataset is
// generated aside and renamed into place.
//
// # Shared parts
//
// What several kinds use lives here: Training and Fit (single-model
// training with a checkpoint per epoch, resume and overwrite), Job.Train
// (training in a suite, with progress), AppendCHW and CHWImage (images to
// tensors and back), Wilson, MeanCI and BootstrapCI, MismatchError.
package bench
