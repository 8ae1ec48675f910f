// Package pacs is a client for the REST API of the Orthanc PACS: it fetches
// the radiographs lungo reads and stores the results it writes (DICOM SEG
// and overlay Secondary Captures) back into the same study. It uses the
// standard library's net/http only.
//
//	c := &pacs.Client{BaseURL: "http://127.0.0.1:8042", Username: u, Password: pw}
//	st, err := c.Upload(ctx, seg)                  // POST /instances
//	b, err := c.Instance(ctx, id)                  // GET /instances/{id}/file
//	refs, err := c.StudyInstances(ctx, studyUID)   // POST /tools/find + tags
//	done, err := c.Results(ctx, studyUID, sopUID, "lungo")
//	last, err := c.Watch(ctx, state.Last, pacs.WatchOptions{Progress: save}, handle)
//
// # Failures
//
// Every request is retried on connection errors, 5xx and 429 with
// exponential backoff and jitter, within a bounded number of attempts and
// a bounded total time (RetryPolicy); other 4xx answers are final. The
// final error is an *Error that names the method and the URL (never the
// credentials), the HTTP status, Orthanc's message or an excerpt of the
// body, and the number of attempts. Answers are read through a size limit
// (Client.MaxResponseBytes, Client.MaxInstanceBytes).
//
// Nothing is half-stored: an upload is one POST of one whole file, which
// Orthanc stores whole or not at all, and a repeated upload of the same
// instance is answered AlreadyStored instead of making a copy, so a caller
// that does not know whether an upload arrived simply sends it again.
//
// # Credentials and TLS
//
// Username and Password go in HTTP basic authentication; the command line
// takes them from a flag or from $LUNGO_PACS_USERNAME / $LUNGO_PACS_PASSWORD.
// The password is never written in errors, String, GoString or JSON.
// NewHTTPClient adds a CA file to the system's roots (or skips
// verification, for tests) using crypto/tls.
//
// # Idempotence
//
// A second run over the same source must not store its results again.
// Results lists the instances of the source's study, other than the source,
// whose tags name the source's SOP Instance UID as a
// ReferencedSOPInstanceUID at any depth (where a SEG's Referenced Series
// Sequence and Derivation Image Sequence and an SC's Source Image Sequence
// put it) and whose Manufacturer is the one asked for; the caller writes
// what is missing. Orthanc's /tools/find cannot do this in one query: it
// matches indexed tags, and other tags only at the top level of the data
// set and only when the server is configured to read files for searches,
// whereas references sit inside sequences. Reading the tags of each
// instance of a radiograph study (a handful) is cheap and works on any
// Orthanc. Results written with UIDs derived from the source (rather than
// random ones) are also deduplicated by Orthanc itself on upload.
//
// # Watching
//
// Watch follows Orthanc's change feed (GET /changes) and hands each
// NewInstance change to a function; State records where it stopped in a
// small JSON file written atomically, so a restarted watcher resumes there.
package pacs
