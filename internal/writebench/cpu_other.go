//go:build !unix

package writebench

import "time"

// cpuTime returns 0: the CPU time is measured on unix only.
func cpuTime() time.Duration { return 0 }
