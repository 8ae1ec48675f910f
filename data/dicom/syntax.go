package dicom

import "fmt"

// A TransferSyntax says how a data set after the file meta group is encoded.
type TransferSyntax struct {
	UID          string
	Name         string
	ExplicitVR   bool // false: implicit VR (types come from the dictionary)
	BigEndian    bool
	Deflated     bool // the data set is a raw deflate stream (RFC 1951)
	Encapsulated bool // pixel data is a sequence of compressed fragments
}

// Transfer syntax UIDs this package decodes pixels of.
const (
	ImplicitVRLittleEndian         = "1.2.840.10008.1.2"
	ExplicitVRLittleEndian         = "1.2.840.10008.1.2.1"
	DeflatedExplicitVRLittleEndian = "1.2.840.10008.1.2.1.99"
	ExplicitVRBigEndian            = "1.2.840.10008.1.2.2"
	JPEGBaseline8Bit               = "1.2.840.10008.1.2.4.50"
	JPEGExtended12Bit              = "1.2.840.10008.1.2.4.51"
	RLELossless                    = "1.2.840.10008.1.2.5"
)

var syntaxes = map[string]TransferSyntax{}

func init() {
	add := func(uid, name string, explicit, big, deflated, encaps bool) {
		syntaxes[uid] = TransferSyntax{uid, name, explicit, big, deflated, encaps}
	}
	add(ImplicitVRLittleEndian, "Implicit VR Little Endian", false, false, false, false)
	add(ExplicitVRLittleEndian, "Explicit VR Little Endian", true, false, false, false)
	add(DeflatedExplicitVRLittleEndian, "Deflated Explicit VR Little Endian", true, false, true, false)
	add(ExplicitVRBigEndian, "Explicit VR Big Endian (retired)", true, true, false, false)
	add("1.2.840.10008.1.2.1.98", "Encapsulated Uncompressed Explicit VR Little Endian", true, false, false, true)
	add(JPEGBaseline8Bit, "JPEG Baseline (Process 1)", true, false, false, true)
	add(JPEGExtended12Bit, "JPEG Extended (Process 2 & 4)", true, false, false, true)
	add("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)", true, false, false, true)
	add("1.2.840.10008.1.2.4.70", "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])", true, false, false, true)
	add("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless Image Compression", true, false, false, true)
	add("1.2.840.10008.1.2.4.81", "JPEG-LS Lossy (Near-Lossless) Image Compression", true, false, false, true)
	add("1.2.840.10008.1.2.4.90", "JPEG 2000 Image Compression (Lossless Only)", true, false, false, true)
	add("1.2.840.10008.1.2.4.91", "JPEG 2000 Image Compression", true, false, false, true)
	add("1.2.840.10008.1.2.4.92", "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)", true, false, false, true)
	add("1.2.840.10008.1.2.4.93", "JPEG 2000 Part 2 Multi-component Image Compression", true, false, false, true)
	add("1.2.840.10008.1.2.4.100", "MPEG2 Main Profile / Main Level", true, false, false, true)
	add("1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264 High Profile / Level 4.1", true, false, false, true)
	add("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 Image Compression (Lossless Only)", true, false, false, true)
	add("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000 Image Compression", true, false, false, true)
	add(RLELossless, "RLE Lossless", true, false, false, true)
}

// LookupTransferSyntax returns the transfer syntax with the given UID. An
// unknown UID gives explicit VR little endian with encapsulated pixel data
// (what PS3.5 requires of every syntax defined after 1.2.840.10008.1.2.2)
// and the name "unknown transfer syntax"; ok is false then.
func LookupTransferSyntax(uid string) (ts TransferSyntax, ok bool) {
	ts, ok = syntaxes[uid]
	if !ok {
		ts = TransferSyntax{UID: uid, Name: "unknown transfer syntax", ExplicitVR: true, Encapsulated: true}
	}
	return ts, ok
}

// String returns "UID (Name)".
func (ts TransferSyntax) String() string { return fmt.Sprintf("%s (%s)", ts.UID, ts.Name) }
