// examples/basic.c from Go, through cgo: four predictions scored against their targets with
// SoftMarginLoss, each loss and then the mean, printed as the C example prints them.
//
// Run from the repository's root, after `cargo build --release`:
//
//	go run examples/basic.go
package main

/*
#cgo CFLAGS: -I${SRCDIR}/../include
#cgo LDFLAGS: -L${SRCDIR}/../target/release -lsoftmargin -Wl,-rpath,${SRCDIR}/../target/release
#include "softmargin.h"
*/
import "C"

import (
	"fmt"
	"math"
	"os"
	"unsafe"
)

// A Go slice's first element as a C float pointer: the library reads or writes it in place.
func floats(s []float32) *C.float {
	return (*C.float)(unsafe.Pointer(&s[0]))
}

func check(status C.int32_t, what string) {
	if status != C.SOFTMARGIN_STATUS_OK {
		fmt.Fprintf(os.Stderr, "%s: %s\n", what, C.GoString(C.softmargin_status_str(status)))
		os.Exit(1)
	}
}

func main() {
	predictions := []float32{0.5, -2.0, 3.1, -0.2}
	targets := []float32{1.0, -1.0, 1.0, -1.0}
	losses := make([]float32, 4)
	mean := make([]float32, 1)
	n := C.size_t(len(predictions))
	check(C.softmargin_forward_f32(floats(predictions), floats(targets), n,
		C.SOFTMARGIN_REDUCTION_NONE, floats(losses)), "forward (none)")
	check(C.softmargin_forward_f32(floats(predictions), floats(targets), n,
		C.SOFTMARGIN_REDUCTION_MEAN, floats(mean)), "forward (mean)")

	failures := 0
	sum := 0.0
	for i := range predictions {
		// The textbook formula in double precision: fine at these moderate values.
		expected := math.Log1p(math.Exp(-float64(targets[i]) * float64(predictions[i])))
		fmt.Printf("loss[%d] (x = %+.1f, y = %+.0f) = %.6f\n", i, predictions[i], targets[i],
			losses[i])
		if math.Abs(float64(losses[i])-expected) > 1e-6*expected {
			fmt.Fprintf(os.Stderr, "  expected %.9f\n", expected)
			failures++
		}
		sum += expected
	}
	fmt.Printf("mean = %.6f\n", mean[0])
	if math.Abs(float64(mean[0])-sum/4) > 1e-6*(sum/4) {
		fmt.Fprintf(os.Stderr, "  expected mean %.9f\n", sum/4)
		failures++
	}
	if failures != 0 {
		os.Exit(1)
	}
}
