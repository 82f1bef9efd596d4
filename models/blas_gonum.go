//go:build !openblas

package models

// BLASName names the BLAS this build trains with: gonum's pure-Go one by
// default, OpenBLAS under -tags openblas.
const BLASName = "gonum"
