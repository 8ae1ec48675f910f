//go:build !unix

package siim

import (
	"os"
	"unsafe"
)

// mapFile reads the first n bytes of f into memory; the returned close
// function writes them back to path.
func mapFile(f *os.File, path string, n int) ([]byte, func() error, error) {
	// uint64 backing keeps the slot states 8-byte aligned for atomics.
	words := make([]uint64, (n+7)/8)
	data := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), n)
	if _, err := f.ReadAt(data, 0); err != nil {
		return nil, nil, err
	}
	return data, func() error { return os.WriteFile(path, data, 0o644) }, nil
}
