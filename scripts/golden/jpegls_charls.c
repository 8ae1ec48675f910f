/* jpegls_charls: reference JPEG-LS streams for data/dicom/jpegls, made and
 * decoded by CharLS (Debian's libcharls 2.4, the codec GDCM and pydicom use).
 *
 *   jpegls_charls encode W H BITS COMPS ILV NEAR MAXVAL T1 T2 T3 RESET SEED OUT.jls OUT.raw
 *     makes a deterministic test image (flat areas, ramps, edges, noise,
 *     extremes), encodes it with CharLS (MAXVAL..RESET: 0 = default; any
 *     non-zero value makes CharLS write an LSE segment), decodes the stream
 *     again with CharLS and writes the decoded values to OUT.raw.
 *   jpegls_charls decode IN.jls OUT.raw
 *     decodes a stream with CharLS.
 * OUT.raw holds every value as uint16 little endian in [row][col][component]
 * order, whatever the interleave mode (the layout of jpegls.Image.Pix).
 *
 * Built and run by scripts/golden/jpegls.sh.
 */
#include <charls/charls.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng_state;
static uint32_t lcg(void) { rng_state = rng_state * 1664525u + 1013904223u; return rng_state >> 8; }

/* sample returns the test image's value at (x, y, c), in 0..maxv. The image
 * is cut into 4x3 regions of different kinds so that both regular and run
 * mode, and escapes of the Golomb code, are exercised. */
static int sample(int x, int y, int c, int w, int h, int maxv) {
	if (w >= 10000) /* long runs (RUNindex up to 31), few interruptions */
		return (y == 0 ? x == 50000 : x % 45007 == 0) ? maxv : 0;
	int kind = (x * 4 / w + 4 * (y * 3 / h) + c) % 12;
	long v;
	switch (kind) {
	case 0: v = (c * 37 + 11) % (maxv + 1); break;                    /* flat */
	case 1: v = (long)x * maxv / (w > 1 ? w - 1 : 1); break;           /* ramp */
	case 2: v = lcg() % (maxv + 1); break;                             /* full-range noise */
	case 3: v = maxv / 2 + (long)(lcg() % 5) - 2; break;              /* small noise */
	case 4: v = ((x / 2 + y / 2) & 1) ? maxv : 0; break;               /* checkerboard of extremes */
	case 5: v = ((long)(x + y) * (maxv / 16 + 1)) % (maxv + 1); break; /* wrapping diagonal ramp */
	case 6: v = (y & 1) ? maxv : (c * 5) % (maxv + 1); break;          /* line stripes */
	case 7: v = (x < w / 3) ? 1 : maxv - 1; break;                     /* vertical edge */
	case 8: v = (lcg() % 16 == 0) ? lcg() % (maxv + 1) : maxv / 3; break; /* runs, rare breaks */
	case 9: v = ((long)y * maxv) / (h > 1 ? h - 1 : 1); break;         /* vertical ramp */
	case 10: v = maxv; break;                                           /* flat at MAXVAL */
	default: v = ((long)x * x + (long)y * 3) % (maxv + 1); break;      /* texture */
	}
	if (v < 0) v = 0;
	if (v > maxv) v = maxv;
	return (int)v;
}

static void die(const char *what, charls_jpegls_errc e) {
	fprintf(stderr, "jpegls_charls: %s: %s\n", what, charls_get_error_message(e));
	exit(1);
}

/* index of value (x, y, c) in CharLS's buffer layout for the interleave mode */
static size_t at(int ilv, int x, int y, int c, int w, int h, int nc) {
	if (ilv == 0) return ((size_t)c * h + y) * w + x; /* planar: RRR GGG BBB */
	return ((size_t)y * w + x) * nc + c;              /* by pixel: RGB RGB (ILV 1 and 2) */
}

static void write_raw(const char *path, const uint8_t *buf, int bps, int ilv, int w, int h, int nc) {
	FILE *f = fopen(path, "wb");
	if (!f) { perror(path); exit(1); }
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			for (int c = 0; c < nc; c++) {
				size_t i = at(ilv, x, y, c, w, h, nc);
				unsigned v = bps == 1 ? buf[i] : (unsigned)buf[2 * i] | (unsigned)buf[2 * i + 1] << 8;
				fputc(v & 0xFF, f);
				fputc(v >> 8, f);
			}
	fclose(f);
}

