//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTrainSIGTERMSavesAndResumes: SIGTERM during "lungo train" (a batch
// scheduler's or a container's stop) saves the state as Ctrl-C does, and
// -resume completes the run from where it stopped. Progress goes to
// stderr; stdout has only the result.
func TestTrainSIGTERMSavesAndResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("trains in a subprocess")
	}
	dir, sum := writeTinySynth(t, 9)
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"train", "-data", filepath.Join(dir, "dicom-images-train"), "-labels", sum.Labels, "-out", out,
		"-arch", "unet-resnet18", "-decoder", "16,8,8,8,8", "-size", "32", "-batch", "2", "-epochs", "3", "-folds", "3",
		"-topk", "1", "-pos-frac", ""}

	cmd := exec.Command(os.Args[0], "-test.run=^TestLungoMainHelper$")
	cmd.Env = append(os.Environ(), "LUNGO_TEST_MAIN_ARGS="+strings.Join(args, "\x1f"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	pr, pw := io.Pipe()
	cmd.Stderr = io.MultiWriter(&stderr, pw)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// After the first epoch's line the handler is in place and the run is
	// in epoch 2: stop it there.
	epoch1 := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "epoch 1/3") {
				epoch1 <- true
				break
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case <-epoch1:
	case <-time.After(5 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("no epoch line in 5 minutes; stderr:\n%s", stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	pw.Close()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("after SIGTERM: %v, want exit status 1; stderr:\n%s", err, stderr.String())
	}
	log := stderr.String()
	for _, want := range []string{"stopped in epoch 2", "state saved to " + filepath.Join(out, "last.state"), "terminated"} {
		if !strings.Contains(log, want) {
			t.Errorf("stderr after SIGTERM does not say %q:\n%s", want, log)
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout of the stopped run: %q, want nothing (progress goes to stderr)", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(out, "final.lungo")); err == nil {
		t.Error("the stopped run wrote final.lungo")
	}

	res, log, code := lungoOut(t, append(args, "-resume")...)
	if code != 0 {
		t.Fatalf("resume: exit %d; stderr:\n%s", code, log)
	}
	if !strings.Contains(log, "resuming from "+filepath.Join(out, "last.state")+" at epoch 2") || strings.Contains(log, "epoch 1/3") {
		t.Errorf("the resumed run did not start in epoch 2:\n%s", log)
	}
	if !strings.Contains(log, "epoch 3/3") || !strings.HasPrefix(res, "done in ") || strings.Count(res, "\n") != 1 {
		t.Errorf("resumed run: stdout %q; stderr:\n%s", res, log)
	}
	// metrics.jsonl has each epoch once: the stopped one is not repeated.
	m, err := os.ReadFile(filepath.Join(out, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for e := 1; e <= 3; e++ {
		if n := strings.Count(string(m), `"epoch":`+string(rune('0'+e))+","); n != 1 {
			t.Errorf("metrics.jsonl has epoch %d %d times:\n%s", e, n, m)
		}
	}
}
