// Command loadgen is the load generator of scripts/load: it posts a body to
// a lungo server at a fixed concurrency for a duration or a count, checks
// every 200 answer against an expected mask, and prints one JSON object of
// counts and latency percentiles. With -faults it sends malformed bodies
// and misbehaving clients instead, as background load beside a good run.
//
//	loadgen -url http://127.0.0.1:8080/v1/predict -body x.dcm -c 8 -d 30s -rle "1 2 3 4"
//	loadgen -url ... -body x.dcm -faults 500 -d 60s
//	loadgen weights -arch resnet34 -out w.lungo
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/tensor"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "weights" {
		if err := writeWeights(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen weights:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// writeWeights saves a freshly initialised U-Net (the load test measures
// serving, not accuracy; the weights' sizes are a real model's).
func writeWeights(args []string) error {
	fs := flag.NewFlagSet("weights", flag.ContinueOnError)
	arch := fs.String("arch", "resnet34", "encoder")
	out := fs.String("out", "", "checkpoint to write")
	seed := fs.Uint64("seed", 1, "initialisation seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, err := unet.New(unet.Config{Encoder: *arch, InChannels: 1, Classes: 1}, tensor.NewRNG(*seed))
	if err != nil {
		return err
	}
	return m.SaveCheckpoint(*out, nil)
}

// Stats is the JSON a run prints.
type Stats struct {
	Concurrency int            `json:"concurrency"`
	Seconds     float64        `json:"seconds"`
	Requests    int            `json:"requests"`
	RPS         float64        `json:"rps"`
	Status      map[string]int `json:"status"`
	Errors      int            `json:"errors"`   // transport errors
	Mismatch    int            `json:"mismatch"` // 200 answers whose mask differs from -rle
	P50MS       float64        `json:"p50_ms"`
	P95MS       float64        `json:"p95_ms"`
	P99MS       float64        `json:"p99_ms"`
	MaxMS       float64        `json:"max_ms"`
	PredictMS   float64        `json:"predict_ms_mean"` // the server's own predict time (timings_ms.predict), mean over 200s
	FirstError  string         `json:"first_error,omitempty"`
}

func run(args []string) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	target := fs.String("url", "http://127.0.0.1:8080/v1/predict", "predict URL")
	bodyPath := fs.String("body", "", "file to post")
	ctype := fs.String("type", "application/dicom", "Content-Type of the body")
	conc := fs.Int("c", 1, "concurrent clients")
	dur := fs.Duration("d", 30*time.Second, "duration (with -n 0)")
	count := fs.Int("n", 0, "stop after this many requests instead of -d")
	rle := fs.String("rle", "", "expected SIIM run-length of every 200 answer; empty: not checked")
	faults := fs.Int("faults", 0, "fault mode: send this many malformed bodies (and misbehaving clients) spread over -d")
	if err := fs.Parse(args); err != nil {
		return err
	}
	body, err := os.ReadFile(*bodyPath)
	if err != nil {
		return err
	}
	if *faults > 0 {
		return runFaults(*target, *ctype, body, *faults, *dur)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc, MaxConnsPerHost: *conc}, Timeout: 5 * time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), *dur)
	if *count > 0 {
		ctx, cancel = context.WithCancel(context.Background())
	}
	defer cancel()
	var mu sync.Mutex
	st := Stats{Concurrency: *conc, Status: map[string]int{}}
	var lat []float64
	var predSum float64
	var issued atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if *count > 0 && issued.Add(1) > int64(*count) {
					return
				}
				t0 := time.Now()
				code, got, pms, err := post(ctx, client, *target, *ctype, body)
				d := time.Since(t0)
				if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
					return // the run ended mid-request: not counted
				}
				mu.Lock()
				st.Requests++
				switch {
				case err != nil:
					st.Errors++
					if st.FirstError == "" {
						st.FirstError = err.Error()
					}
				default:
					st.Status[fmt.Sprint(code)]++
					if code == 200 {
						lat = append(lat, float64(d.Microseconds())/1000)
						predSum += pms
						if *rle != "" && got != *rle {
							st.Mismatch++
						}
					} else if st.FirstError == "" {
						st.FirstError = fmt.Sprintf("status %d", code)
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	st.Seconds = time.Since(start).Seconds()
	st.RPS = float64(len(lat)) / st.Seconds
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	st.P50MS, st.P95MS, st.P99MS = pct(0.50), pct(0.95), pct(0.99)
	if len(lat) > 0 {
		st.MaxMS = lat[len(lat)-1]
		st.PredictMS = predSum / float64(len(lat))
	}
	return json.NewEncoder(os.Stdout).Encode(st)
}

// post sends one request and returns the status, the answer's RLE and the
// server's predict time in ms.
func post(ctx context.Context, c *http.Client, target, ctype string, body []byte) (int, string, float64, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", target, bytes.NewReader(body))
	if err != nil {
		return 0, "", 0, err
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", 0, err
	}
	var r struct {
		RLE     string `json:"rle"`
		Timings struct {
			Predict float64 `json:"predict"`
		} `json:"timings_ms"`
	}
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(b, &r); err != nil {
			return resp.StatusCode, "", 0, fmt.Errorf("answer is not JSON: %v", err)
		}
	}
	return resp.StatusCode, r.RLE, r.Timings.Predict, nil
}

