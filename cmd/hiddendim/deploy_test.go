package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The deploy/ examples, checked: the YAML parses, the shard count agrees
// everywhere it appears, every shard's command is one this build accepts
// (run here with --list), shards write distinct files on the shared volume,
// and the merge step's file pattern takes every shard's file.

const deployDir = "../../deploy"

// yamlDocs reads every document of a YAML file.
func yamlDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var docs []map[string]any
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		docs = append(docs, d)
	}
}

// at walks a parsed YAML value by map keys and list indices.
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: %T is not a map", path, v)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("at %v: %T is not a list of more than %d", path, v, k)
			}
			v = l[k]
		}
	}
	return v
}

func strs(t *testing.T, v any) []string {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("%v is not a list", v)
	}
	var out []string
	for _, x := range l {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// checkShardCommand runs a shard's bench command (after "hiddendim") with
// --list, which this build must accept, and returns its --out.
func checkShardCommand(t *testing.T, args []string, k, n int) string {
	t.Helper()
	i := slices.Index(args, "--shard")
	if args[0] != "bench" || i < 0 || args[i+1] != fmt.Sprintf("%d/%d", k, n) {
		t.Fatalf("shard %d of %d runs %q, want bench … --shard %d/%d", k, n, args, k, n)
	}
	out := captureStdout(t, append(slices.Clone(args), "--list"))
	if !strings.Contains(out, fmt.Sprintf("shard %d/%d (this shard)", k, n)) {
		t.Errorf("%q --list:\n%s", args, out)
	}
	j := slices.Index(args, "--out")
	if j < 0 {
		t.Fatalf("shard %d runs %q: no --out", k, args)
	}
	return args[j+1]
}

func TestDeployKubernetes(t *testing.T) {
	docs := yamlDocs(t, filepath.Join(deployDir, "kubernetes", "bench-indexed-job.yaml"))
	var job, pvc map[string]any
	for _, d := range docs {
		switch d["kind"] {
		case "Job":
			job = d
		case "PersistentVolumeClaim":
			pvc = d
		}
	}
	if job == nil || pvc == nil {
		t.Fatalf("want a Job and a PersistentVolumeClaim, got %d documents", len(docs))
	}
	if m := at(t, job, "spec", "completionMode"); m != "Indexed" {
		t.Errorf("completionMode %v, want Indexed", m)
	}
	n, _ := at(t, job, "spec", "completions").(int)
	if p := at(t, job, "spec", "parallelism"); n < 2 || p != n {
		t.Errorf("completions %d, parallelism %v: want the shard count in both", n, p)
	}
	if !slices.Contains(strs(t, at(t, pvc, "spec", "accessModes")), "ReadWriteMany") {
		t.Error("the shared volume is not ReadWriteMany: the pods cannot share it")
	}
	pod := at(t, job, "spec", "template", "spec")
	if claim := at(t, pod, "volumes", 0, "persistentVolumeClaim", "claimName"); claim != at(t, pvc, "metadata", "name") {
		t.Errorf("the pods mount claim %v, the file declares %v", claim, at(t, pvc, "metadata", "name"))
	}
	mount := fmt.Sprint(at(t, pod, "containers", 0, "volumeMounts", 0, "mountPath"))
	cmd := strs(t, at(t, pod, "containers", 0, "command"))
	if cmd[0] != "hiddendim" {
		t.Fatalf("command %q, want hiddendim …", cmd)
	}
	var outs []string
	for k := range n {
		var args []string
		for _, a := range cmd[1:] {
			args = append(args, strings.ReplaceAll(a, "$(JOB_COMPLETION_INDEX)", strconv.Itoa(k)))
		}
		out := checkShardCommand(t, args, k, n)
		if c := args[slices.Index(args, "--cache")+1]; !strings.HasPrefix(out, mount+"/") || !strings.HasPrefix(c, mount+"/") {
			t.Errorf("shard %d: --out %s, --cache %s: want both on the shared volume %s", k, out, c, mount)
		}
		outs = append(outs, out)
	}
	if slices.Sort(outs); len(slices.Compact(slices.Clone(outs))) != n {
		t.Errorf("the shards share record files: %q", outs)
	}
	// The report job takes every shard's file, on the same claim.
	rep := yamlDocs(t, filepath.Join(deployDir, "kubernetes", "bench-report-job.yaml"))
	if len(rep) != 1 || rep[0]["kind"] != "Job" {
		t.Fatalf("bench-report-job.yaml: want one Job")
	}
	rpod := at(t, rep[0], "spec", "template", "spec")
	if claim := at(t, rpod, "volumes", 0, "persistentVolumeClaim", "claimName"); claim != at(t, pvc, "metadata", "name") {
		t.Errorf("the report job mounts claim %v", claim)
	}
	script := fmt.Sprint(at(t, rpod, "containers", 0, "args", 0))
	checkMergeStep(t, script, outs)
}

// checkMergeStep checks that a shell script runs leaderboard --merge over
// a file pattern that matches exactly the shards' record files.
func checkMergeStep(t *testing.T, script string, outs []string) {
	t.Helper()
	m := regexp.MustCompile(`hiddendim leaderboard --merge (?:--\S+ \S+ )*(\S+\*\S*)`).FindStringSubmatch(script)
	if m == nil {
		t.Fatalf("no `hiddendim leaderboard --merge … PATTERN` in:\n%s", script)
	}
	for _, o := range outs {
		if ok, _ := filepath.Match(m[1], o); !ok {
			t.Errorf("the merge step's pattern %s leaves out %s", m[1], o)
		}
	}
}

// TestDeploySlurm runs the Slurm scripts with a stand-in hiddendim that
// records its arguments: each array task's command must be one this build
// accepts, and the report step must take every task's file.
func TestDeploySlurm(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	array := filepath.Join(deployDir, "slurm", "bench-array.sh")
	b, err := os.ReadFile(array)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^#SBATCH --array=0-(\d+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("bench-array.sh: no #SBATCH --array=0-M line")
	}
	last, _ := strconv.Atoi(string(m[1]))
	n := last + 1
	if !bytes.Contains(b, fmt.Appendf(nil, "\nSHARDS=%d\n", n)) {
		t.Errorf("bench-array.sh: the array has %d tasks, SHARDS is not %d", n, n)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	shared := filepath.Join(dir, "shared")
	os.MkdirAll(bin, 0o755)
	// The stand-in writes each argument on its own line.
	fake := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$ARGS_FILE\"\n"
	if err := os.WriteFile(filepath.Join(bin, "hiddendim"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	runScript := func(script string, env ...string) []string {
		argsFile := filepath.Join(dir, "args")
		cmd := exec.Command(bash, script)
		cmd.Env = append(os.Environ(), append(env, "PATH="+bin+":"+os.Getenv("PATH"), "SHARED="+shared, "ARGS_FILE="+argsFile)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", script, err, out)
		}
		b, err := os.ReadFile(argsFile)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	}
	var outs []string
	for k := range n {
		args := runScript(array, fmt.Sprintf("SLURM_ARRAY_TASK_ID=%d", k))
		out := checkShardCommand(t, args, k, n)
		if !strings.HasPrefix(out, shared+"/") {
			t.Errorf("shard %d writes %s, not under $SHARED", k, out)
		}
		outs = append(outs, out)
		os.WriteFile(out, nil, 0o644) // for the report step's pattern
	}
	report := filepath.Join(deployDir, "slurm", "bench-report.sh")
	rb, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(rb, fmt.Appendf(nil, "\nSHARDS=%d\n", n)) {
		t.Errorf("bench-report.sh: SHARDS is not the array's %d", n)
	}
	// The stand-in records the last command: the report; the leaderboard's
	// pattern is checked as the script spells it.
	args := runScript(report)
	var files []string
	for _, a := range args {
		if strings.HasSuffix(a, ".jsonl") {
			files = append(files, a)
		}
	}
	if args[0] != "report" || !slices.Equal(files, outs) {
		t.Errorf("the report step ran %q, want report over %q", args, outs)
	}
	if !bytes.Contains(rb, []byte("hiddendim leaderboard --merge --suite")) {
		t.Error("bench-report.sh: no leaderboard --merge --suite")
	}
}
