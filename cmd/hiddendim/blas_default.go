//go:build !openblas

package main

// blasName is the BLAS this build trains with, for the records.
const blasName = "gonum"
