package unet

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/lungo-ml/lungo/tensor"
)

// smallCheckpoint returns a lungo checkpoint of a small random U-Net and
// the model.
func smallCheckpoint(t *testing.T) ([]byte, *Model) {
	t.Helper()
	cfg := Config{Encoder: "resnet18", InChannels: 1, Classes: 1, DecoderChannels: []int{16, 16, 8, 8, 8}}
	m := MustNew(cfg, tensor.NewRNG(5))
	p := filepath.Join(t.TempDir(), "m.lungo")
	if err := m.SaveCheckpoint(p, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b, m
}

// noReaderAt hides the ReadAt method of an fs.FS's files (as archive/zip's
// are), so that ReadWeightsFS takes its read-into-memory path.
type noReaderAt struct{ fs.FS }

type plainFile struct{ fs.File }

func (n noReaderAt) Open(name string) (fs.File, error) {
	f, err := n.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return plainFile{f}, nil
}

// TestOpenFS opens a checkpoint embedded in a file system (as with
// //go:embed) and a PyTorch .pth from one, and checks they predict as the
// models they came from.
func TestOpenFS(t *testing.T) {
	ckpt, want := smallCheckpoint(t)
	pthBytes, err := os.ReadFile("../../testdata/unet_r18_views.pth")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"models/small.lungo":   {Data: ckpt},
		"models/views.pth":     {Data: pthBytes},
		"models/truncated.pth": {Data: pthBytes[:len(pthBytes)/2]},
		"models/tiny":          {Data: []byte("{}")},
	}
	x := tensor.New(1, 1, 64, 64)
	for i := range x.Data {
		x.Data[i] = float32(i%17) / 17
	}
	wantP, err := want.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]fs.FS{"MapFS": fsys, "no ReaderAt": noReaderAt{fsys}} {
		m, err := OpenFS(f, "models/small.lungo", nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.Config.Describe() != want.Config.Describe() {
			t.Errorf("%s: config %s, want %s", name, m.Config.Describe(), want.Config.Describe())
		}
		got, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got.Data {
			if got.Data[i] != wantP.Data[i] {
				t.Fatalf("%s: probability %d: %v, want %v", name, i, got.Data[i], wantP.Data[i])
			}
		}
	}
	// A .pth, architecture from its keys, equal to Open on the path.
	m, err := OpenFS(fsys, "models/views.pth", nil)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := Open("../../testdata/unet_r18_views.pth", nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.Describe() != ref.Config.Describe() {
		t.Errorf(".pth config %s, want %s", m.Config.Describe(), ref.Config.Describe())
	}
	// The same from an io.ReaderAt.
	if _, err := OpenReader(bytes.NewReader(ckpt), int64(len(ckpt)), nil); err != nil {
		t.Errorf("OpenReader: %v", err)
	}
	// Errors name the file and say what is wrong.
	for _, c := range []struct{ name, want string }{
		{"models/missing.lungo", "not exist"},
		{"models", "is a directory"},
		{"models/truncated.pth", "models/truncated.pth"},
		{"models/tiny", "too short"},
	} {
		_, err := OpenFS(fsys, c.name, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
	if _, err := OpenFS(fsys, "models/missing.lungo", nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v does not wrap fs.ErrNotExist", err)
	}
	// Encoder-only weights are refused as from a path.
	tv, err := os.ReadFile(resnet18TV)
	if err != nil {
		t.Fatal(err)
	}
	var eo *EncoderOnlyError
	if _, err := OpenFS(fstest.MapFS{"r18.pth": {Data: tv}}, "r18.pth", nil); !errors.As(err, &eo) {
		t.Errorf("encoder-only weights: got %v, want an *EncoderOnlyError", err)
	}
}
