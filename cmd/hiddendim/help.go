package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// helpEntry is one command's help: how it is called, what it does, and an
// example. Its flags come from the command's own FlagSet, so that a flag
// cannot exist without being listed.
type helpEntry struct {
	synopsis, summary, example string
}

// helpEntries is the help of every command, keyed by its name.
func helpEntries() map[string]helpEntry {
	return map[string]helpEntry{
		"generate": {
			"hiddendim generate DATASET --out DIR [--n N | --splits train=N,test=M] [--seed S] [--set key=value ...]\n" +
				"                   [--holdout \"red triangle,...\"] [--shard K/N] [--workers W]\n" +
				"                   [--format png|npz|tar|parquet] [--shard-samples N] [--rows-per-file R] [--overwrite]",
			"render a dataset into DIR: the samples of each split and a manifest with their checksums.\n" +
				"`hiddendim describe DATASET` lists the config keys --set takes; npz pads list features (objects,\n" +
				"relations) to the split's longest, with a <list>_count array; it refuses lists of images and webpages' trees.\n" +
				"tar writes WebDataset shards, DIR/<split>/shard-000000.tar, … of --shard-samples samples each, for\n" +
				"webdataset and Hugging Face datasets.\n" +
				"parquet writes the Hugging Face datasets layout (DIR/data/<split>-00000-of-0000N.parquet, R samples a file,\n" +
				"and a dataset card DIR/README.md) for every dataset: load_dataset(DIR) reads it, images as PIL images.\n" +
				"Every command that reads a dataset reads all four formats.",
			"hiddendim generate shapes --out data/shapes --splits train=1000,test=200 --seed 7",
		},
		"merge": {
			"hiddendim merge SHARD_DIR... --out DIR [--overwrite]",
			"join the shards written with generate --shard K/N into the unsharded dataset.",
			"hiddendim merge data/s0 data/s1 --out data/shapes",
		},
		"list": {
			"hiddendim list",
			"list the datasets, their versions and default splits.",
			"hiddendim list",
		},
		"describe": {
			"hiddendim describe DATASET",
			"print a dataset's features (default config) and its config keys with their defaults.",
			"hiddendim describe relations",
		},
		"verify": {
			"hiddendim verify DIR [--regenerate K] [--regenerate-seed S]",
			"check every file against its checksum and the manifest against its generator; --regenerate K\n" +
				"re-renders K samples spread over the splits from the manifest's spec and compares them (default 8).",
			"hiddendim verify data/shapes",
		},
		"show": {
			"hiddendim show DIR --out grid.png|grid.jpg [--n 64] [--split NAME] [--cols 8]",
			"draw a contact sheet of a dataset's first samples, as PNG or JPEG (by the --out extension).",
			"hiddendim show data/shapes --out shapes.png --n 32",
		},
		"ask": {
			"hiddendim ask DIR [--n 100] [--split test] [--seed S] [--families F1,F2] [--out FILE]\n" +
				"       hiddendim ask DIR --score FILE.jsonl [--split test] [--json]",
			"draw new questions about the scenes of a clevrlite dataset's split and write --n of them that are\n" +
				"relevant to their scenes (every unique names one object, no step is a no-op, the answer is defined),\n" +
				"answered by executing their programs, as JSON lines {id, family, text, program, answer}; each draw\n" +
				"takes a scene, then a family uniformly, then its slot values uniformly, and stderr gets the share of\n" +
				"draws relevant per family. With --score, read a file of questions (JSON lines with id and text, such\n" +
				"as a model wrote) and print the share relevant to their scenes, overall and per family, and the share\n" +
				"whose text matches no family's template: a score of question generation.",
			"hiddendim ask data/programs --n 1000 --out new-questions.jsonl\n" +
				"  hiddendim ask data/programs --score new-questions.jsonl",
		},
		"bench": {
			"hiddendim bench [--suite quick|standard|full|FILE.json] [--tasks NAME,...] [--out FILE] [--cache DIR] [--verify]\n" +
				"                [--format table|markdown|csv|json] [--no-report]\n" +
				"       hiddendim bench --suite NAME|FILE.json --shard K/N [--list] [--cache SHARED_DIR] [--out FILE]\n" +
				"       hiddendim bench --list [--suite NAME|FILE.json] [--format json]",
			"run a benchmark suite: generate its datasets (cached), train and score every (task, model, seed),\n" +
				"append one record per run to --out, print the leaderboard and write the HTML report beside --out\n" +
				"(results/<suite>-report/index.html; see `hiddendim help report`). A rerun with the same --out skips\n" +
				"the runs already recorded there. A suite is a JSON file: --list --format json prints the built-in\n" +
				"ones as files to copy and edit, and --suite FILE.json runs yours.\n" +
				"--shard K/N (0-based K) runs one of N shards of the suite's (task, model, seed) runs, dealt\n" +
				"longest first by measured time, the same on every machine that runs the same build with the same\n" +
				"--suite, --tasks and N; --list then prints every shard's runs\n" +
				"and estimated minutes. Its records (default results/SUITE-shard-K-of-N.jsonl) are the ones a\n" +
				"one-machine run writes; leaderboard --merge takes the shards' files together. Shards may share\n" +
				"one --cache folder: each dataset is generated aside and renamed into place.",
			"hiddendim bench --suite standard --tasks vae-shapes,caption-relations\n" +
				"  hiddendim bench --list --suite quick --format json > my-suite.json && hiddendim bench --suite my-suite.json\n" +
				"  hiddendim bench --suite standard --shard 0/4 --cache /shared/cache --out /shared/results/shard-0.jsonl",
		},
		"leaderboard": {
			"hiddendim leaderboard FILE... [--format table|markdown|csv|json]\n" +
				"       hiddendim leaderboard --merge [--suite NAME|FILE.json] FILE... [--format ...]",
			"re-render the records bench wrote; several files side by side (table or markdown). With --merge,\n" +
				"the files are the shards of one run (bench --shard K/N), taken together as one leaderboard: a run\n" +
				"several files hold must have the same record in each; with --suite, every run of the suite must\n" +
				"be there and meet its sanity targets.",
			"hiddendim leaderboard results/standard.jsonl --format markdown\n" +
				"  hiddendim leaderboard --merge --suite standard /shared/results/shard-*.jsonl",
		},
		"report": {
			"hiddendim report FILE... --out DIR [--cache DIR] [--pictures DIR ...]",
			"write a static HTML report of the records bench wrote (several files, such as the shards of one\n" +
				"suite, are taken together): per task its leaderboard, a plot of the primary metric by model with\n" +
				"its 95% interval, the training curves, test samples from the dataset cache and the pictures found\n" +
				"under --pictures; then the environment and the commands that reproduce the records. It prints the\n" +
				"page's path; the page opens from disk, with no network and no script.",
			"hiddendim report results/quick.jsonl --out results/quick-report\n" +
				"  hiddendim analyze runs/vae/model.ckpt --data data/shapes --out results/pictures/vae-shapes && hiddendim report results/quick.jsonl --out results/quick-report",
		},
		"train": {
			"hiddendim train multilabel|combo|perlabel|vae|attention|no-attention|rn|cnn-mlp|state-rn|state-mlp|question-only|segnet|\n" +
				"                rn-lstm|cnn-lstm|state-rn-lstm|state-mlp-lstm|lstm --data DIR --out DIR\n" +
				"                [--epochs N] [--seed S] [--batch 64] [--lr 0.002] [--schedule constant|cosine]\n" +
				"                [--labels shape,color] [--train-split train] [--test-split test] [--resume | --overwrite]\n" +
				"                [--latent 10] [--beta 1] [--likelihood bernoulli|gaussian]   (vae)\n" +
				"                [--beam 1] [--lambda L] [--grammar]                          (captioners)\n" +
				"                [--width 256] [--mask-absent] [--dropout 0.5] [--q-scale 1]   (text-question models)\n" +
				"                [--gate] [--forget-bias 0] [--aux-args [--aux-weight 1]] [--balance-families]\n" +
				"                [--curriculum FAMILIES[;FAMILIES…] --curriculum-questions N [--curriculum-share S]]\n" +
				"                [--class-weights none|median] [--deep 0] [--stem 0]            (segnet)",
			"train one model, saving DIR/model.ckpt after every epoch, and score it on the test split\n" +
				"(DIR/metrics.json). Classifiers train on datasets with labels (shapes, counting), the VAE on\n" +
				"shapes, relations and webpages, the captioners on relations, counting and webpages, the reasoners\n" +
				"(rn, cnn-mlp: pixels; state-rn, state-mlp: state descriptions; question-only: the question alone)\n" +
				"on clevrlite's sortofclevr questions, the page segmenter (segnet, a U-Net) on webpages' class masks,\n" +
				"scored through its decoded trees, and the text-question models (an LSTM reading the question in\n" +
				"words into rn-lstm, cnn-lstm: pixels; state-rn-lstm, state-mlp-lstm: state descriptions; lstm: the\n" +
				"question alone) on clevrlite's questions=programs or sequence=true questions; they also write the\n" +
				"test questions' grouping (questions_pca.png, questions_umatrix.png, questions_clusters.txt).\n" +
				"--resume continues the checkpoint in DIR, also to more --epochs (not with --schedule cosine, whose\n" +
				"rate depends on the total epochs); every other setting must match. A checkpoint in DIR is never\n" +
				"replaced without --overwrite.",
			"hiddendim train multilabel --data data/shapes --out runs/ml --epochs 10",
		},
		"eval": {
			"hiddendim eval CHECKPOINT --data DIR [--split test]",
			"score a classifier's, a reasoner's, a text-question model's or a segnet's checkpoint on a split of a\n" +
				"dataset like the one it was trained on (a segnet: its masks, the trees decoded from them and the\n" +
				"majority-class baseline; a text-question model: accuracy per family and group with the majority\n" +
				"baseline, and the grouping of the questions' vectors).",
			"hiddendim eval runs/ml/model.ckpt --data data/shapes",
		},
		"inspect": {
			"hiddendim inspect CHECKPOINT --data DIR --out DIR [--n 4] [--split test]",
			"draw a classifier's first-layer filters and its activation maps for --n samples, as PNGs.",
			"hiddendim inspect runs/ml/model.ckpt --data data/shapes --out runs/ml/inspect",
		},
		"analyze": {
			"hiddendim analyze CHECKPOINT --data DIR --out DIR [--split test] [--train-split train] [--seed 1] [--pairs 24]",
			"analyse a VAE's latent space: scores, plots and strips, and summary.json.",
			"hiddendim analyze runs/vae/model.ckpt --data data/shapes --out runs/vae/analysis",
		},
		"caption": {
			"hiddendim caption CHECKPOINT --data DIR --out DIR [--n 8] [--beam 1] [--grammar] [--split test]",
			"caption --n samples with a captioner's checkpoint: one strip per sample, the image and one\n" +
				"attention overlay per word, and the scores over those samples.",
			"hiddendim caption runs/att/model.ckpt --data data/relations --out runs/att/captions --n 4",
		},
		"explain": {
			"hiddendim explain CHECKPOINT --data DIR --out DIR [--n 8] [--pairs 3] [--split test]",
			"draw --n questions of a split with a reasoner's checkpoint (rn, cnn-mlp, state-rn), one PNG each:\n" +
				"the image enlarged, the question, the answer and the prediction; for rn and state-rn also the\n" +
				"--pairs object pairs with the largest g output, as lines between grid cells or objects.",
			"hiddendim explain runs/rn/model.ckpt --data data/sortofclevr --out runs/rn/explain --n 8",
		},
		"navigate": {
			"hiddendim navigate CHECKPOINT --data DIR --out DIR [--pairs 200] [--steps 2000] [--seed 1] [--no-untrained]\n" +
				"                   [--train-split train] [--test-split test]",
			"latent navigation on questions, for a text-questions model (state-rn-lstm, …): train a question decoder\n" +
				"from the frozen encoder's vectors back to the text, then decode test questions and the points between\n" +
				"--pairs pairs of them (same scene; and two families of one scene), and judge each decoded text on the\n" +
				"scene with clevrlite's parser and Relevant. Prints decoder_exact, navigate_parse_rate,\n" +
				"navigate_relevant and navigate_novel with their references (random directions, another scene's\n" +
				"question, the untrained encoder); writes questions_navigation.txt and navigation.json to --out.",
			"hiddendim navigate runs/srn/model.ckpt --data data/clevr-programs --out runs/srn/navigate",
		},
		"parse": {
			"hiddendim parse CHECKPOINT --data DIR --out DIR [--n 8] [--split test]",
			"run a segnet checkpoint's pipeline (segmentation, tree decoding, styles) on --n pages and write per\n" +
				"page: the screenshot, the predicted and the true class masks, the predicted mask over the\n" +
				"screenshot with its wrong pixels in magenta, the decoded tree as labelled boxes, and a text file\n" +
				"with the decoded and the true page in both DSLs.",
			"hiddendim parse runs/segnet/model.ckpt --data data/pages --out runs/segnet/parse --n 8",
		},
		"help": {
			"hiddendim help [COMMAND]",
			"print the list of commands, or one command's usage with every flag, its default and an example.\n" +
				"`hiddendim COMMAND --help` and `-h` do the same.",
			"hiddendim help train",
		},
	}
}

