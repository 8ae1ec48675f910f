package unet

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"

	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/nn/pth"
)

// Weights from sources other than a path: any io.ReaderAt (a file already
// open, bytes in memory) and a file system (fs.FS: an embed.FS holding the
// model inside the binary, a zip archive, testing/fstest.MapFS). The
// parsers are those of nn (safetensors) and nn/pth; only the way the bytes
// arrive differs.

// ReadWeightsFrom reads weights of size bytes at r: a .pth (zip, told by
// its "PK\x03\x04" signature) or a safetensors file (lungo checkpoints
// included). meta is the safetensors metadata (nil for .pth files). Errors
// name the offset or tensor at fault, not a file: callers add that.
func ReadWeightsFrom(r io.ReaderAt, size int64) (sd *nn.StateDict, meta map[string]string, err error) {
	if size < 8 {
		return nil, nil, fmt.Errorf("unet: weights of %d bytes: too short for a .pth or safetensors file", size)
	}
	var head [4]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return nil, nil, fmt.Errorf("unet: reading the weights' first bytes: %w", err)
	}
	if string(head[:]) == "PK\x03\x04" {
		p, err := pth.Read(r, size)
		if err != nil {
			return nil, nil, fmt.Errorf("pth: %w", err)
		}
		return FromPth(p), nil, nil
	}
	return nn.ReadSafetensors(r, size)
}

// ReadWeightsFS reads the weight file name in fsys (see ReadWeightsFrom).
// Files that are io.ReaderAt (embed.FS, os.DirFS, fstest.MapFS) are read
// in place; others are read into memory first.
func ReadWeightsFS(fsys fs.FS, name string) (sd *nn.StateDict, meta map[string]string, err error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("unet: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("unet: %w", err)
	}
	if st.IsDir() {
		return nil, nil, fmt.Errorf("unet: weights %s: is a directory", name)
	}
	var r io.ReaderAt
	size := st.Size()
	if ra, ok := f.(io.ReaderAt); ok {
		r = ra
	} else {
		// Grows as it reads: a wrong Stat size cannot make it allocate.
		b, err := io.ReadAll(f)
		if err != nil {
			return nil, nil, fmt.Errorf("unet: weights %s: %w", name, err)
		}
		r, size = bytes.NewReader(b), int64(len(b))
	}
	if sd, meta, err = ReadWeightsFrom(r, size); err != nil {
		return nil, nil, fmt.Errorf("%w (file %s)", err, name)
	}
	return sd, meta, nil
}

// OpenReader is Open for weights of size bytes at r.
func OpenReader(r io.ReaderAt, size int64, cfg *Config) (*Model, error) {
	sd, meta, err := ReadWeightsFrom(r, size)
	if err != nil {
		return nil, err
	}
	return OpenStateDict(sd, meta, cfg)
}

// OpenFS is Open for the weight file name in fsys, e.g. a model embedded
// in the binary:
//
//	//go:embed model.lungo
//	var modelFS embed.FS
//	...
//	m, err := unet.OpenFS(modelFS, "model.lungo", nil)
func OpenFS(fsys fs.FS, name string, cfg *Config) (*Model, error) {
	sd, meta, err := ReadWeightsFS(fsys, name)
	if err != nil {
		return nil, err
	}
	m, err := OpenStateDict(sd, meta, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, name)
	}
	return m, nil
}
