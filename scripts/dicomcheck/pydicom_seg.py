#!/usr/bin/python3
"""Check a lungo DICOM Segmentation and overlay Secondary Capture with pydicom.

    /usr/bin/python3 scripts/dicomcheck/pydicom_seg.py --source SRC.dcm \
        --seg SEG.dcm --sc SC.dcm --mask MASK.npy

MASK.npy is the mask lungo wrote (uint8 [rows, cols], nonzero = inside),
as internal/cmd/segsample saves it. The script checks the key attributes of
both objects against the source (study, references, geometry), compares
pydicom's pixel_array of the SEG with the mask bit for bit (and a second,
independent unpacking of the raw bytes with numpy), and checks that the
overlay's red pixels lie inside the mask and every other pixel is grey.
It prints one line per check and exits 1 if any fails.

Debian: apt-get install -y python3-pydicom python3-numpy (pydicom 2.3.1).
scripts/dicomcheck/check.sh runs it on every sample.
"""
import argparse
import re
import sys

import numpy as np
import pydicom

SEG_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
SC_CLASS = "1.2.840.10008.5.1.4.1.1.7"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
UID_RE = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")

failures = []


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + (": " + detail if detail else ""))
    if not ok:
        failures.append(name)


def check_uid(name, uid):
    uid = str(uid)
    check(name + " is a valid UID", len(uid) <= 64 and UID_RE.match(uid) is not None, uid)


def code(item):
    return (item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning)


def common(kind, ds, src, sop_class):
    check(kind + " SOPClassUID", ds.SOPClassUID == sop_class, ds.SOPClassUID)
    check(kind + " file meta SOP class", ds.file_meta.MediaStorageSOPClassUID == sop_class)
    check(kind + " file meta SOP instance", ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID)
    check(kind + " transfer syntax", ds.file_meta.TransferSyntaxUID == EXPLICIT_LE, ds.file_meta.TransferSyntaxUID)
    check(kind + " is explicit VR little endian", not ds.is_implicit_VR and ds.is_little_endian)
    for kw in ("SOPInstanceUID", "SeriesInstanceUID", "StudyInstanceUID"):
        check_uid(kind + " " + kw, ds[kw].value)
    check(kind + " same study", ds.StudyInstanceUID == src.StudyInstanceUID)
    check(kind + " new series", ds.SeriesInstanceUID != src.SeriesInstanceUID)
    check(kind + " new instance", ds.SOPInstanceUID != src.SOPInstanceUID)
    for kw in ("PatientID", "PatientName", "PatientSex", "StudyDate", "AccessionNumber"):
        check(kind + " " + kw + " copied", str(ds.get(kw, "")) == str(src.get(kw, "")), repr(str(ds.get(kw, ""))))
    check(kind + " ContentDate is DA", re.match(r"^\d{8}$", ds.ContentDate) is not None, ds.ContentDate)
    check(kind + " ContentTime is TM", re.match(r"^\d{6}(\.\d{1,6})?$", ds.ContentTime) is not None, ds.ContentTime)
    for kw in ("Manufacturer",):
        check(kind + " " + kw, bool(ds.get(kw)), str(ds.get(kw)))