// helpRequest is what parseInterleaved returns for -h, -help and --help: it
// carries the command's flags so that dispatch can print them.
type helpRequest struct{ fs *flag.FlagSet }

func (h helpRequest) Error() string { return h.fs.Name() + ": help requested" }

// isHelpFlag reports whether arg asks for help.
func isHelpFlag(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// showHelp writes the help of the command name to w.
func showHelp(ctx context.Context, w io.Writer, name string) error {
	text, _, err := helpText(ctx, name)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, text)
	return err
}

// helpText renders the help of the command name and returns it with the
// command's flags; the flags are nil for a command that defines none. The
// flags are found by running the command with --help, which every command
// that parses flags answers with a helpRequest before doing anything.
func helpText(ctx context.Context, name string) (string, *flag.FlagSet, error) {
	e, ok := helpEntries()[name]
	if !ok {
		return "", nil, usageErrorf("help: unknown command %q; known: %s", name, strings.Join(commandNames(), ", "))
	}
	var fs *flag.FlagSet
	if cmd, ok := commands()[name]; ok {
		var h helpRequest
		if err := cmd(ctx, []string{"--help"}); errors.As(err, &h) {
			fs = h.fs
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "hiddendim %s: %s\n\nUsage:\n  %s\n", name, e.summary, e.synopsis)
	if fs != nil {
		var flags []*flag.Flag
		fs.VisitAll(func(f *flag.Flag) { flags = append(flags, f) })
		if len(flags) > 0 {
			b.WriteString("\nFlags:\n")
		}
		for _, f := range flags {
			kind, usage := flag.UnquoteUsage(f)
			head := "  --" + f.Name
			if kind != "" {
				head += " " + kind
			}
			fmt.Fprintf(&b, "%-26s %s", head, usage)
			if !isZeroDefault(f) && !strings.Contains(usage, "(default") {
				fmt.Fprintf(&b, " (default %s)", f.DefValue)
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "\nExample:\n  %s\n", e.example)
	return b.String(), fs, nil
}

// isZeroDefault reports whether a flag's default is its type's zero value,
// which the help leaves unsaid: flags whose zero means "a default chosen
// later" say that default in their usage text.
func isZeroDefault(f *flag.Flag) bool {
	switch f.DefValue {
	case "", "0", "false":
		return true
	}
	return false
}

// commandNames lists the commands, and help, in name order.
func commandNames() []string {
	names := []string{"help"}
	for name := range commands() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// printHelpTo writes the help of name to stdout; it exists so that the
// dispatcher reads as one line per case.
func printHelpTo(ctx context.Context, name string) error {
	if err := showHelp(ctx, os.Stdout, name); err != nil {
		return err
	}
	return errHelp
}
