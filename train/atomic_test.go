package train

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

// checkpointVersion returns a state dict whose every value is v: 8M floats,
// 32 MB, so that writing it takes long enough to be killed in the middle.
func checkpointVersion(v float32) *nn.StateDict {
	sd := nn.NewStateDict()
	sd.Set("w", tensor.Full(v, 8<<20), false)
	return sd
}

// TestHelperWriteCheckpoints is not a test: TestCheckpointKilledMidWrite
// runs it in a child process that saves checkpoints in a loop until killed.
func TestHelperWriteCheckpoints(t *testing.T) {
	path := os.Getenv("LUNGO_TEST_CKPT")
	if path == "" {
		t.Skip("helper process for TestCheckpointKilledMidWrite")
	}
	for v := 2; ; v++ {
		if err := nn.SaveSafetensors(path, checkpointVersion(float32(v)), map[string]string{"v": strconv.Itoa(v)}); err != nil {
			os.Exit(3)
		}
	}
}

// TestCheckpointKilledMidWrite kills a process while it rewrites a
// checkpoint (SIGKILL: no deferred clean-up runs) and checks that the file
// is always a whole checkpoint, the first or a later version, never torn.
func TestCheckpointKilledMidWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "last.state")
	if err := nn.SaveSafetensors(path, checkpointVersion(1), map[string]string{"v": "1"}); err != nil {
		t.Fatal(err)
	}
	for round, delay := range []time.Duration{30 * time.Millisecond, 120 * time.Millisecond, 400 * time.Millisecond} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriteCheckpoints$")
		cmd.Env = append(os.Environ(), "LUNGO_TEST_CKPT="+path)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Kill()
		cmd.Wait()
		sd, meta, err := nn.LoadSafetensors(path)
		if err != nil {
			t.Fatalf("round %d: checkpoint unreadable after a kill mid-write: %v", round, err)
		}
		w, ok := sd.Get("w")
		if !ok || len(w.Data) != 8<<20 {
			t.Fatalf("round %d: checkpoint lost its tensor", round)
		}
		want, _ := strconv.Atoi(meta["v"])
		for i, x := range w.Data {
			if x != float32(want) {
				t.Fatalf("round %d: element %d is %g in a version-%d checkpoint: torn write", round, i, x, want)
			}
		}
		t.Logf("round %d: killed after %v, file holds version %d", round, delay, want)
	}
	// The temporary files of killed writers may remain beside it, never in
	// its place.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "last.state" && filepath.Ext(e.Name()) == ".state" {
			t.Errorf("unexpected file %s", e.Name())
		}
	}
}
