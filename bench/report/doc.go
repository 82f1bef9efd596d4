// Package report writes a static HTML report of benchmark records: one
// page, index.html, with its pictures as PNG files beside it, that opens
// from disk with no network and no script.
//
// The page holds, per task, its leaderboard (bench's aggregation, the one
// `hiddendim leaderboard` prints), a plot of the primary metric by model
// with its 95% interval (over seeds, a Student-t interval of the mean; for
// one seed, the run's own), the training curves the records hold
// (timings.epoch_loss, each epoch's mean batch loss), a contact sheet of the
// task's test data when the dataset cache holds it, and the pictures found
// in the picture folders; then the environments the runs ran in and the
// commands that reproduce them.
//
// Every leaderboard cell carries data-task, data-model and data-metric
// attributes and its exact numbers (data-value, data-lo, data-hi), so a
// reader, or a test, can check the page against the records.
//
// # Determinism
//
// The page is a pure function of the records, the cached datasets and the
// picture folders: it holds no clock and no path of the machine it was
// written on (record files are named as given). Two reports of the same
// records are the same bytes.
//
// # Pictures
//
// Pictures are PNG files under the Options.Pictures folders. A picture
// whose first folder under a picture folder is a task's name is shown with
// that task; the others are shown at the end, by folder. bench draws each
// run's pictures in that layout (bench.Options.Pictures:
// <task>/<model>/seed-<seed>/: a VAE's latent space, caption strips with
// attention, a reasoner's explained questions, a segnet's masks and
// trees, a classifier's filters, a question encoder's grouping), and
// `hiddendim analyze`, `caption`, `explain`, `parse` and `inspect` write
// the same pictures with --out, which may point into such a folder
// ("results/pictures/vae-shapes/"). Files that are not PNG are skipped,
// and past 200 pictures the rest are named, not copied.
//
// # Example
//
//	recs, err := bench.ReadRecords("results/quick.jsonl")
//	page, err := report.Write(h, recs, report.Options{Out: "results/quick-report",
//		Files: []string{"results/quick.jsonl"}, CacheDir: bench.DefaultCacheDir()})
package report
