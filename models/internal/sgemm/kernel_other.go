//go:build !amd64 || purego

package sgemm

var (
	kernel     kernelFunc = goKernel
	kernelName            = "go"
)
