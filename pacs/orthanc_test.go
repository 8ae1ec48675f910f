package pacs

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lungo-ml/lungo/internal/orthanctest"
)

// These tests run against a real Orthanc (Debian's package), started per
// test by internal/orthanctest: they test the protocol as Orthanc speaks
// it. client_test.go tests the retry policy against httptest fakes.

func testClient(s *orthanctest.Server) *Client {
	return &Client{BaseURL: s.URL, Username: s.Username, Password: s.Password,
		Retry: RetryPolicy{MaxAttempts: 3, BaseDelay: 20 * time.Millisecond, MaxElapsed: 2 * time.Second}}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestOrthancRoundTrip uploads real files, finds them again by UID and
// through the change feed, fetches them back byte for byte, and checks
// that a second upload stores nothing new.
func TestOrthancRoundTrip(t *testing.T) {
	t.Parallel() // each test has its own Orthanc
	srv := orthanctest.Start(t)
	c, ctx := testClient(srv), testCtx(t)
	srcs := append(siimSources(t), loadSource(t, ctSmall))

	var stored []Stored
	for _, s := range srcs {
		st, err := c.Upload(ctx, s.bytes)
		if err != nil {
			t.Fatalf("upload %s: %v", s.path, err)
		}
		if st.ID == "" || st.ParentStudy == "" || st.ParentSeries == "" || st.ParentPatient == "" {
			t.Errorf("upload %s: incomplete answer %+v", s.path, st)
		}
		if st.SOPInstanceUID != s.sop {
			t.Errorf("upload %s: SOPInstanceUID %q, the file says %q", s.path, st.SOPInstanceUID, s.sop)
		}
		if st.AlreadyStored {
			t.Errorf("upload %s: AlreadyStored on the first upload", s.path)
		}
		stored = append(stored, st)
	}

	// Byte for byte back.
	for i, s := range srcs {
		b, err := c.Instance(ctx, stored[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, s.bytes) {
			t.Errorf("%s: fetched %d bytes that differ from the %d uploaded", s.path, len(b), len(s.bytes))
		}
	}

	// The change feed lists one NewInstance per upload, in upload order,
	// and reads the same page by page.
	all, last, done, err := c.Changes(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if !done || last != all[len(all)-1].Seq {
		t.Errorf("Changes: done %v, last %d, final seq %d", done, last, all[len(all)-1].Seq)
	}
	var newInst []string
	for _, ch := range all {
		if ch.ChangeType == ChangeNewInstance {
			newInst = append(newInst, ch.ID)
		}
	}
	want := []string{stored[0].ID, stored[1].ID, stored[2].ID}
	if !slices.Equal(newInst, want) {
		t.Errorf("NewInstance changes %v, want %v", newInst, want)
	}
	var paged []Change
	for since := int64(0); ; {
		page, next, done, err := c.Changes(ctx, since, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 2 {
			t.Fatalf("a page of %d changes with limit 2", len(page))
		}
		paged = append(paged, page...)
		since = next
		if done {
			break
		}
	}
	if !slices.Equal(paged, all) {
		t.Errorf("paging by 2 gave %d changes, one request %d", len(paged), len(all))
	}
	if lc, err := c.LastChange(ctx); err != nil || lc != last {
		t.Errorf("LastChange = %d, %v; want %d", lc, err, last)
	}

	// Idempotent re-upload: same identifier, AlreadyStored, no change.
	again, err := c.Upload(ctx, srcs[0].bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !again.AlreadyStored || again.ID != stored[0].ID || again.SOPInstanceUID != srcs[0].sop {
		t.Errorf("second upload: %+v, want AlreadyStored with ID %s", again, stored[0].ID)
	}
	if more, _, _, err := c.Changes(ctx, last, 100); err != nil || len(more) != 0 {
		t.Errorf("the second upload made changes %v (%v)", more, err)
	}

	// Lookups by UID.
	refs, err := c.FindBySOP(ctx, srcs[2].sop)
	if err != nil || len(refs) != 1 {
		t.Fatalf("FindBySOP: %v, %v", refs, err)
	}
	ct := refs[0]
	if ct.ID != stored[2].ID || ct.Modality != "CT" || ct.SOPClassUID != srcs[2].sopClass || ct.StudyInstanceUID != srcs[2].study {
		t.Errorf("FindBySOP(CT): %+v", ct)
	}
	if refs, err := c.FindBySOP(ctx, "1.2.3.4.5.6.7"); err != nil || len(refs) != 0 {
		t.Errorf("FindBySOP(unknown) = %v, %v; want none", refs, err)
	}
	study, err := c.StudyInstances(ctx, srcs[0].study)
	if err != nil {
		t.Fatal(err)
	}
	if len(study) != 1 || study[0].ID != stored[0].ID || study[0].SOPInstanceUID != srcs[0].sop ||
		study[0].SOPClassUID != SecondaryCaptureSOPClass || study[0].Modality != "CR" || study[0].SeriesInstanceUID != srcs[0].series {
		t.Errorf("StudyInstances(SIIM study): %+v", study)
	}
	if _, err := c.StudyInstances(ctx, "1.2.3.4.5.6.7"); !errors.Is(err, ErrNotFound) {
		t.Errorf("StudyInstances(unknown) error %v, want ErrNotFound", err)
	}
	if _, err := c.StudyInstances(ctx, "1.2.*"); err == nil || !strings.Contains(err.Error(), "not a DICOM UID") {
		t.Errorf("StudyInstances with a wildcard: %v", err)
	}
	if _, err := c.Instance(ctx, "../system"); err == nil {
		t.Error("Instance accepted an identifier that changes the path")
	}
	_, err = c.Instance(ctx, "0123abcd-0123abcd-0123abcd-0123abcd-0123abcd")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), srv.URL+"/instances/") {
		t.Errorf("Instance(unknown) error %v, want ErrNotFound naming the URL", err)
	}

	// Garbage is refused with Orthanc's reason, at once.
	_, err = c.Upload(ctx, []byte("not a DICOM file"))
	var pe *Error
	if !errors.As(err, &pe) || pe.StatusCode != 400 || pe.Attempts != 1 || !strings.Contains(err.Error(), "Bad file format") {
		t.Errorf("upload of garbage: %v", err)
	}
}

// TestOrthancResults stores lungo-shaped results for one source and finds
// exactly them again.
func TestOrthancResults(t *testing.T) {
	t.Parallel() // each test has its own Orthanc
	srv := orthanctest.Start(t)
	c, ctx := testClient(srv), testCtx(t)
	srcs := siimSources(t)
	a, b := srcs[0], srcs[1]
	for _, s := range srcs {
		if _, err := c.Upload(ctx, s.bytes); err != nil {
			t.Fatal(err)
		}
	}
	if r, err := c.Results(ctx, a.study, a.sop, "lungo"); err != nil || len(r) != 0 {
		t.Fatalf("Results before any result: %v, %v", r, err)
	}
	ours, err := c.Upload(ctx, fakeResult(a, "2.25.1001", "2.25.1000", "lungo"))
	if err != nil {
		t.Fatal(err)
	}
	// In the same study: another vendor's SEG of a, and lungo's SEG of b
	// filed under a's study (it must not count for a).
	if _, err := c.Upload(ctx, fakeResult(a, "2.25.2001", "2.25.2000", "OtherAI")); err != nil {
		t.Fatal(err)
	}
	other := b
	other.study, other.patID = a.study, a.patID
	if _, err := c.Upload(ctx, fakeResult(other, "2.25.3001", "2.25.3000", "lungo")); err != nil {
		t.Fatal(err)
	}
	if ours.ParentStudy != mustStudyOf(t, c, ctx, a) {
		t.Errorf("the result went to Orthanc study %s, not the source's", ours.ParentStudy)
	}

	r, err := c.Results(ctx, a.study, a.sop, "lungo")
	if err != nil {
		t.Fatal(err)
	}
	if len(r) != 1 || r[0].ID != ours.ID || r[0].SOPClassUID != SegmentationSOPClass || r[0].Manufacturer != "lungo" {
		t.Fatalf("Results(a, lungo) = %+v, want the one lungo SEG %s", r, ours.ID)
	}
	if !slices.Equal(r[0].References, []string{a.sop}) {
		t.Errorf("References %v, want [%s] once (it is referenced twice)", r[0].References, a.sop)
	}
	if r, err := c.Results(ctx, a.study, a.sop, ""); err != nil || len(r) != 2 {
		t.Errorf("Results(a, any maker) = %d instances, %v; want 2", len(r), err)
	}
	if r, err := c.Results(ctx, b.study, b.sop, "lungo"); err != nil || len(r) != 0 {
		t.Errorf("Results(b in its own study) = %v, %v; want none", r, err)
	}
	// Deleting the result makes the source pending again.
	if err := c.Delete(ctx, ours.ID); err != nil {
		t.Fatal(err)
	}
	if r, err := c.Results(ctx, a.study, a.sop, "lungo"); err != nil || len(r) != 0 {
		t.Errorf("Results after the delete: %v, %v", r, err)
	}
}

func mustStudyOf(t *testing.T, c *Client, ctx context.Context, s source) string {
	t.Helper()
	st, err := c.Upload(ctx, s.bytes) // AlreadyStored: gives the identifiers
	if err != nil {
		t.Fatal(err)
	}
	return st.ParentStudy
}

// TestOrthancWatch follows the change feed, saves where it stopped, and
// resumes there.
func TestOrthancWatch(t *testing.T) {
	t.Parallel() // each test has its own Orthanc
	srv := orthanctest.Start(t)
	c, ctx := testClient(srv), testCtx(t)
	srcs := append(siimSources(t), loadSource(t, ctSmall))
	statePath := filepath.Join(t.TempDir(), "watch.json")

	var ids []string
	for _, s := range srcs[:2] {
		st, err := c.Upload(ctx, s.bytes)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, st.ID)
	}
	st, err := LoadState(statePath)
	if err != nil || st.Last != 0 {
		t.Fatalf("LoadState(no file) = %+v, %v", st, err)
	}
	save := func(last int64) error { return State{Last: last}.Save(statePath) }
	var seen []string
	handle := func(ch Change) error { seen = append(seen, ch.ID); return nil }
	last, err := c.Watch(ctx, st.Last, WatchOptions{UntilDone: true, Limit: 3, Progress: save}, handle)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, ids) {
		t.Errorf("first pass saw %v, want %v", seen, ids)
	}
	if st, err = LoadState(statePath); err != nil || st.Last != last || last == 0 {
		t.Fatalf("saved state %+v (%v), Watch returned %d", st, err, last)
	}

	// A new instance while nobody watches: the next pass sees it alone.
	third, err := c.Upload(ctx, srcs[2].bytes)
	if err != nil {
		t.Fatal(err)
	}
	seen = nil
	last2, err := c.Watch(ctx, st.Last, WatchOptions{UntilDone: true, Progress: save}, handle)
	if err != nil || !slices.Equal(seen, []string{third.ID}) || last2 <= last {
		t.Fatalf("second pass saw %v, last %d -> %d, %v", seen, last, last2, err)
	}

	// A failing handler stops the watch before the change it failed on.
	boom := errors.New("boom")
	n := 0
	lastF, err := c.Watch(ctx, 0, WatchOptions{UntilDone: true}, func(ch Change) error {
		if n++; n == 2 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Watch with a failing handler: %v", err)
	}
	all, _, _, _ := c.Changes(ctx, 0, 100)
	var second int64
	for _, ch := range all {
		if ch.ID == ids[1] && ch.ChangeType == ChangeNewInstance {
			second = ch.Seq
		}
	}
	if lastF >= second || lastF == 0 {
		t.Errorf("Watch stopped at %d; the failing change is %d", lastF, second)
	}

	// A position past the end of the feed (another database) is an error.
	if _, err := c.Watch(ctx, last2+1000, WatchOptions{UntilDone: true}, handle); !errors.Is(err, ErrFeedBehind) {
		t.Errorf("Watch past the end of the feed: %v", err)
	}

	// Without UntilDone, Watch waits for new instances until cancelled.
	wctx, cancel := context.WithCancel(ctx)
	got := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		_, err := c.Watch(wctx, last2, WatchOptions{Interval: 20 * time.Millisecond}, func(ch Change) error {
			got <- ch.ID
			return nil
		})
		done <- err
	}()
	res, err := c.Upload(ctx, fakeResult(srcs[0], "2.25.4001", "2.25.4000", "lungo"))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-got:
		if id != res.ID {
			t.Errorf("the watcher saw %s, want %s", id, res.ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the watcher did not see the new instance")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Watch returned %v", err)
	}
}

// TestOrthancCredentials: a wrong password is a clear 401, sent once, with
// the password nowhere in the error.
func TestOrthancCredentials(t *testing.T) {
	t.Parallel() // each test has its own Orthanc
	srv := orthanctest.Start(t)
	c, ctx := testClient(srv), testCtx(t)
	c.Password = "wrong-" + srv.Password
	_, _, _, err := c.Changes(ctx, 0, 10)
	var pe *Error
	if !errors.As(err, &pe) || pe.StatusCode != 401 || pe.Attempts != 1 {
		t.Fatalf("wrong password: %v", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, srv.URL+"/changes") || !strings.Contains(msg, "401") || !strings.Contains(msg, "password") {
		t.Errorf("error %q should name the URL, the 401 and the credentials", msg)
	}
	if strings.Contains(msg, c.Password) || strings.Contains(msg, srv.Password) {
		t.Errorf("error %q holds the password", msg)
	}
	// Credentials in the URL work and stay out of errors too.
	u := strings.Replace(srv.URL, "http://", "http://"+srv.Username+":"+srv.Password+"@", 1)
	cu := &Client{BaseURL: u}
	if _, _, _, err := cu.Changes(ctx, 0, 1); err != nil {
		t.Errorf("credentials in BaseURL: %v", err)
	}
	_, err = cu.Instance(ctx, "0123abcd-0123abcd-0123abcd-0123abcd-0123abcd")
	if err == nil || strings.Contains(err.Error(), srv.Password) || !strings.Contains(err.Error(), srv.URL) {
		t.Errorf("error %v: want the URL without the password", err)
	}
}

// TestOrthancDown: a stopped PACS is retried, then reported by URL.
func TestOrthancDown(t *testing.T) {
	t.Parallel() // each test has its own Orthanc
	srv := orthanctest.Start(t)
	c, ctx := testClient(srv), testCtx(t)
	b, err := os.ReadFile(ctSmall)
	if err != nil {
		t.Skip(err)
	}
	srv.Stop()
	t0 := time.Now()
	_, err = c.Upload(ctx, b)
	var pe *Error
	if !errors.As(err, &pe) || pe.Attempts != 3 || pe.StatusCode != 0 {
		t.Fatalf("upload to a stopped Orthanc: %v", err)
	}
	if el := time.Since(t0); el > 2*time.Second {
		t.Errorf("gave up after %v; the policy allows 2 s", el)
	}
	msg := err.Error()
	for _, want := range []string{"POST " + srv.URL + "/instances", "connection refused", "3 attempts"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, srv.Password) {
		t.Errorf("error %q holds the password", msg)
	}
}

// TestOrthancSizeLimit: a file larger than MaxInstanceBytes is refused
// before it is read, and not retried.
func TestOrthancSizeLimit(t *testing.T) {
	t.Parallel() // each test has its own Orthanc
	srv := orthanctest.Start(t)
	c, ctx := testClient(srv), testCtx(t)
	src := loadSource(t, ctSmall)
	st, err := c.Upload(ctx, src.bytes)
	if err != nil {
		t.Fatal(err)
	}
	c.MaxInstanceBytes = int64(len(src.bytes)) - 1
	_, err = c.Instance(ctx, st.ID)
	var pe *Error
	if !errors.As(err, &pe) || pe.Attempts != 1 || !strings.Contains(err.Error(), "accepted") {
		t.Fatalf("over the limit: %v", err)
	}
	c.MaxInstanceBytes = int64(len(src.bytes))
	if b, err := c.Instance(ctx, st.ID); err != nil || len(b) != len(src.bytes) {
		t.Errorf("at the limit: %d bytes, %v", len(b), err)
	}
}
