// Package serve puts a U-Net behind an HTTP service: POST /v1/predict takes
// a radiograph (DICOM, PNG, JPEG or .npy) and answers JSON (probability,
// decision, mask as SIIM run-length, thresholds, model, timings) or, with
// ?output=mask or ?output=overlay, a PNG (?include=overlay puts the overlay
// PNG into the JSON, base64, for one request per image); GET /healthz, /readyz and
// /metrics (Prometheus text format) tell how it is doing; GET / is a page
// where a person drops a radiograph and sees the overlay.
//
// Everything is bounded: Workers predictions run at once, each on its own
// replica of the model (shared weights); Queue more requests may wait; a
// request beyond them is answered 503 with Retry-After at once, before its
// body is read. Bodies over MaxBody get 413, images over MaxPixels 422 (from
// their headers, before pixel buffers are allocated), unsupported types 415,
// undecodable images 422 with the reason, requests over Timeout 504, and a
// handler panic is recovered, logged, counted and answered 500. Each request
// logs one structured line (log/slog).
//
// The caller runs the http.Server (cmd/lungo serve sets its timeouts and
// drains it on SIGTERM).
package serve
