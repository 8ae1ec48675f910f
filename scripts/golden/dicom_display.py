"""Goldens for data/dicom's display pipeline (display.go): pydicom 2.3's
apply_modality_lut and apply_voi_lut on small synthetic data sets and on
CT_small.dcm / MR_small_implicit.dcm, plus the 8-bit images lungo's Display8
must give (its rounding and auto window, defined in display.go and repeated
here in numpy).

Writes data/dicom/testdata/display/*.dcm (the synthetic inputs) and
data/dicom/testdata/display/display.gold (tensors named "<case>.<what>"):
  <case>.modality        apply_modality_lut(stored, ds)            [rows, cols]
  <case>.voi.i<K>        apply_voi_lut(modality, ds, index=K)       (prefer_lut=True)
  <case>.voi.i<K>.win    apply_voi_lut(modality, ds, index=K, prefer_lut=False)
  <case>.u8              Display8 with default options              [rows, cols]
  <case>.u8.i<K>         Display8 with WindowIndex K
  <case>.u8.win          Display8 with PreferWindow
  <case>.range           [ymin, ymax] of the modality output (pydicom's windowing range)
For the real files (too big to store whole), .modality and .voi hold every
SUBth pixel (flat C order) and .u8 the whole image.

Needs Debian's python3-pydicom (2.3) and python3-numpy:
    apt-get install -y python3-pydicom python3-numpy
Regenerate with: /usr/bin/python3 scripts/golden/dicom_display.py
"""
import copy
import os
import struct
import sys
import warnings

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ExplicitVRBigEndian, ImplicitVRLittleEndian

sys.path.insert(0, os.path.dirname(__file__))
from goldfile import write  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "data", "dicom", "testdata", "display")
SHARED = os.path.join(ROOT, "..", "shared", "data", "dicom")
SUB = 5  # stride of the stored samples of the real files' float outputs

assert pydicom.__version__.startswith("2.3"), pydicom.__version__
warnings.simplefilter("ignore")  # pydicom warns about VOI LUTs on float input


def u8_of(voi, ymin, ymax, mono1):
    """Display8's 8-bit mapping: q = floor((y-ymin)/(ymax-ymin)*255 + 0.5),
    clamped to 0..255; MONOCHROME1 gives 255-q."""
    t = (np.asarray(voi, dtype=np.float64) - ymin) / (ymax - ymin)
    q = np.clip(np.floor(t * 255 + 0.5), 0, 255)
    return 255 - q if mono1 else q


def modality_range(ds):
    """pydicom's apply_windowing output range (ymin, ymax)."""
    if ds.get("ModalityLUTSequence"):
        return 0.0, float(2 ** ds.ModalityLUTSequence[0].LUTDescriptor[2] - 1)
    bs = ds.BitsStored
    if ds.PixelRepresentation == 0:
        lo, hi = 0.0, float(2 ** bs - 1)
    else:
        lo, hi = float(-(2 ** (bs - 1))), float(2 ** (bs - 1) - 1)
    if "RescaleSlope" in ds and "RescaleIntercept" in ds:
        s, i = float(ds.RescaleSlope), float(ds.RescaleIntercept)
        lo, hi = lo * s + i, hi * s + i
    return lo, hi


def percentile(v, q):
    return float(np.percentile(np.asarray(v, dtype=np.float64), q))


def auto_u8(ds, mod, mono1):
    """Display8's auto window: the 0.5th and 99.5th percentiles (numpy's
    linear method) of the frame's modality values as a LINEAR_EXACT window;
    min/max when they coincide; a constant frame is 0 (MONOCHROME1 255)."""
    lo, hi = percentile(mod, 0.5), percentile(mod, 99.5)
    if not hi > lo:
        lo, hi = float(np.min(mod)), float(np.max(mod))
    if not hi > lo:
        return np.full(mod.shape, 255.0 if mono1 else 0.0)
    w = copy.deepcopy(ds)
    for k in ("VOILUTSequence", "WindowCenter", "WindowWidth", "VOILUTFunction"):
        if k in w:
            del w[k]
    w.WindowCenter = (lo + hi) / 2
    w.WindowWidth = hi - lo
    w.VOILUTFunction = "LINEAR_EXACT"
    y = apply_voi_lut(mod, w)
    ymin, ymax = modality_range(ds)
    return u8_of(y, ymin, ymax, mono1)