static void decode(const uint8_t *src, size_t n, const char *out) {
	charls_jpegls_decoder *dec = charls_jpegls_decoder_create();
	charls_jpegls_errc e = charls_jpegls_decoder_set_source_buffer(dec, src, n);
	if (e) die("set_source_buffer", e);
	if ((e = charls_jpegls_decoder_read_header(dec))) die("read_header", e);
	charls_frame_info fi;
	if ((e = charls_jpegls_decoder_get_frame_info(dec, &fi))) die("get_frame_info", e);
	charls_interleave_mode ilv;
	if ((e = charls_jpegls_decoder_get_interleave_mode(dec, &ilv))) die("get_interleave_mode", e);
	size_t size;
	if ((e = charls_jpegls_decoder_get_destination_size(dec, 0, &size))) die("get_destination_size", e);
	uint8_t *buf = malloc(size);
	if ((e = charls_jpegls_decoder_decode_to_buffer(dec, buf, size, 0))) die("decode_to_buffer", e);
	write_raw(out, buf, fi.bits_per_sample <= 8 ? 1 : 2, (int)ilv, (int)fi.width, (int)fi.height, fi.component_count);
	charls_jpegls_decoder_destroy(dec);
	free(buf);
}

int main(int argc, char **argv) {
	if (argc == 4 && strcmp(argv[1], "decode") == 0) {
		FILE *f = fopen(argv[2], "rb");
		if (!f) { perror(argv[2]); return 1; }
		static uint8_t src[1 << 24];
		size_t n = fread(src, 1, sizeof src, f);
		fclose(f);
		decode(src, n, argv[3]);
		return 0;
	}
	if (argc != 16 || strcmp(argv[1], "encode") != 0) {
		fprintf(stderr, "usage: jpegls_charls encode W H BITS COMPS ILV NEAR MAXVAL T1 T2 T3 RESET SEED OUT.jls OUT.raw\n"
		                "       jpegls_charls decode IN.jls OUT.raw\n");
		return 2;
	}
	int w = atoi(argv[2]), h = atoi(argv[3]), bits = atoi(argv[4]), nc = atoi(argv[5]), ilv = atoi(argv[6]);
	int near = atoi(argv[7]);
	charls_jpegls_pc_parameters pc = {atoi(argv[8]), atoi(argv[9]), atoi(argv[10]), atoi(argv[11]), atoi(argv[12])};
	rng_state = (uint32_t)atol(argv[13]);
	int maxv = pc.maximum_sample_value ? pc.maximum_sample_value : (1 << bits) - 1;
	int bps = bits <= 8 ? 1 : 2;
	size_t nsrc = (size_t)w * h * nc * bps;
	uint8_t *src = malloc(nsrc);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			for (int c = 0; c < nc; c++) {
				int v = sample(x, y, c, w, h, maxv);
				size_t i = at(ilv, x, y, c, w, h, nc);
				if (bps == 1) src[i] = (uint8_t)v;
				else { src[2 * i] = (uint8_t)v; src[2 * i + 1] = (uint8_t)(v >> 8); }
			}

	charls_jpegls_encoder *enc = charls_jpegls_encoder_create();
	charls_frame_info fi = {(uint32_t)w, (uint32_t)h, bits, nc};
	charls_jpegls_errc e;
	if ((e = charls_jpegls_encoder_set_frame_info(enc, &fi))) die("set_frame_info", e);
	if ((e = charls_jpegls_encoder_set_near_lossless(enc, near))) die("set_near_lossless", e);
	if ((e = charls_jpegls_encoder_set_interleave_mode(enc, (charls_interleave_mode)ilv))) die("set_interleave_mode", e);
	if ((e = charls_jpegls_encoder_set_preset_coding_parameters(enc, &pc))) die("set_preset_coding_parameters", e);
	size_t cap;
	if ((e = charls_jpegls_encoder_get_estimated_destination_size(enc, &cap))) die("get_estimated_destination_size", e);
	uint8_t *dst = malloc(cap);
	if ((e = charls_jpegls_encoder_set_destination_buffer(enc, dst, cap))) die("set_destination_buffer", e);
	if ((e = charls_jpegls_encoder_encode_from_buffer(enc, src, nsrc, 0))) die("encode_from_buffer", e);
	size_t n;
	if ((e = charls_jpegls_encoder_get_bytes_written(enc, &n))) die("get_bytes_written", e);
	charls_jpegls_encoder_destroy(enc);

	FILE *f = fopen(argv[14], "wb");
	if (!f) { perror(argv[14]); return 1; }
	fwrite(dst, 1, n, f);
	fclose(f);
	decode(dst, n, argv[15]);
	if (near == 0) { /* lossless: CharLS must give the image back */
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s.orig", argv[15]);
		write_raw(tmp, src, bps, ilv, w, h, nc);
	}
	free(src);
	free(dst);
	return 0;
}
