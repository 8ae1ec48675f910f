package main

import (
	"fmt"

	"github.com/lungo-ml/lungo/bench"
)

func main() {
	fmt.Printf("fp32 FMA peak %.0f GFLOP/s/core, bf16 VDPBF16PS peak %.0f GFLOP/s/core\n", bench.Peak(), bench.BF16Peak())
}