def voi_range(ds, index, prefer_lut):
    """The output range of the VOI stage Display8 applies: a VOI LUT's
    [0, 2^bits-1], or the modality range for a window."""
    has_lut = bool(ds.get("VOILUTSequence"))
    has_win = "WindowCenter" in ds and "WindowWidth" in ds
    if has_lut and (prefer_lut or not has_win):
        bits = ds.VOILUTSequence[index].LUTDescriptor[2]
        return 0.0, float(2 ** bits - 1)
    return modality_range(ds)


def display_u8(ds, stored, index=0, prefer_lut=True):
    mono1 = ds.PhotometricInterpretation == "MONOCHROME1"
    mod = apply_modality_lut(stored, ds)
    has_voi = bool(ds.get("VOILUTSequence")) or ("WindowCenter" in ds and "WindowWidth" in ds)
    identity_mod = not ds.get("ModalityLUTSequence") and float(ds.get("RescaleSlope", 1)) == 1 \
        and float(ds.get("RescaleIntercept", 0)) == 0
    if not has_voi:
        if ds.BitsAllocated == 8 and ds.PixelRepresentation == 0 and identity_mod:
            top = 2 ** ds.BitsStored - 1
            return (top - stored) if mono1 else stored.astype(np.float64)
        return auto_u8(ds, mod, mono1)
    y = apply_voi_lut(mod, ds, index=index, prefer_lut=prefer_lut)
    ymin, ymax = voi_range(ds, index, prefer_lut)
    return u8_of(y, ymin, ymax, mono1)


