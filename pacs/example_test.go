package pacs_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/lungo-ml/lungo/pacs"
)

// A watcher: follow the change feed from where the last run stopped, pass
// over what lungo must not read (its own results, non-radiographs) and
// what it has already answered, and record the position after each page.
// (Not run: it needs a PACS.)
func ExampleClient_Watch() {
	c := &pacs.Client{
		BaseURL:  "http://127.0.0.1:8042",
		Username: os.Getenv(pacs.EnvUsername),
		Password: os.Getenv(pacs.EnvPassword),
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	const statePath = "pacs-watch.json"
	st, err := pacs.LoadState(statePath)
	if err != nil {
		log.Fatal(err)
	}
	save := func(last int64) error { return pacs.State{Last: last}.Save(statePath) }
	last, err := c.Watch(ctx, st.Last, pacs.WatchOptions{Progress: save}, func(ch pacs.Change) error {
		ref, err := c.InstanceInfo(ctx, ch.ID)
		if err != nil {
			return err
		}
		if ref.Manufacturer == "lungo" || ref.Modality != "CR" && ref.Modality != "DX" {
			return nil
		}
		done, err := c.Results(ctx, ref.StudyInstanceUID, ref.SOPInstanceUID, "lungo")
		if err != nil || len(done) > 0 {
			return err
		}
		dcm, err := c.Instance(ctx, ch.ID)
		if err != nil {
			return err
		}
		// ... predict, write the SEG and the SC, c.Upload each ...
		fmt.Println(ref.SOPInstanceUID, len(dcm))
		return nil
	})
	log.Printf("stopped at change %d: %v", last, err)
}
