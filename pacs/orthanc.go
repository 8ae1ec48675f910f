package pacs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// SOP classes lungo reads and writes.
const (
	SegmentationSOPClass     = "1.2.840.10008.5.1.4.1.1.66.4"
	SecondaryCaptureSOPClass = "1.2.840.10008.5.1.4.1.1.7"
)

// Stored is Orthanc's answer to an upload.
type Stored struct {
	ID             string // Orthanc's identifier of the instance
	ParentSeries   string // ... of its series, study and patient
	ParentStudy    string
	ParentPatient  string
	SOPInstanceUID string
	// AlreadyStored is set when Orthanc already held an instance with the
	// same patient, study, series and SOP Instance UIDs: it kept the stored
	// copy (unless configured with "OverwriteInstances": true). It is also
	// set when an attempt whose answer was lost stored the instance and a
	// retry found it there.
	AlreadyStored bool
}

// Upload stores one DICOM Part-10 file in Orthanc with a single POST
// /instances: the instance is stored whole or not at all, and a repeated
// upload (a retry, or a caller that is not sure the first one arrived)
// is answered AlreadyStored instead of storing a copy.
func (c *Client) Upload(ctx context.Context, dicom []byte) (Stored, error) {
	if len(dicom) == 0 {
		return Stored{}, errors.New("pacs: Upload: empty DICOM file")
	}
	var a struct {
		ID, ParentSeries, ParentStudy, ParentPatient, Status string
	}
	err := c.callJSON(ctx, request{method: http.MethodPost, path: "/instances", body: dicom,
		contentType: "application/dicom", accept: "application/json"}, &a)
	if err != nil {
		return Stored{}, err
	}
	if a.Status != "Success" && a.Status != "AlreadyStored" || a.ID == "" {
		ep, _ := c.endpoint()
		return Stored{}, fmt.Errorf("pacs: POST %s: Orthanc did not store the instance (status %q)", ep.url("/instances", nil), a.Status)
	}
	s := Stored{ID: a.ID, ParentSeries: a.ParentSeries, ParentStudy: a.ParentStudy, ParentPatient: a.ParentPatient,
		AlreadyStored: a.Status == "AlreadyStored"}
	var inst struct {
		MainDicomTags struct{ SOPInstanceUID string }
	}
	if err := c.getJSON(ctx, "/instances/"+a.ID, nil, &inst); err != nil {
		return s, fmt.Errorf("pacs: instance stored as %s, but reading its SOP Instance UID failed: %w", a.ID, err)
	}
	s.SOPInstanceUID = inst.MainDicomTags.SOPInstanceUID
	return s, nil
}

// Instance returns the DICOM file of an instance, byte for byte as it was
// stored (GET /instances/{id}/file), at most Client.MaxInstanceBytes.
func (c *Client) Instance(ctx context.Context, id string) ([]byte, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	return c.do(ctx, request{method: http.MethodGet, path: "/instances/" + id + "/file",
		accept: "application/dicom", limit: c.maxInstance()})
}

// Delete removes an instance from Orthanc (its series, study and patient
// go too when it was their last instance).
func (c *Client) Delete(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "/instances/" + id})
	return err
}

// An InstanceRef describes a stored instance, from its DICOM tags.
type InstanceRef struct {
	ID                string // Orthanc's identifier
	SOPClassUID       string
	SOPInstanceUID    string
	SeriesInstanceUID string
	StudyInstanceUID  string
	PatientID         string
	Modality          string
	SeriesDescription string
	Manufacturer      string
	InstanceNumber    string
	// References holds every ReferencedSOPInstanceUID (0008,1155) of the
	// instance, at any depth of sequences, once each, in tag order: the
	// images a SEG or SC was derived from.
	References []string
}

// InstanceInfo describes the instance with Orthanc identifier id from its
// tags (GET /instances/{id}/simplified-tags; pixel data is not sent).
func (c *Client) InstanceInfo(ctx context.Context, id string) (InstanceRef, error) {
	if err := checkID(id); err != nil {
		return InstanceRef{}, err
	}
	var tags map[string]any
	if err := c.getJSON(ctx, "/instances/"+id+"/simplified-tags", nil, &tags); err != nil {
		return InstanceRef{}, err
	}
	s := func(k string) string { v, _ := tags[k].(string); return v }
	ref := InstanceRef{
		ID: id, SOPClassUID: s("SOPClassUID"), SOPInstanceUID: s("SOPInstanceUID"),
		SeriesInstanceUID: s("SeriesInstanceUID"), StudyInstanceUID: s("StudyInstanceUID"),
		PatientID: s("PatientID"), Modality: s("Modality"), SeriesDescription: s("SeriesDescription"),
		Manufacturer: s("Manufacturer"), InstanceNumber: s("InstanceNumber"),
	}
	seen := map[string]bool{}
	collectRefs(tags, seen, &ref.References)
	return ref, nil
}