def new_ds(path, syntax, rows, cols, bits_alloc, bits_stored, signed, photometric, stored):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture
    meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.8.498.1"
    meta.TransferSyntaxUID = syntax
    meta.ImplementationClassUID = "1.2.826.0.1.3680043.8.498.2"
    ds = FileDataset(path, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian = syntax != ExplicitVRBigEndian
    ds.is_implicit_VR = syntax == ImplicitVRLittleEndian
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits_alloc, bits_stored, bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    dt = {(8, False): "u1", (8, True): "i1", (16, False): "u2", (16, True): "i2"}[(bits_alloc, signed)]
    order = ">" if syntax == ExplicitVRBigEndian else "<"
    arr = np.asarray(stored).reshape(rows, cols).astype(order + dt)
    ds.PixelData = arr.tobytes()
    return ds, arr.astype(dt)


def ramp(lo, hi, n):
    """n integers from lo to hi inclusive, spread evenly (rounded)."""
    return np.round(np.linspace(lo, hi, n)).astype(np.int64)


def lut_item(n_desc, first, bits, data, desc_vr, data_vr, big_endian=False):
    it = Dataset()
    it.add_new(0x00283002, desc_vr, [n_desc, first, bits])  # LUT Descriptor
    it.add_new(0x00283003, "LO", "lungo test LUT")  # LUT Explanation
    if data_vr == "OW":
        it.add_new(0x00283006, "OW", struct.pack((">" if big_endian else "<") + "%dH" % len(data), *data))
    else:
        it.add_new(0x00283006, "US", list(int(v) for v in data))
    return it


def cases():
    """Yields (name, ds, stored array, list of (suffix, index, prefer_lut))."""
    p = lambda n: os.path.join(OUT, n + ".dcm")  # noqa: E731

    # Rescale (slope 0.5, intercept -100.5) and two windows (LINEAR).
    ds, a = new_ds(p("rescale_multiwin"), ExplicitVRLittleEndian, 16, 16, 16, 12, False, "MONOCHROME2",
                   ramp(0, 4095, 256))
    ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType = "0.5", "-100.5", "US"
    ds.WindowCenter, ds.WindowWidth = ["500", "1000.5"], ["800", "300"]
    yield "rescale_multiwin", ds, a, [(".i0", 0, True), (".i1", 1, True)]

    # Signed CT-like values, LINEAR_EXACT.
    ds, a = new_ds(p("signed_linear_exact"), ExplicitVRLittleEndian, 16, 16, 16, 16, True, "MONOCHROME2",
                   ramp(-1200, 3000, 256))
    ds.RescaleSlope, ds.RescaleIntercept = "1", "-1024"
    ds.WindowCenter, ds.WindowWidth, ds.VOILUTFunction = "40", "400", "LINEAR_EXACT"
    yield "signed_linear_exact", ds, a, [(".i0", 0, True)]

    # SIGMOID, signed 12-bit in 16, rescale.
    ds, a = new_ds(p("signed_sigmoid"), ExplicitVRLittleEndian, 16, 16, 16, 12, True, "MONOCHROME2",
                   ramp(-2048, 2047, 256))
    ds.RescaleSlope, ds.RescaleIntercept = "2", "10"
    ds.WindowCenter, ds.WindowWidth, ds.VOILUTFunction = "100", "600", "SIGMOID"
    yield "signed_sigmoid", ds, a, [(".i0", 0, True)]

    # Width 1 LINEAR (a threshold) on 8-bit data.
    ds, a = new_ds(p("linear_width1"), ExplicitVRLittleEndian, 8, 8, 8, 8, False, "MONOCHROME2",
                   ramp(0, 255, 64))
    ds.WindowCenter, ds.WindowWidth = "100", "1"
    yield "linear_width1", ds, a, [(".i0", 0, True)]

    # Modality LUT, 8-bit entries (US, one per word), first mapped 100, then a window.
    lut = np.round(255 * (np.arange(256) / 255.0) ** 0.5).astype(int)
    ds, a = new_ds(p("modlut8_window"), ExplicitVRLittleEndian, 16, 16, 16, 10, False, "MONOCHROME2",
                   ramp(0, 1023, 256))
    ds.ModalityLUTSequence = Sequence([lut_item(256, 100, 8, lut, "US", "US")])
    ds.ModalityLUTSequence[0].ModalityLUTType = "OD"
    ds.WindowCenter, ds.WindowWidth = "128", "200"
    yield "modlut8_window", ds, a, [(".i0", 0, True)]

    # Modality LUT, 16-bit entries (OW), signed first mapped -512 (SS), no window.
    lut = (np.arange(1024) * 37 % 4096 + np.arange(1024) * 3).astype(int)
    ds, a = new_ds(p("modlut16_signed"), ExplicitVRLittleEndian, 16, 16, 16, 12, True, "MONOCHROME2",
                   ramp(-2048, 2047, 256))
    ds.ModalityLUTSequence = Sequence([lut_item(1024, -512, 16, lut, "SS", "OW")])
    yield "modlut16_signed", ds, a, []

    # The same LUT in explicit VR big endian (OW data byte-swapped on disk).
    ds, a = new_ds(p("modlut16_be"), ExplicitVRBigEndian, 16, 16, 16, 12, True, "MONOCHROME2",
                   ramp(-2048, 2047, 256))
    ds.ModalityLUTSequence = Sequence([lut_item(1024, -512, 16, lut, "SS", "OW", big_endian=True)])
    ds.WindowCenter, ds.WindowWidth = "3000", "4000"
    yield "modlut16_be", ds, a, [(".i0", 0, True)]

    # Implicit VR: the sequence and LUT elements are not in lungo's dictionary.
    lut8 = np.arange(200)[::-1].astype(int)
    ds, a = new_ds(p("modlut_implicit"), ImplicitVRLittleEndian, 8, 8, 8, 8, False, "MONOCHROME2",
                   ramp(0, 255, 64))
    ds.ModalityLUTSequence = Sequence([lut_item(200, 20, 8, lut8, "US", "US")])
    ds.WindowCenter, ds.WindowWidth = "100", "150"
    yield "modlut_implicit", ds, a, [(".i0", 0, True)]

    # VOI LUT Sequence with two items (12-bit entries; 8-bit entries) and a window.
    lut_a = np.round(4095 * np.sin(np.linspace(0, np.pi / 2, 2048))).astype(int)
    lut_b = np.round(np.linspace(255, 0, 200)).astype(int)
    ds, a = new_ds(p("voilut_two_items"), ExplicitVRLittleEndian, 16, 16, 16, 12, False, "MONOCHROME2",
                   ramp(0, 4095, 256))
    ds.VOILUTSequence = Sequence([lut_item(2048, 1024, 12, lut_a, "US", "OW"),
                                  lut_item(200, 3850, 8, lut_b, "US", "US")])
    ds.WindowCenter, ds.WindowWidth = ["2048", "1000"], ["4096", "500"]
    yield "voilut_two_items", ds, a, [(".i0", 0, True), (".i1", 1, True), (".i0.win", 0, False),
                                      (".i1.win", 1, False)]

    # VOI LUT with 16-bit entries after a rescale (float input).
    lut_c = (np.arange(512) * 128).astype(int)
    ds, a = new_ds(p("voilut_rescaled"), ExplicitVRLittleEndian, 8, 8, 16, 16, True, "MONOCHROME2",
                   ramp(-300, 700, 64))
    ds.RescaleSlope, ds.RescaleIntercept = "0.75", "3.5"
    ds.VOILUTSequence = Sequence([lut_item(512, -100, 16, lut_c, "SS", "OW")])
    yield "voilut_rescaled", ds, a, [(".i0", 0, True)]

    # MONOCHROME1 radiograph-like: 15 bits stored, window like RG1_J2KI.
    ds, a = new_ds(p("mono1_window"), ExplicitVRLittleEndian, 16, 16, 16, 15, False, "MONOCHROME1",
                   ramp(800, 26500, 256))
    ds.WindowCenter, ds.WindowWidth = "15000", "30000"
    yield "mono1_window", ds, a, [(".i0", 0, True)]

    # No window: auto window by percentiles (MONOCHROME1, signed 8-bit, 16-bit).
    rng = np.random.RandomState(7)
    ds, a = new_ds(p("mono1_auto"), ExplicitVRLittleEndian, 16, 16, 16, 12, False, "MONOCHROME1",
                   rng.randint(0, 4096, 256))
    yield "mono1_auto", ds, a, []
    ds, a = new_ds(p("signed8_auto"), ExplicitVRLittleEndian, 8, 8, 8, 8, True, "MONOCHROME2",
                   ramp(-128, 127, 64))
    yield "signed8_auto", ds, a, []

    # 8-bit unsigned without a window: identity (MONOCHROME2) / 255-v (MONOCHROME1).
    ds, a = new_ds(p("u8_identity"), ExplicitVRLittleEndian, 8, 8, 8, 8, False, "MONOCHROME2",
                   rng.randint(0, 256, 64))
    yield "u8_identity", ds, a, []
    ds, a = new_ds(p("u8_mono1"), ExplicitVRLittleEndian, 8, 8, 8, 8, False, "MONOCHROME1",
                   rng.randint(0, 256, 64))
    yield "u8_mono1", ds, a, []


def main():
    os.makedirs(OUT, exist_ok=True)
    tensors = {}
    for name, ds, a, vois in cases():
        ds.save_as(os.path.join(OUT, name + ".dcm"), write_like_original=False)
        # Read it back, as lungo will, so that pydicom sees the stored form.
        rd = pydicom.dcmread(os.path.join(OUT, name + ".dcm"))
        stored = rd.pixel_array
        assert np.array_equal(stored, a), name
        mod = apply_modality_lut(stored, rd)
        tensors[name + ".modality"] = mod
        tensors[name + ".range"] = np.asarray(modality_range(rd))
        tensors[name + ".u8"] = display_u8(rd, stored)
        for suffix, index, prefer in vois:
            tensors[name + ".voi" + suffix] = apply_voi_lut(mod, rd, index=index, prefer_lut=prefer)
            if suffix != ".i0":
                tensors[name + ".u8" + suffix] = display_u8(rd, stored, index, prefer)
    for fname, name in (("CT_small.dcm", "ct_small"), ("MR_small_implicit.dcm", "mr_small")):
        rd = pydicom.dcmread(os.path.join(SHARED, fname))
        stored = rd.pixel_array
        mod = apply_modality_lut(stored, rd)
        tensors[name + ".modality"] = mod.ravel()[::SUB]
        tensors[name + ".range"] = np.asarray(modality_range(rd))
        if "WindowCenter" in rd:
            tensors[name + ".voi.i0"] = apply_voi_lut(mod, rd).ravel()[::SUB]
        tensors[name + ".u8"] = display_u8(rd, stored)
    for k, v in tensors.items():
        v = np.asarray(v, dtype=np.float64)
        assert np.all(np.isfinite(v)), k
        # float32 storage: the Go test compares within 1e-6 relative
        assert np.all(np.abs(v.astype(np.float32) - v) <= 1e-7 * np.maximum(1, np.abs(v))), k
    write(os.path.join(OUT, "display.gold"), tensors,
          "regenerate with: /usr/bin/python3 scripts/golden/dicom_display.py (Debian python3-pydicom 2.3)")
    print("wrote", len(tensors), "tensors to", os.path.join(OUT, "display.gold"))


if __name__ == "__main__":
    main()
