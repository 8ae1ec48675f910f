package chart

import (
	"math"
	"strconv"
)

// niceTicks returns tick values covering [lo, hi] at a step of 1, 2 or 5
// times a power of ten, the smallest such step giving at most n intervals
// (n >= 1). The first and last ticks are the multiples of the step at or
// just outside lo and hi, so they serve as the axis range ("loose"
// labelling). With integer set the step is at least 1 (epochs). A range
// of zero width is widened around its value first.
func niceTicks(lo, hi float64, n int, integer bool) []float64 {
	if !(hi > lo) {
		d := math.Abs(lo) / 10
		if d == 0 || integer {
			d = 1
		}
		lo, hi = lo-d, hi+d
	}
	raw := (hi - lo) / float64(max(n, 1))
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw*(1-1e-9) {
			step = m * mag
			break
		}
	}
	if integer && step < 1 {
		step = 1
	}
	// Ticks are index*step, not repeated additions, so 0.1 steps do not
	// drift; the slack absorbs the rounding of lo/step.
	first := math.Floor(lo/step + 1e-9)
	last := math.Ceil(hi/step - 1e-9)
	ticks := make([]float64, 0, int(last-first)+1)
	for i := first; i <= last; i++ {
		v := i * step
		if v == 0 {
			v = 0 // no "-0"
		}
		ticks = append(ticks, v)
	}
	return ticks
}

// tickLabels formats ticks with as many decimals as their step needs
// (0.1 steps get one decimal, integer steps none); very large or very small
// values use exponent notation.
func tickLabels(ticks []float64) []string {
	step := 1.0
	if len(ticks) > 1 {
		step = ticks[1] - ticks[0]
	}
	big := max(math.Abs(ticks[0]), math.Abs(ticks[len(ticks)-1]))
	dec := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	labels := make([]string, len(ticks))
	for i, v := range ticks {
		if big >= 1e6 || dec > 5 {
			labels[i] = strconv.FormatFloat(v, 'g', 3, 64)
		} else {
			labels[i] = strconv.FormatFloat(v, 'f', dec, 64)
		}
	}
	return labels
}
