package pacs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// WatchOptions tune Watch; the zero value polls every 2 s forever.
type WatchOptions struct {
	// Interval is the wait between polls once the feed is drained (0: 2 s).
	Interval time.Duration
	// Limit is the number of changes asked for per request (0: 100).
	Limit int
	// UntilDone returns (nil error) as soon as the feed is drained instead
	// of waiting for more: one pass, for batch runs and tests.
	UntilDone bool
	// Progress, if not nil, is called with the new position each time a
	// page of changes has been handled (fn returned nil for every
	// NewInstance change in it), for example to save a State. An error
	// from it ends Watch.
	Progress func(last int64) error
}

// ErrFeedBehind is returned (wrapped) by Watch when Orthanc's change feed
// ends before the position it was asked to start from: the server's
// database was replaced or its change log cleared, and following it from
// there would silently skip every instance up to the old position.
var ErrFeedBehind = errors.New("pacs: Orthanc's change feed is behind the saved position")

// Watch follows Orthanc's change feed from the sequence number since and
// calls fn, in order, for each NewInstance change; other changes are
// passed over. It returns when ctx is done, when fn or opt.Progress fails,
// when a request fails after its retries, or, with opt.UntilDone, when the
// feed is drained. last is the position to resume from: every change up to
// it has been handled (fn returned nil or the change was passed over), and
// the change fn failed on, if any, comes after it.
//
// Instances lungo itself uploads appear in the feed too: fn should pass
// over what it must not process (check the SOP class, modality or
// manufacturer with InstanceInfo before downloading the file).
func (c *Client) Watch(ctx context.Context, since int64, opt WatchOptions, fn func(Change) error) (last int64, err error) {
	if since < 0 {
		return since, fmt.Errorf("pacs: Watch: since %d is negative", since)
	}
	interval := opt.Interval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	last = since
	for {
		changes, next, done, err := c.Changes(ctx, last, opt.Limit)
		if err != nil {
			return last, err
		}
		if next < last {
			return last, fmt.Errorf("%w: the feed ends at %d, the position is %d (a new database? start again from 0 or from LastChange)", ErrFeedBehind, next, last)
		}
		before := last
		for _, ch := range changes {
			if ch.Seq <= last {
				continue // never hand a change twice
			}
			if ch.ChangeType == ChangeNewInstance && ch.ResourceType == "Instance" {
				if err := fn(ch); err != nil {
					return last, fmt.Errorf("pacs: handling change %d (instance %s): %w", ch.Seq, ch.ID, err)
				}
			}
			last = ch.Seq
		}
		last = max(last, next)
		if opt.Progress != nil && last != before {
			if err := opt.Progress(last); err != nil {
				return last, fmt.Errorf("pacs: recording watch position %d: %w", last, err)
			}
		}
		if ctx.Err() != nil {
			return last, ctx.Err()
		}
		if !done {
			continue
		}
		if opt.UntilDone {
			return last, nil
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return last, ctx.Err()
		case <-t.C:
		}
	}
}

// State is where a watcher stopped in Orthanc's change feed, kept between
// runs in a small JSON file: {"last": 1234}.
type State struct {
	Last int64 `json:"last"`
}

// LoadState reads a state file. A file that does not exist yet gives the
// zero State (start of the feed) and no error.
func LoadState(path string) (State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, nil
	}
	if err != nil {
		return State{}, fmt.Errorf("pacs: reading watch state: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return State{}, fmt.Errorf("pacs: watch state %s is not valid JSON: %v", path, err)
	}
	if s.Last < 0 {
		return State{}, fmt.Errorf("pacs: watch state %s: last %d is negative", path, s.Last)
	}
	return s, nil
}

// Save writes the state atomically: to a temporary file in the same
// folder, flushed to disk, then renamed over path, so a crash leaves
// either the old state or the new one, never a torn file.
func (s State) Save(path string) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("pacs: saving watch state: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("pacs: saving watch state: %w", err)
	}
	// Make the rename itself durable; not every file system can sync a
	// folder, and the state is already in place, so this is best effort.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
