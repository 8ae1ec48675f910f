package kernels

import "github.com/lungo-ml/lungo/tensor"

// Channel concatenation of channels-last activations viewed as [M, C]
// (M = N*H*W): the U-Net's skip connections.

// ConcatChannels writes y [M, sum(cs)] (overwritten) from xs[i] [M, cs[i]]:
// row r of y is row r of xs[0], then row r of xs[1], and so on.
func ConcatChannels(y []float32, xs [][]float32, m int, cs []int) {
	total := checkConcat("ConcatChannels", "xs", xs, m, cs)
	checkLen("ConcatChannels", "y", len(y), m*total)
	concatChannelsGeneric(y, xs, m, cs, total)
}

// SplitChannels is ConcatChannels' inverse: dxs[i] [M, cs[i]] (overwritten)
// from dy [M, sum(cs)]. A nil dxs[i] skips that part.
func SplitChannels(dxs [][]float32, dy []float32, m int, cs []int) {
	total := checkConcat("SplitChannels", "dxs", dxs, m, cs)
	checkLen("SplitChannels", "dy", len(dy), m*total)
	splitChannelsGeneric(dxs, dy, m, cs, total)
}

// checkConcat returns sum(cs) after checking parts against cs; nil parts are
// allowed only for SplitChannels.
func checkConcat(op, name string, parts [][]float32, m int, cs []int) int {
	if len(parts) != len(cs) {
		tensor.Panicf("kernels", "%s: %d parts but %d channel counts", op, len(parts), len(cs))
	}
	if m < 0 {
		tensor.Panicf("kernels", "%s: negative m=%d", op, m)
	}
	total := 0
	for i, c := range cs {
		if c < 0 {
			tensor.Panicf("kernels", "%s: cs[%d]=%d < 0", op, i, c)
		}
		if (parts[i] != nil || op == "ConcatChannels") && len(parts[i]) != m*c {
			tensor.Panicf("kernels", "%s: len(%s[%d])=%d, want %d ([%d, %d])", op, name, i, len(parts[i]), m*c, m, c)
		}
		total += c
	}
	return total
}
