package main

import (
	"bufio"
	"fmt"
	"os"

	"github.com/lungo-ml/lungo/data/siim"
)

func init() {
	register("eval", "score a submission CSV against SIIM labels (competition metric)", runEval)
}

func runEval(args []string) error {
	fs := newFlags("eval", "-labels CSV -submission CSV [-per-image OUT.csv] [-size 1024]")
	labelsPath := fs.String("labels", "", "ground truth: train-rle.csv (stage 1) or stage_2_train.csv")
	subPath := fs.String("submission", "", "predictions: ImageId,EncodedPixels (-1 for empty)")
	perImage := fs.String("per-image", "", "write per-image Dice to this CSV")
	size := fs.Int("size", siim.DefaultSize, "mask side the encodings refer to")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	if *labelsPath == "" || *subPath == "" {
		return usagef("-labels and -submission are required")
	}
	if *size <= 0 {
		return usagef("-size must be positive")
	}
	truth, err := siim.ReadLabelsFile(*labelsPath, *size, *size)
	if err != nil {
		return err
	}
	sub, err := siim.ReadLabelsFile(*subPath, *size, *size)
	if err != nil {
		return err
	}
	ev, err := siim.Evaluate(truth, sub, *size, *size)
	if err != nil {
		return err
	}
	fmt.Printf("images: %d (%d with pneumothorax)\n", len(ev.Images), truth.Positives())
	if len(ev.Missing) > 0 {
		fmt.Fprintf(os.Stderr, "warning: %d labelled images have no prediction (scored as empty), e.g. %s\n", len(ev.Missing), ev.Missing[0])
	}
	if len(ev.Extra) > 0 {
		fmt.Fprintf(os.Stderr, "warning: %d predicted images are not in the labels (ignored), e.g. %s\n", len(ev.Extra), ev.Extra[0])
	}
	c := ev.Classes
	fmt.Printf("classification (non-empty = positive): accuracy %.4f, sensitivity %.4f, specificity %.4f, AUC(area) %.4f\n",
		c.Accuracy, c.Sensitivity, c.Specificity, c.AUC)
	fmt.Printf("score (mean Dice, competition metric): %.4f\n", ev.Score)
	if *perImage == "" {
		return nil
	}
	f, err := os.Create(*perImage)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "ImageId,Dice,TruePixels,PredPixels,Missing")
	for _, is := range ev.Images {
		fmt.Fprintf(w, "%s,%.6f,%d,%d,%t\n", is.ImageID, is.Dice, is.TruePixels, is.PredPixels, is.Missing)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
