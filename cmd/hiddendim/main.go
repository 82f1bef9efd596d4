// Command hiddendim generates synthetic datasets with full ground truth and
// runs the benchmark suites that train reference models on them.
//
// Run `hiddendim help` for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/hiddendim/hiddendim/bench"
)

const usage = `hiddendim: synthetic datasets with full ground truth, and reproducible benchmarks.

Usage:
  hiddendim generate DATASET --out DIR [--n N | --splits train=N,test=M] [--seed S]
                     [--set key=value ...] [--holdout "red triangle,..."] [--shard K/N]
                     [--workers W] [--format png|npz|tar|parquet] [--shard-samples N]
                     [--rows-per-file R] [--overwrite]
  hiddendim merge SHARD_DIR... --out DIR     join shards into the unsharded dataset
  hiddendim list                             datasets and their versions
  hiddendim describe DATASET                 features and config keys with defaults
  hiddendim verify DIR [--regenerate K]      check the files, the manifest and K re-rendered samples
  hiddendim show DIR --out grid.png|grid.jpg [--n 64] [--split NAME] [--cols 8]
  hiddendim ask DIR [--n 100] [--split test] [--seed S] [--families F1,F2] [--out FILE]
                                             new relevant questions, answered, for a clevrlite dataset's scenes
  hiddendim ask DIR --score FILE.jsonl [--split test] [--json]
                                             the share of a file's questions relevant to their scenes

  hiddendim bench [--suite quick|standard|full|FILE.json] [--list] [--tasks NAME,...] [--out FILE] [--cache DIR]
                  [--verify] [--format table|markdown|csv|json] [--shard K/N] [--no-report]
  hiddendim leaderboard FILE... [--format ...]  re-render records; several files side by side
  hiddendim leaderboard --merge FILE...        the shards of one run (bench --shard K/N) as one leaderboard
  hiddendim report FILE... --out DIR [--cache DIR] [--pictures DIR]
                                             a static HTML page of the records: boards, plots, curves, pictures
  hiddendim train multilabel|combo|perlabel|vae|attention|no-attention|rn|cnn-mlp|state-rn|state-mlp|question-only|segnet|
                  rn-lstm|cnn-lstm|state-rn-lstm|state-mlp-lstm|lstm --data DIR --out DIR
                  [--epochs N] [--seed S] [--batch 64] [--lr 0.002] [--schedule constant|cosine]
                  [--labels shape,color] [--resume | --overwrite]
                  [--latent 10] [--beta 1] [--likelihood bernoulli|gaussian]   (vae)
                  [--beam 1]                                                   (captioners)
                  [--width 256] [--mask-absent] [--dropout 0.5] [--q-scale 1]  (text-question models)
                  [--gate] [--forget-bias 0] [--aux-args [--aux-weight 1]] [--balance-families]
                  [--curriculum FAMILIES[;FAMILIES…] --curriculum-questions N [--curriculum-share S]]
                  [--class-weights none|median] [--deep 0] [--stem 0]            (segnet)
  hiddendim eval CHECKPOINT --data DIR [--split test]
  hiddendim inspect CHECKPOINT --data DIR --out DIR [--n 4] [--split test]
                                             first-layer filters and activation maps as PNGs
  hiddendim analyze CHECKPOINT --data DIR --out DIR [--split test] [--train-split train]
                                             a VAE's latent space: scores, plots, strips
  hiddendim caption CHECKPOINT --data DIR --out DIR [--n 8] [--beam 1] [--grammar] [--split test]
                                             captions with one attention overlay per word
  hiddendim explain CHECKPOINT --data DIR --out DIR [--n 8] [--pairs 3] [--split test]
                                             a reasoner's answers, with the object pairs it weighed most
  hiddendim navigate CHECKPOINT --data DIR --out DIR [--pairs 200] [--steps 2000] [--seed 1]
                                             decode points between questions' vectors; judge their relevance
  hiddendim parse CHECKPOINT --data DIR --out DIR [--n 8] [--split test]
                                             a segnet's pages: masks, the decoded tree as boxes, both DSLs

  hiddendim help COMMAND                     one command's usage, every flag and an example
                                             (also: hiddendim COMMAND --help)

Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted.
`

// command runs one subcommand.
type command func(ctx context.Context, args []string) error

func commands() map[string]command {
	return map[string]command{
		"generate":    runGenerate,
		"merge":       runMerge,
		"list":        runList,
		"describe":    runDescribe,
		"verify":      runVerify,
		"show":        runShow,
		"ask":         runAsk,
		"navigate":    runNavigate,
		"bench":       runBench,
		"leaderboard": runLeaderboard,
		"report":      runReport,
		"train":       runTrain,
		"eval":        runEval,
		"inspect":     runInspect,
		"analyze":     runAnalyze,
		"caption":     runCaption,
		"explain":     runExplain,
		"parse":       runParse,
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first Ctrl-C the command winds down; a second one ends
		// the process at once.
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, os.Args[1:]))
}

// run executes args and maps the outcome to an exit code, in one place.
func run(ctx context.Context, args []string) int {
	err := dispatch(ctx, args)
	if err == nil || errors.Is(err, errHelp) {
		return 0
	}
	var u usageError
	var mismatch *bench.MismatchError
	var field *bench.FieldError
	switch {
	case errors.As(err, &u) || errors.As(err, &mismatch) || errors.As(err, &field) || errors.Is(err, bench.ErrCheckpointExists):
		fmt.Fprintln(os.Stderr, "hiddendim:", err)
		return 2
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		var in interruptedError
		if errors.As(err, &in) {
			fmt.Fprintln(os.Stderr, "hiddendim: interrupted;", in.note())
		} else {
			fmt.Fprintln(os.Stderr, "hiddendim: interrupted")
		}
		return 130
	}
	fmt.Fprintln(os.Stderr, "hiddendim:", err)
	return 1
}

// errHelp means help was asked for and shown: exit 0.
var errHelp = errors.New("help shown")

func dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return usageErrorf("no command given")
	}
	name := args[0]
	if name == "help" || isHelpFlag(name) {
		switch len(args) {
		case 1:
			fmt.Print(usage)
			return errHelp
		case 2:
			if isHelpFlag(args[1]) {
				return printHelpTo(ctx, "help")
			}
			return printHelpTo(ctx, args[1])
		}
		return usageErrorf("help: want at most one COMMAND, got %v", args[1:])
	}
	cmd, ok := commands()[name]
	if !ok {
		return usageErrorf("unknown command %q; run `hiddendim help` for the list", name)
	}
	if len(args) > 1 && isHelpFlag(args[1]) {
		return printHelpTo(ctx, name)
	}
	err := cmd(ctx, args[1:])
	var h helpRequest
	if errors.As(err, &h) {
		return printHelpTo(ctx, name)
	}
	return err
}

// interruptedError is a command's error after Ctrl-C, with what the
// command kept and how to continue, which only it knows.
type interruptedError struct {
	error
	note func() string
}

func (e interruptedError) Unwrap() error { return e.error }

// onInterrupt attaches, when ctx was cancelled, the note run prints.
func onInterrupt(ctx context.Context, err error, note func() string) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	return interruptedError{err, note}
}

// usageError marks an error as the user's: exit code 2.
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

func usageErrorf(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// asUsage marks err, if any, as a usage error.
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}
