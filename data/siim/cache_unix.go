//go:build unix

package siim

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps the first n bytes of f shared and read-write.
func mapFile(f *os.File, path string, n int) ([]byte, func() error, error) {
	data, err := unix.Mmap(int(f.Fd()), 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return unix.Munmap(data) }, nil
}
