package jpeg2k_test

import (
	"testing"

	"github.com/lungo-ml/lungo/data/dicom/jpeg2k"
)

// BenchmarkDecode decodes the real radiograph RG1_J2KI (1955x1841 9/7) and
// MR2_J2KR (1024x1024 5/3). scripts/golden/jpeg2k_bench.sh runs it beside
// opj_decompress.
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"RG1_J2KI.dcm", "MR2_J2KR.dcm", "US1_J2KR.dcm"} {
		b.Run(name, func(b *testing.B) {
			cs := codestream(b, name)
			b.SetBytes(int64(len(cs)))
			b.ReportAllocs()
			c0 := cpuTime()
			for b.Loop() {
				if _, err := jpeg2k.Decode(cs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-c0)/1e6/float64(b.N), "cpu-ms/op")
		})
	}
}
