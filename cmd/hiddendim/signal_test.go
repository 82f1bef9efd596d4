//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds the command into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "hiddendim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// interruptWhen starts bin with args, sends SIGINT once ready reports
// true, and returns the exit code and stderr.
func interruptWhen(t *testing.T, bin string, args []string, ready func() bool) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for !ready() {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("%v: not ready in 3 minutes; stderr:\n%s", args, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var exit *exec.ExitError
	if err == nil {
		return 0, stderr.String()
	}
	if !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return exit.ExitCode(), stderr.String()
}

func exists(path string) func() bool {
	return func() bool { _, err := os.Stat(path); return err == nil }
}

// TestCtrlCExits130 runs the real binary, interrupts a long generate with
// SIGINT, and checks the exit code, the message and that nothing looks complete.
func TestCtrlCExits130(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	out := filepath.Join(dir, "data")
	code, stderr := interruptWhen(t, bin, []string{"generate", "shapes", "--n", "10000000", "--out", out}, exists(filepath.Join(out, "train", "samples.jsonl")))
	if code != 130 {
		t.Fatalf("exit %d, want 130; stderr:\n%s", code, stderr)
	}
	if want := "interrupted; " + out + " is incomplete and has no manifest"; !strings.Contains(stderr, want) || !strings.Contains(stderr, "rerun the same command") {
		t.Errorf("stderr does not say %q and how to go on:\n%s", want, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "manifest.json")); err == nil {
		t.Fatal("an interrupted run left a manifest")
	}
}

// TestCtrlCTrain interrupts a training run after its first checkpoint and
// checks that the message names the checkpoint kept and that the --resume
// it advises continues from that epoch.
func TestCtrlCTrain(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	data, out := filepath.Join(dir, "data"), filepath.Join(dir, "run")
	if code := run(context.Background(), []string{"generate", "shapes", "--out", data, "--splits", "train=256,test=32"}); code != 0 {
		t.Fatal("generate")
	}
	args := []string{"train", "combo", "--data", data, "--out", out, "--epochs", "200", "--batch", "32", "--test-split", ""}
	ckpt := filepath.Join(out, "model.ckpt")
	code, stderr := interruptWhen(t, bin, args, exists(ckpt))
	if code != 130 {
		t.Fatalf("exit %d, want 130; stderr:\n%s", code, stderr)
	}
	m := regexp.MustCompile(`interrupted; the checkpoint of epoch (\d+) is kept at ` + regexp.QuoteMeta(ckpt) + `; rerun the same command with --resume to continue from it`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("stderr does not name the checkpoint and --resume:\n%s", stderr)
	}
	if strings.Contains(stderr, "manifest") {
		t.Errorf("the train message speaks of a manifest:\n%s", stderr)
	}
	epoch, _ := strconv.Atoi(m[1])
	var epochs []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "epoch ") {
			epochs = append(epochs, l)
		}
	}
	if len(epochs) == 0 || !strings.HasPrefix(epochs[len(epochs)-1], fmt.Sprintf("epoch %d:", epoch)) {
		t.Fatalf("the message says epoch %d, the run reported %q", epoch, epochs)
	}
	// What the message advises works: the run continues from that epoch.
	resume := []string{"train", "combo", "--data", data, "--out", out, "--epochs", strconv.Itoa(epoch + 1), "--batch", "32", "--test-split", "", "--resume"}
	cmd := exec.Command(bin, resume...)
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, got)
	}
	if want := fmt.Sprintf("epoch %d:", epoch+1); !strings.Contains(string(got), want) || strings.Contains(string(got), fmt.Sprintf("epoch %d:", epoch)) {
		t.Fatalf("resume did not train only epoch %d:\n%s", epoch+1, got)
	}
}

// TestCtrlCBench interrupts a suite after its first record and checks that
// the message says the record is kept and a rerun continues.
func TestCtrlCBench(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and trains a suite's model")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	out := filepath.Join(dir, "r.jsonl")
	args := []string{"bench", "--tasks", "shapes-multilabel", "--out", out, "--cache", filepath.Join(dir, "cache")}
	code, stderr := interruptWhen(t, bin, args, func() bool {
		b, _ := os.ReadFile(out)
		return bytes.Count(b, []byte("\n")) >= 1
	})
	if code != 130 {
		t.Fatalf("exit %d, want 130; stderr:\n%s", code, stderr)
	}
	want := "interrupted; the record of the finished run in " + out + " is kept (the run in progress is lost); rerun the same command to continue: it skips the runs recorded there"
	if !strings.Contains(stderr, want) {
		t.Fatalf("stderr lacks %q:\n%s", want, stderr)
	}
}

// TestInterruptedBenchBeforeAnyRecord checks the message when no run had
// finished: nothing is claimed as kept.
func TestInterruptedBenchBeforeAnyRecord(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "r.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code := run(ctx, []string{"bench", "--tasks", "shapes-multilabel", "--out", out, "--cache", filepath.Join(dir, "cache")}); code != 130 {
		t.Fatalf("exit %d, want 130", code)
	}
	if got, want := benchInterrupted(out), "no run had finished, so "+out+" holds no records"; !strings.HasPrefix(got, want) {
		t.Fatalf("%q, want it to start %q", got, want)
	}
	if got := trainInterrupted(filepath.Join(dir, "nothing"), false); !strings.HasPrefix(got, "no epoch finished") {
		t.Fatalf("train with no checkpoint: %q", got)
	}
}