// collectRefs appends the ReferencedSOPInstanceUID values under v.
func collectRefs(v any, seen map[string]bool, out *[]string) {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys) // Orthanc sends tags sorted; keep the order stable whatever the map does
		for _, k := range keys {
			if s, ok := v[k].(string); ok && k == "ReferencedSOPInstanceUID" {
				for _, uid := range strings.Split(s, `\`) {
					if uid = strings.TrimSpace(uid); uid != "" && !seen[uid] {
						seen[uid] = true
						*out = append(*out, uid)
					}
				}
				continue
			}
			collectRefs(v[k], seen, out)
		}
	case []any:
		for _, x := range v {
			collectRefs(x, seen, out)
		}
	}
}

// find runs POST /tools/find at the Instance level and returns the
// matching Orthanc identifiers. Values are exact UIDs (checked by the
// callers), so DICOM wildcards cannot widen the match.
func (c *Client) find(ctx context.Context, query map[string]string) ([]string, error) {
	var ids []string
	err := c.postJSON(ctx, "/tools/find", map[string]any{"Level": "Instance", "Query": query}, &ids)
	return ids, err
}

// describe runs InstanceInfo on each identifier and sorts the result by
// series, instance number and SOP Instance UID.
func (c *Client) describe(ctx context.Context, ids []string) ([]InstanceRef, error) {
	refs := make([]InstanceRef, 0, len(ids))
	for _, id := range ids {
		r, err := c.InstanceInfo(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue // deleted since the search
		}
		if err != nil {
			return nil, err
		}
		refs = append(refs, r)
	}
	sort.SliceStable(refs, func(i, j int) bool {
		a, b := refs[i], refs[j]
		if a.SeriesInstanceUID != b.SeriesInstanceUID {
			return a.SeriesInstanceUID < b.SeriesInstanceUID
		}
		na, ea := strconv.Atoi(strings.TrimSpace(a.InstanceNumber))
		nb, eb := strconv.Atoi(strings.TrimSpace(b.InstanceNumber))
		if ea == nil && eb == nil && na != nb {
			return na < nb
		}
		return a.SOPInstanceUID < b.SOPInstanceUID
	})
	return refs, nil
}

// FindBySOP returns the instances with the given SOP Instance UID: none
// (nil, nil) when Orthanc has no such instance, more than one only when
// the same UID was stored under different patients or studies.
func (c *Client) FindBySOP(ctx context.Context, sopInstanceUID string) ([]InstanceRef, error) {
	if err := checkUID("SOPInstanceUID", sopInstanceUID); err != nil {
		return nil, err
	}
	ids, err := c.find(ctx, map[string]string{"SOPInstanceUID": sopInstanceUID})
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	return c.describe(ctx, ids)
}

// StudyInstances lists the instances of the study with the given Study
// Instance UID (one POST /tools/find, then one GET of tags per instance),
// sorted by series and instance number. A study Orthanc does not hold is
// an error that matches ErrNotFound.
//
// Orthanc files an instance under the study of its (PatientID,
// StudyInstanceUID) pair, so results written with the source's StudyInstanceUID
// but another PatientID would form a second Orthanc study; both are listed.
func (c *Client) StudyInstances(ctx context.Context, studyInstanceUID string) ([]InstanceRef, error) {
	if err := checkUID("StudyInstanceUID", studyInstanceUID); err != nil {
		return nil, err
	}
	ids, err := c.find(ctx, map[string]string{"StudyInstanceUID": studyInstanceUID})
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		ep, _ := c.endpoint()
		return nil, fmt.Errorf("pacs: no study with StudyInstanceUID %s at %s: %w", studyInstanceUID, ep.url("", nil), ErrNotFound)
	}
	return c.describe(ctx, ids)
}

// Results returns the instances already stored in the study that were
// derived from the source instance: every instance but the source whose
// tags hold the source's SOP Instance UID as a ReferencedSOPInstanceUID, at
// any depth (a SEG's Referenced Series Sequence or its Derivation Image
// Sequence, an SC's Source Image Sequence), and, when manufacturer is not
// empty, whose Manufacturer (0008,0070) equals it. The caller checks the SOP
// classes it finds (a SEG, an SC) before writing the ones that are missing.
//
// Why not one /tools/find: Orthanc searches only its indexed tags and, by
// reading files, top-level ones (and only when its StorageAccessOnFind
// allows); references live inside sequences, where no query reaches. A
// study holds a few instances for a radiograph, so reading each one's tags
// costs little and does not depend on the server's configuration.
func (c *Client) Results(ctx context.Context, studyInstanceUID, sourceSOPInstanceUID, manufacturer string) ([]InstanceRef, error) {
	if err := checkUID("source SOPInstanceUID", sourceSOPInstanceUID); err != nil {
		return nil, err
	}
	all, err := c.StudyInstances(ctx, studyInstanceUID)
	if err != nil {
		return nil, err
	}
	var out []InstanceRef
	for _, r := range all {
		if r.SOPInstanceUID == sourceSOPInstanceUID || manufacturer != "" && r.Manufacturer != manufacturer {
			continue
		}
		for _, ref := range r.References {
			if ref == sourceSOPInstanceUID {
				out = append(out, r)
				break
			}
		}
	}
	return out, nil
}

// A Change is one entry of Orthanc's change feed (GET /changes).
type Change struct {
	Seq          int64
	ChangeType   string // "NewInstance", "NewSeries", "StableStudy", ...
	ResourceType string // "Instance", "Series", "Study", "Patient"
	ID           string // Orthanc's identifier of the resource
	Path         string // "/instances/ID"
	Date         string // "20261207T175607"
}

// ChangeNewInstance is the ChangeType of a stored instance.
const ChangeNewInstance = "NewInstance"

// MaxChangesLimit is the largest page Changes asks for.
const MaxChangesLimit = 10000

// Changes returns the changes with a sequence number above since, at most
// limit of them (0: 100), in order; last is the sequence number to pass as
// since for the next page, and done reports that the feed is drained for
// now. Orthanc reports every kind of change: Watch keeps the NewInstance
// ones.
func (c *Client) Changes(ctx context.Context, since int64, limit int) (changes []Change, last int64, done bool, err error) {
	if since < 0 {
		return nil, 0, false, fmt.Errorf("pacs: Changes: since %d is negative", since)
	}
	if limit == 0 {
		limit = 100
	}
	if limit < 0 || limit > MaxChangesLimit {
		return nil, 0, false, fmt.Errorf("pacs: Changes: limit %d is outside 1..%d", limit, MaxChangesLimit)
	}
	var a struct {
		Changes []Change
		Done    bool
		Last    int64
	}
	q := url.Values{"since": {strconv.FormatInt(since, 10)}, "limit": {strconv.Itoa(limit)}}
	if err := c.getJSON(ctx, "/changes", q, &a); err != nil {
		return nil, 0, false, err
	}
	return a.Changes, a.Last, a.Done, nil
}

// LastChange returns the sequence number of the latest change, where a
// watcher that should ignore what is already stored starts.
func (c *Client) LastChange(ctx context.Context) (int64, error) {
	var a struct{ Last int64 }
	err := c.getJSON(ctx, "/changes", url.Values{"last": {""}}, &a)
	return a.Last, err
}

// checkUID rejects what is not a DICOM UID (digits and dots, at most 64
// characters): such a value could hold a wildcard that widens a search.
func checkUID(what, uid string) error {
	ok := uid != "" && len(uid) <= 64 && uid[0] != '.' && uid[len(uid)-1] != '.'
	for i := 0; ok && i < len(uid); i++ {
		ok = uid[i] == '.' || '0' <= uid[i] && uid[i] <= '9'
	}
	if !ok {
		return fmt.Errorf("pacs: %s %q is not a DICOM UID (digits and dots, at most 64 characters)", what, uid)
	}
	return nil
}

// checkID rejects what is not an Orthanc identifier (hexadecimal groups
// joined by dashes), so that an identifier cannot change the request path.
func checkID(id string) error {
	ok := id != "" && len(id) <= 64
	for i := 0; ok && i < len(id); i++ {
		ch := id[i]
		ok = ch == '-' || '0' <= ch && ch <= '9' || 'a' <= ch && ch <= 'f'
	}
	if !ok {
		return fmt.Errorf("pacs: %q is not an Orthanc identifier", id)
	}
	return nil
}
