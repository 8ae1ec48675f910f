package asm

import "testing"

// The length checks that keep the batch-norm and elementwise kernels inside
// their slices (the kernels themselves are cross-checked against the Go
// reference in package kernels, for every implementation the CPU has).
func TestCheckRows(t *testing.T) {
	for _, c := range []struct {
		name                  string
		lanes, rows, ld, cols int
		mats, vecs            []int
		ok                    bool
	}{
		{"fits", 8, 3, 10, 8, []int{28, 30}, []int{8}, true},
		{"last row short", 8, 3, 10, 8, []int{27}, nil, false},
		{"vector short", 8, 3, 10, 8, []int{28}, []int{7}, false},
		{"cols not a multiple", 8, 3, 12, 12, []int{36}, nil, false},
		{"no columns", 4, 3, 12, 0, []int{36}, nil, false},
		{"no rows", 4, 0, 12, 4, []int{36}, nil, false},
		{"ld < cols", 4, 2, 4, 8, []int{16}, nil, false},
		{"one row", 4, 1, 100, 4, []int{4}, nil, true},
	} {
		panicked := func() (p bool) {
			defer func() { p = recover() != nil }()
			checkRows(c.name, isa{"TEST", c.lanes}, c.rows, c.ld, c.cols, c.mats, c.vecs)
			return false
		}()
		if panicked == c.ok {
			t.Errorf("%s: panicked %v, want %v", c.name, panicked, !c.ok)
		}
	}
}

func TestCheckFlat(t *testing.T) {
	for _, c := range []struct {
		lanes, n int
		ns       []int
		ok       bool
	}{
		{8, 16, []int{16, 20}, true},
		{8, 0, []int{0}, true},
		{8, 12, []int{12}, false},
		{4, 16, []int{16, 15}, false},
	} {
		panicked := func() (p bool) {
			defer func() { p = recover() != nil }()
			checkFlat("f", isa{"TEST", c.lanes}, c.n, c.ns...)
			return false
		}()
		if panicked == c.ok {
			t.Errorf("lanes %d n %d lengths %v: panicked %v", c.lanes, c.n, c.ns, panicked)
		}
	}
}
