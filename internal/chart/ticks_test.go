package chart

import (
	"math"
	"slices"
	"testing"
)

func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi  float64
		n       int
		integer bool
		want    []float64
	}{
		{0, 1, 5, false, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{0.61, 0.83, 5, false, []float64{0.6, 0.65, 0.7, 0.75, 0.8, 0.85}},
		{0.05, 0.82, 8, false, []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}},
		{-3.2, 7.9, 5, false, []float64{-5, 0, 5, 10}},
		{1, 30, 6, true, []float64{0, 5, 10, 15, 20, 25, 30}},
		{1, 30, 3, true, []float64{0, 10, 20, 30}},
		{1, 3, 8, true, []float64{1, 2, 3}},            // integer: step never below 1
		{1, 3, 8, false, []float64{1, 1.5, 2, 2.5, 3}}, // not integer: halves
		{5, 5, 4, true, []float64{4, 5, 6}},            // one epoch
		{0, 0, 4, false, []float64{-1, -0.5, 0, 0.5, 1}},
		{2, 2, 4, false, []float64{1.8, 1.9, 2, 2.1, 2.2}},
		{1234, 98765, 4, false, []float64{0, 50000, 100000}},
		{1e-4, 3.1e-4, 4, false, []float64{1e-4, 2e-4, 3e-4, 4e-4}},
	} {
		got := niceTicks(c.lo, c.hi, c.n, c.integer)
		ok := len(got) == len(c.want)
		for i := range got {
			ok = ok && math.Abs(got[i]-c.want[i]) <= 1e-9*math.Max(1, math.Abs(c.want[i]))
		}
		if !ok {
			t.Errorf("niceTicks(%v, %v, %d, %v) = %v, want %v", c.lo, c.hi, c.n, c.integer, got, c.want)
		}
	}
}

func TestTickLabels(t *testing.T) {
	for _, c := range []struct {
		ticks []float64
		want  []string
	}{
		{[]float64{0, 0.2, 0.4}, []string{"0.0", "0.2", "0.4"}},
		{[]float64{0.6, 0.65, 0.7}, []string{"0.60", "0.65", "0.70"}},
		{niceTicks(0, 0.3, 3, false), []string{"0.0", "0.1", "0.2", "0.3"}}, // 3*0.1 prints as 0.3
		{[]float64{0, 5, 10}, []string{"0", "5", "10"}},
		{[]float64{-5, 0, 5}, []string{"-5", "0", "5"}},
		{[]float64{0, 5e6, 1e7}, []string{"0", "5e+06", "1e+07"}},
	} {
		if got := tickLabels(c.ticks); !slices.Equal(got, c.want) {
			t.Errorf("tickLabels(%v) = %q, want %q", c.ticks, got, c.want)
		}
	}
}
