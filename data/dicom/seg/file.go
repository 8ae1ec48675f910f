package seg

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFile writes a file atomically: write writes the contents into a
// temporary file in path's directory, which is synced and then renamed to
// path, so a reader (or a PACS watching the folder) never sees half a file
// and a failed write leaves nothing behind. The file gets mode 0644.
//
//	var uid string
//	err := seg.WriteFile("out/seg.dcm", func(w io.Writer) (err error) {
//		uid, err = seg.WriteSegmentation(w, src, mask, rows, cols, opt)
//		return err
//	})
func WriteFile(path string, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("seg: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<16)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("seg: write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("seg: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("seg: sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("seg: close %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("seg: %w", err)
	}
	return nil
}
