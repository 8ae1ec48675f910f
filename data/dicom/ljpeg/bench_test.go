package ljpeg_test

import (
	"os"
	"testing"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/data/dicom/ljpeg"
)

// BenchmarkDecode decodes the frames of shared DICOM files: JPEG-LL (1024x256
// 16-bit lossless SV1), the 768x1024 8-bit lossless one, JPGExtended (12-bit
// DCT) and Fake_MONOHR1 (a 1024x1024 8-bit SIIM baseline frame). For the
// SIIM frame, decoder=dicom is data/dicom's own 8-bit decoder (parse and
// Pixels) as the baseline. cpu-ms/decode is process CPU time per decode
// (run with GOMAXPROCS=1 for a per-decode figure on a busy machine).
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"JPEG-LL.dcm", "JPGLosslessP14SV1_1s_1f_8b.dcm", "JPGExtended.dcm", "Fake_MONOHR1.dcm"} {
		b.Run("file="+name+"/decoder=ljpeg", func(b *testing.B) {
			data, _ := frame(b, sharedFile(b, "dicom/"+name))
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var n int
			cpu0 := cpuTime()
			for b.Loop() {
				img, err := ljpeg.Decode(data)
				if err != nil {
					b.Fatal(err)
				}
				n = len(img.Pix)
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(sec*1e3, "ms/decode")
			b.ReportMetric(float64(n)/sec/1e6, "Msample/s")
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N)*1e3, "cpu-ms/decode")
		})
	}
	b.Run("file=Fake_MONOHR1.dcm/decoder=dicom", func(b *testing.B) {
		file, err := os.ReadFile(sharedFile(b, "dicom/Fake_MONOHR1.dcm"))
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(file)))
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			f, err := dicom.Parse(file)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.Pixels(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e3, "ms/decode")
		b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N)*1e3, "cpu-ms/decode")
	})
}