// FaultStats counts what the fault clients got.
type FaultStats struct {
	Malformed     int            `json:"malformed"`
	Status        map[string]int `json:"status"`
	Disconnects   int            `json:"disconnects"`
	SlowHeaders   int            `json:"slow_header_clients"`
	SlowClosedSec float64        `json:"slow_header_closed_after_s"` // when the server dropped the last slow client
	Errors        int            `json:"errors"`
}

// runFaults sends n malformed bodies spread over d (truncated DICOM,
// random bytes, a 1-byte PNG, a huge-dimension PNG header), a client that
// disconnects mid-upload after every 10th, and one client that sends its
// headers a byte a second.
func runFaults(target, ctype string, good []byte, n int, d time.Duration) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(7, 8))
	random := make([]byte, 64<<10)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	bodies := []struct {
		ctype string
		b     []byte
	}{
		{ctype, good[:len(good)/3]},
		{ctype, random},
		{"image/png", []byte{0x89}},
		{"image/png", hugePNG(100000, 100000)},
	}
	st := FaultStats{Status: map[string]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	// The slow-header client.
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			return
		}
		defer c.Close()
		hdr := "POST " + u.Path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nContent-Type: application/dicom\r\n"
		for i := 0; i < len(hdr) && time.Since(start) < d; i++ {
			if _, err := c.Write([]byte{hdr[i]}); err != nil {
				break // the server dropped it
			}
			time.Sleep(time.Second)
		}
		mu.Lock()
		st.SlowHeaders++
		st.SlowClosedSec = time.Since(start).Seconds()
		mu.Unlock()
	}()
	client := &http.Client{Timeout: 2 * time.Minute}
	gap := d / time.Duration(n)
	sem := make(chan struct{}, 8)
	for i := range n {
		time.Sleep(gap)
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if i%10 == 9 { // disconnect mid-upload
				c, err := net.Dial("tcp", u.Host)
				if err == nil {
					fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", u.Path, u.Host, ctype, len(good))
					c.Write(good[:len(good)/4])
					c.Close()
					mu.Lock()
					st.Disconnects++
					mu.Unlock()
				}
				return
			}
			bd := bodies[i%len(bodies)]
			resp, err := client.Post(target, bd.ctype, bytes.NewReader(bd.b))
			mu.Lock()
			defer mu.Unlock()
			st.Malformed++
			if err != nil {
				st.Errors++
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			st.Status[fmt.Sprint(resp.StatusCode)]++
		}()
	}
	wg.Wait()
	return json.NewEncoder(os.Stdout).Encode(st)
}

// hugePNG returns a PNG signature and an IHDR chunk claiming w x h grey
// pixels, and nothing after.
func hugePNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := make([]byte, 4+13)
	copy(chunk, "IHDR")
	binary.BigEndian.PutUint32(chunk[4:], w)
	binary.BigEndian.PutUint32(chunk[8:], h)
	chunk[12] = 8
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}
