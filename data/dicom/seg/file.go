package seg

import (
	"fmt"
	"io"

	"github.com/lungo-ml/lungo/internal/atomicfile"
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
func WriteFile(path string, write func(w io.Writer) error) error {
	if err := atomicfile.Write(path, write); err != nil {
		return fmt.Errorf("seg: %w", err)
	}
	return nil
}
