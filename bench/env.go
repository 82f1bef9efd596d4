package bench

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
)

// HarnessVersion is the version of the harness's scoring: records from the
// same harness version, spec and seeds must agree.
const HarnessVersion = "0.1.0"

// Env describes where a run ran. It is kept out of the record id.
type Env struct {
	Harness     string `json:"harness"`
	VCSRevision string `json:"vcs_revision"`
	VCSModified bool   `json:"vcs_modified,omitempty"`
	Go          string `json:"go"`
	OS          string `json:"os"`
	Arch        string `json:"arch"`
	GOMAXPROCS  int    `json:"gomaxprocs"`
	CPU         string `json:"cpu"`
	BLAS        string `json:"blas"`
}

// CurrentEnv reads the build info and the machine. The revision is
// "unknown" when the binary was built without VCS stamping
// (-buildvcs=false, or go run outside a checkout).
func CurrentEnv(blas string) Env {
	e := Env{Harness: HarnessVersion, VCSRevision: "unknown", Go: runtime.Version(), OS: runtime.GOOS,
		Arch: runtime.GOARCH, GOMAXPROCS: runtime.GOMAXPROCS(0), CPU: cpuModel(), BLAS: blas}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				e.VCSRevision = s.Value
			case "vcs.modified":
				e.VCSModified = s.Value == "true"
			}
		}
	}
	return e
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
