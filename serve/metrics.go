package serve

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// metrics are the server's counters, written in the Prometheus text
// exposition format (version 0.0.4) by hand: a dozen lines of code instead
// of a client library and its dependencies in every binary that embeds the
// server.
type metrics struct {
	mu       sync.Mutex
	byStatus map[int]uint64
	buckets  []float64 // latency upper bounds, seconds
	counts   []uint64  // per bucket (not cumulative)
	sum      float64
	n        uint64

	inFlight atomic.Int64 // requests being handled
	queued   atomic.Int64 // decoded requests waiting for a worker
	rejected atomic.Uint64
	panics   atomic.Uint64
}

func newMetrics() *metrics {
	b := []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
	return &metrics{byStatus: map[int]uint64{}, buckets: b, counts: make([]uint64, len(b)+1)}
}

func (m *metrics) observe(status int, d time.Duration) {
	sec := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.byStatus[status]++
	i := sort.SearchFloat64s(m.buckets, sec)
	m.counts[i]++
	m.sum += sec
	m.n++
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	m := s.metrics
	var b strings.Builder
	m.mu.Lock()
	b.WriteString("# HELP lungo_http_requests_total HTTP requests answered, by status code.\n# TYPE lungo_http_requests_total counter\n")
	codes := make([]int, 0, len(m.byStatus))
	for c := range m.byStatus {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		fmt.Fprintf(&b, "lungo_http_requests_total{code=\"%d\"} %d\n", c, m.byStatus[c])
	}
	b.WriteString("# HELP lungo_http_request_duration_seconds Time from a request's arrival to its answer.\n# TYPE lungo_http_request_duration_seconds histogram\n")
	cum := uint64(0)
	for i, le := range m.buckets {
		cum += m.counts[i]
		fmt.Fprintf(&b, "lungo_http_request_duration_seconds_bucket{le=\"%s\"} %d\n", strconv.FormatFloat(le, 'g', -1, 64), cum)
	}
	cum += m.counts[len(m.buckets)]
	fmt.Fprintf(&b, "lungo_http_request_duration_seconds_bucket{le=\"+Inf\"} %d\n", cum)
	fmt.Fprintf(&b, "lungo_http_request_duration_seconds_sum %g\nlungo_http_request_duration_seconds_count %d\n", m.sum, m.n)
	m.mu.Unlock()
	gauge := func(name, help string, v float64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", name, help, name, name, v)
	}
	counter := func(name, help string, v uint64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	gauge("lungo_queue_depth", "Decoded requests waiting for a worker.", float64(m.queued.Load()))
	gauge("lungo_in_flight_requests", "Requests being handled.", float64(m.inFlight.Load()))
	gauge("lungo_workers", "Predictions that can run at once.", float64(s.opt.Workers))
	gauge("lungo_ready", "1 once the weights are loaded and warmed up.", b2f(s.ready.Load()))
	counter("lungo_rejected_total", "Requests refused with 503 because the queue was full.", m.rejected.Load())
	counter("lungo_panics_total", "Handler panics recovered and answered 500.", m.panics.Load())
	if rss, ok := residentBytes(); ok {
		gauge("process_resident_memory_bytes", "Resident memory size in bytes.", float64(rss))
	}
	io.WriteString(w, b.String())
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// residentBytes reads the process's resident set size from /proc (Linux).
func residentBytes() (int64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * int64(os.Getpagesize()), true
}
