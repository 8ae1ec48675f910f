package kernels

import "github.com/lungo-ml/lungo/tensor"

// Batch normalisation over channels-last activations viewed as [M, C]
// (M = N*H*W): statistics per channel, reductions in float64.

// BatchNormStats computes, for x viewed as [M, C] (M = N*H*W >= 1, channels
// last), the per-channel mean [C], the biased variance [C] (for running
// statistics, the caller applies Bessel's correction M/(M-1)) and invstd
// [C] = 1/sqrt(variance + eps); all three are overwritten. Two passes (mean,
// then centred squares) in float64, so a large mean costs no precision.
func BatchNormStats(mean, variance, invstd, x []float32, m, c int, eps float32) {
	checkBN("BatchNormStats", m, c)
	checkMatrix("BatchNormStats", "x", len(x), m, c)
	checkLen("BatchNormStats", "mean", len(mean), c)
	checkLen("BatchNormStats", "variance", len(variance), c)
	checkLen("BatchNormStats", "invstd", len(invstd), c)
	if f := Active().BatchNormStats; f != nil {
		f(mean, variance, invstd, x, m, c, eps)
		return
	}
	batchNormStatsGeneric(mean, variance, invstd, x, m, c, eps)
}

// BatchNormApply computes y = (x - mean)*invstd*gamma + beta per channel on
// x [M, C]; mean, invstd, gamma and beta are [C]; gamma or beta may be nil
// (1 and 0). y may alias x.
func BatchNormApply(y, x, mean, invstd, gamma, beta []float32, m, c int) {
	batchNormApply("BatchNormApply", y, x, nil, mean, invstd, gamma, beta, m, c, false)
}

// BatchNormApplyReLU computes y = max(BatchNormApply(x) + res, 0) on x
// [M, C] in one pass (res [M, C], or nil for none): the float32 operations
// of the unfused chain, in its order (normalise as BatchNormApply rounds,
// add the residual, take the ReLU; the ReLU of -0 may give -0). y may alias
// x or res.
func BatchNormApplyReLU(y, x, res, mean, invstd, gamma, beta []float32, m, c int) {
	batchNormApply("BatchNormApplyReLU", y, x, res, mean, invstd, gamma, beta, m, c, true)
}

func batchNormApply(op string, y, x, res, mean, invstd, gamma, beta []float32, m, c int, relu bool) {
	checkBN(op, m, c)
	checkMatrix(op, "x", len(x), m, c)
	checkLen(op, "y", len(y), m*c)
	if res != nil {
		checkLen(op, "res", len(res), m*c)
	}
	checkLen(op, "mean", len(mean), c)
	checkLen(op, "invstd", len(invstd), c)
	if gamma != nil {
		checkLen(op, "gamma", len(gamma), c)
	}
	if beta != nil {
		checkLen(op, "beta", len(beta), c)
	}
	if f := Active().BatchNormApply; f != nil {
		f(y, x, res, mean, invstd, gamma, beta, m, c, relu)
		return
	}
	batchNormApplyGeneric(y, x, res, mean, invstd, gamma, beta, m, c, relu)
}

// BatchNormBackward computes dx [M, C] (overwritten) and, if non-nil,
// dgamma and dbeta [C] (overwritten) from dy and x [M, C], mean, invstd and
// gamma [C] (gamma nil means 1). With training it back-propagates through
// the batch statistics (mean and invstd must be BatchNormStats of x):
//
//	dx = gamma*invstd*(dy - mean(dy) - xhat*mean(dy*xhat)),  xhat = (x-mean)*invstd
//
// without, mean and invstd are constants (eval mode, running statistics):
// dx = gamma*invstd*dy. Always dbeta = sum(dy), dgamma = sum(dy*xhat),
// reduced in float64. dx may alias dy.
func BatchNormBackward(dx, dgamma, dbeta, dy, x, mean, invstd, gamma []float32, m, c int, training bool) {
	checkBN("BatchNormBackward", m, c)
	checkMatrix("BatchNormBackward", "x", len(x), m, c)
	checkLen("BatchNormBackward", "dy", len(dy), m*c)
	checkLen("BatchNormBackward", "dx", len(dx), m*c)
	checkLen("BatchNormBackward", "mean", len(mean), c)
	checkLen("BatchNormBackward", "invstd", len(invstd), c)
	for _, s := range []struct {
		name string
		v    []float32
	}{{"gamma", gamma}, {"dgamma", dgamma}, {"dbeta", dbeta}} {
		if s.v != nil {
			checkLen("BatchNormBackward", s.name, len(s.v), c)
		}
	}
	if f := Active().BatchNormBackward; f != nil {
		f(dx, dgamma, dbeta, dy, x, mean, invstd, gamma, m, c, training)
		return
	}
	batchNormBackwardGeneric(dx, dgamma, dbeta, dy, x, mean, invstd, gamma, m, c, training)
}

func checkBN(op string, m, c int) {
	if m < 1 || c < 1 {
		tensor.Panicf("kernels", "%s: bad sizes m=%d c=%d (both >= 1)", op, m, c)
	}
}
