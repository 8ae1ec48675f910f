package npy

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

func TestRoundTripFloat32(t *testing.T) {
	for _, shape := range [][]int{{}, {0}, {1}, {5}, {2, 3}, {1, 4, 3}, {2, 1, 2, 2}} {
		n := 1
		for _, d := range shape {
			n *= d
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = float32(i)*0.5 - 3
		}
		var buf bytes.Buffer
		if err := WriteFloat32(&buf, shape, data); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		hl := int(binary.LittleEndian.Uint16(b[8:]))
		if (10+hl)%64 != 0 || b[9+hl] != '\n' {
			t.Fatalf("shape %v: preamble length %d not a multiple of 64 ending in newline", shape, 10+hl)
		}
		gotShape, got, err := ReadFloat32(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("shape %v: %v", shape, err)
		}
		if len(gotShape) != len(shape) {
			t.Fatalf("shape %v read back as %v", shape, gotShape)
		}
		for i := range shape {
			if gotShape[i] != shape[i] {
				t.Fatalf("shape %v read back as %v", shape, gotShape)
			}
		}
		for i := range data {
			if got[i] != data[i] {
				t.Fatalf("shape %v: data[%d] = %v, want %v", shape, i, got[i], data[i])
			}
		}
	}
}

func TestHeaderText(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteInt16(&buf, []int{3}, []int16{-1, 0, 300}); err != nil {
		t.Fatal(err)
	}
	want := "{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }"
	if !strings.Contains(buf.String(), want) {
		t.Fatalf("header %q lacks %q", buf.String()[:64], want)
	}
	_, got, err := ReadFloat32(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != -1 || got[1] != 0 || got[2] != 300 {
		t.Fatalf("int16 values read back as %v", got)
	}
}

func TestIntegerDtypes(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteUint8(&buf, []int{2, 2}, []uint8{0, 1, 254, 255}); err != nil {
		t.Fatal(err)
	}
	_, got, err := ReadFloat32(&buf)
	if err != nil || got[2] != 254 || got[3] != 255 {
		t.Fatalf("uint8: %v %v", got, err)
	}
	buf.Reset()
	if err := WriteUint16(&buf, []int{2}, []uint16{65535, 7}); err != nil {
		t.Fatal(err)
	}
	_, got, err = ReadFloat32(&buf)
	if err != nil || got[0] != 65535 || got[1] != 7 {
		t.Fatalf("uint16: %v %v", got, err)
	}
}

func TestReadBigEndianFloat64(t *testing.T) {
	// A hand-made version 1.0 file with dtype >f8, as NumPy would write it.
	dict := "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }"
	pad := 64 - (10+len(dict)+1)%64
	var b bytes.Buffer
	b.WriteString(magic)
	b.Write([]byte{1, 0})
	binary.Write(&b, binary.LittleEndian, uint16(len(dict)+pad+1))
	b.WriteString(dict + strings.Repeat(" ", pad) + "\n")
	binary.Write(&b, binary.BigEndian, math.Float64bits(1.5))
	binary.Write(&b, binary.BigEndian, math.Float64bits(-2))
	shape, got, err := ReadFloat32(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(shape) != 1 || shape[0] != 2 || got[0] != 1.5 || got[1] != -2 {
		t.Fatalf("got shape %v data %v", shape, got)
	}
}

func TestReadErrors(t *testing.T) {
	var good bytes.Buffer
	if err := WriteFloat32(&good, []int{2, 2}, []float32{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	g := good.Bytes()
	cases := map[string]struct {
		in   []byte
		want string
	}{
		"empty":     {nil, "read magic"},
		"magic":     {append([]byte("XNUMPY"), g[6:]...), "bad magic"},
		"truncated": {g[:len(g)-3], "needs 16 data bytes, file has 13"},
		"version":   {append(append([]byte{}, g[:6]...), append([]byte{9, 0}, g[8:]...)...), "version 9.0"},
		"fortran":   {bytes.Replace(g, []byte("False"), []byte("True "), 1), "fortran_order True"},
		"dtype":     {bytes.Replace(g, []byte("<f4"), []byte("<c8"), 1), "unsupported dtype"},
		"shape":     {bytes.Replace(g, []byte("(2, 2)"), []byte("(2, -2)"), 1), "bad dimension"},
		"forged":    {bytes.Replace(g, []byte("(2, 2)"), []byte("(9999999, 99)"), 1), "needs 3959999604 data bytes"},
	}
	for name, c := range cases {
		_, _, err := ReadFloat32(bytes.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", name, err, c.want)
		}
	}
}

func TestWriterPanicsOnLengthMismatch(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(error).Error(), "npy: shape [2 3] holds 6 elements, data has 5") {
			t.Fatalf("recovered %v", r)
		}
	}()
	_ = WriteFloat32(&bytes.Buffer{}, []int{2, 3}, make([]float32, 5))
}

func FuzzReadFloat32(f *testing.F) {
	var b bytes.Buffer
	_ = WriteFloat32(&b, []int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	f.Add(b.Bytes())
	b.Reset()
	_ = WriteUint16(&b, []int{1, 2, 2}, []uint16{1, 2, 3, 4})
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, in []byte) {
		shape, data, err := ReadFloat32(bytes.NewReader(in))
		if err != nil {
			return
		}
		n := 1
		for _, d := range shape {
			n *= d
		}
		if n != len(data) {
			t.Fatalf("shape %v but %d values", shape, len(data))
		}
		if len(data) > len(in) {
			t.Fatalf("%d values from %d bytes", len(data), len(in))
		}
	})
}

func TestWriteInt8(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteInt8(&buf, []int{1, 3}, []int8{-128, 0, 127}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "'descr': '|i1'") {
		t.Fatalf("header %q", buf.String()[:64])
	}
	shape, got, err := ReadFloat32(&buf)
	if err != nil || len(shape) != 2 || got[0] != -128 || got[2] != 127 {
		t.Fatalf("read back %v %v %v", shape, got, err)
	}
}
