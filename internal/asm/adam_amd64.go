//go:build gc && !purego

package asm

// The assembly has no stubs file: avo cannot see AdamCoefs (see _asm/adam).
//go:generate sh -c "cd _asm && go run ./adam -out ../adam_amd64.s -pkg asm"

// AdamAVX2 is Adam<ISA> (see checkAdam in adam.go) 8 lanes at a time with
// AVX (VSQRTPS, VDIVPS; no FMA), bit for bit. It requires AVX2.
func AdamAVX2(w, g, m, v, vm []float32, c *AdamCoefs, flags int) {
	if checkAdam(avx2, w, g, m, v, vm, flags) {
		adamAVX2(w, g, m, v, vm, c, flags)
	}
}

// adamAVX2 is AdamAVX2 without its checks; it requires len(w) > 0.
//
//go:noescape
func adamAVX2(w, g, m, v, vm []float32, c *AdamCoefs, flags int)