def check_seg(path, src, mask):
    ds = pydicom.dcmread(path)
    common("SEG", ds, src, SEG_CLASS)
    check("SEG Modality", ds.Modality == "SEG")
    check("SEG SegmentationType", ds.SegmentationType == "BINARY")
    check("SEG BitsAllocated/BitsStored 1", ds.BitsAllocated == 1 and ds.BitsStored == 1 and ds.HighBit == 0)
    check("SEG NumberOfFrames 1", int(ds.NumberOfFrames) == 1)
    check("SEG Rows/Columns", (ds.Rows, ds.Columns) == mask.shape, "%dx%d" % (ds.Rows, ds.Columns))
    for kw in ("Manufacturer", "ManufacturerModelName", "DeviceSerialNumber", "SoftwareVersions"):
        check("SEG Enhanced General Equipment " + kw, bool(ds.get(kw)), str(ds.get(kw)))
    check("SEG one segment", len(ds.SegmentSequence) == 1)
    s = ds.SegmentSequence[0]
    check("SEG segment number 1", s.SegmentNumber == 1)
    check("SEG segment label", s.SegmentLabel == "Pneumothorax")
    check("SEG category code", code(s.SegmentedPropertyCategoryCodeSequence[0]) == ("49755003", "SCT", "Morphologically Altered Structure"))
    check("SEG type code", code(s.SegmentedPropertyTypeCodeSequence[0]) == ("36118008", "SCT", "Pneumothorax"))
    check("SEG algorithm type", s.SegmentAlgorithmType == "AUTOMATIC")
    alg = s.SegmentationAlgorithmIdentificationSequence[0]
    check("SEG algorithm name", alg.AlgorithmName == "lungo" and s.SegmentAlgorithmName == "lungo")
    check("SEG algorithm version", bool(alg.AlgorithmVersion), alg.AlgorithmVersion)
    check("SEG model hash", str(alg.get("AlgorithmParameters", "")).startswith("model_sha256="))
    ref = ds.ReferencedSeriesSequence[0]
    check("SEG referenced series", ref.SeriesInstanceUID == src.SeriesInstanceUID)
    inst = ref.ReferencedInstanceSequence[0]
    check("SEG referenced instance", (inst.ReferencedSOPClassUID, inst.ReferencedSOPInstanceUID) == (src.SOPClassUID, src.SOPInstanceUID))
    fg = ds.PerFrameFunctionalGroupsSequence[0]
    si = fg.DerivationImageSequence[0].SourceImageSequence[0]
    check("SEG derivation source image", (si.ReferencedSOPClassUID, si.ReferencedSOPInstanceUID) == (src.SOPClassUID, src.SOPInstanceUID))
    check("SEG per-frame segment number", fg.SegmentIdentificationSequence[0].ReferencedSegmentNumber == 1)
    check("SEG dimension index", len(ds.DimensionIndexSequence) >= 1 and
          ds.DimensionIndexSequence[0].DimensionIndexPointer == 0x0062000B)
    shared = ds.SharedFunctionalGroupsSequence[0]
    if "FrameOfReferenceUID" in src:
        check("SEG frame of reference carried over", ds.get("FrameOfReferenceUID") == src.FrameOfReferenceUID)
    else:
        check("SEG no frame of reference (source has none)", "FrameOfReferenceUID" not in ds)
    if "PixelSpacing" in src and all(float(v) > 0 for v in src.PixelSpacing):
        got = [float(v) for v in shared.PixelMeasuresSequence[0].PixelSpacing]
        check("SEG pixel spacing carried over", np.allclose(got, [float(v) for v in src.PixelSpacing], rtol=1e-12), str(got))
    elif "PixelSpacing" in src:
        check("SEG zero pixel spacing (unknown) left out", "PixelMeasuresSequence" not in shared)
    if "ImageOrientationPatient" in src:
        got = [float(v) for v in shared.PlaneOrientationSequence[0].ImageOrientationPatient]
        check("SEG orientation carried over", np.allclose(got, [float(v) for v in src.ImageOrientationPatient], atol=1e-9))
    if "ImagePositionPatient" in src:
        got = [float(v) for v in fg.PlanePositionSequence[0].ImagePositionPatient]
        check("SEG position carried over", np.allclose(got, [float(v) for v in src.ImagePositionPatient], atol=1e-9))

    want = (mask != 0).astype(np.uint8)
    px = ds.pixel_array
    check("SEG pixel_array shape", px.shape == want.shape, str(px.shape))
    check("SEG pixel_array equals the mask bit for bit", px.shape == want.shape and np.array_equal(px, want),
          "%d set, mask %d" % (int(px.sum()), int(want.sum())))
    raw = np.frombuffer(ds.PixelData, dtype=np.uint8)
    n = want.size
    check("SEG pixel data length", len(raw) == (n + 7) // 8 + ((n + 7) // 8) % 2, "%d bytes" % len(raw))
    bits = np.unpackbits(raw, bitorder="little")
    check("SEG raw bits equal the mask", np.array_equal(bits[:n].reshape(want.shape), want))
    check("SEG padding bits are zero", not bits[n:].any())


def check_sc(path, src, mask):
    ds = pydicom.dcmread(path)
    common("SC", ds, src, SC_CLASS)
    check("SC ConversionType WSD", ds.ConversionType == "WSD")
    check("SC RGB", ds.PhotometricInterpretation == "RGB" and ds.SamplesPerPixel == 3 and ds.PlanarConfiguration == 0)
    check("SC 8 bits", ds.BitsAllocated == 8 and ds.BitsStored == 8 and ds.HighBit == 7 and ds.PixelRepresentation == 0)
    si = ds.SourceImageSequence[0]
    check("SC source image", (si.ReferencedSOPClassUID, si.ReferencedSOPInstanceUID) == (src.SOPClassUID, src.SOPInstanceUID))
    ri = ds.ReferencedImageSequence[0]
    check("SC referenced image", ri.ReferencedSOPInstanceUID == src.SOPInstanceUID)
    check("SC ImageType", list(ds.ImageType)[:2] == ["DERIVED", "SECONDARY"])
    px = ds.pixel_array
    check("SC pixel_array shape", px.shape == mask.shape + (3,), str(px.shape))
    r, g, b = (px[..., i].astype(int) for i in range(3))
    red = (r == 255) & (g == 0) & (b == 0)
    grey = (r == g) & (g == b)
    inside = mask != 0
    check("SC red pixels lie inside the mask", not (red & ~inside).any(), "%d red" % int(red.sum()))
    check("SC outline present iff the mask is", bool(red.any()) == bool(inside.any()))
    check("SC every other pixel is grey", np.all(red | grey))
    if inside.any():
        # Each mask pixel with a 4-neighbour outside the mask is on the outline.
        p = np.pad(inside, 1)
        edge = inside & ~(p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:])
        check("SC the mask's boundary is red", np.all(red[edge]), "%d boundary pixels" % int(edge.sum()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", required=True)
    ap.add_argument("--seg", required=True)
    ap.add_argument("--sc", required=True)
    ap.add_argument("--mask", required=True)
    a = ap.parse_args()
    src = pydicom.dcmread(a.source, stop_before_pixels=True)
    mask = np.load(a.mask)
    print("pydicom %s, numpy %s; mask %s, %d set" % (pydicom.__version__, np.__version__, mask.shape, int((mask != 0).sum())))
    check_seg(a.seg, src, mask)
    check_sc(a.sc, src, mask)
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
