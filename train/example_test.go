package train_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/infer"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/optim"
	"github.com/lungo-ml/lungo/tensor"
	"github.com/lungo-ml/lungo/train"
)

// Training on a folder dataset (images/<id>.png with masks/<id>.png, here
// eight synthetic 32x32 radiographs) for two epochs, then predicting an
// image with the checkpoint the run names. The run folder holds the resume
// state, the best and final checkpoints, one metrics line per epoch and the
// curves.
func ExampleFit() {
	dir, err := os.MkdirTemp("", "lungo-example-")
	check(err)
	defer os.RemoveAll(dir)
	images, masks := filepath.Join(dir, "images"), filepath.Join(dir, "masks")
	for i := range 8 {
		img, mask := siim.SynthImage(uint64(i), 32, i%2 == 0)
		check(siim.WriteFolderItem(images, masks, fmt.Sprintf("img%d", i), img, mask))
	}

	ds, err := siim.OpenFolder(images, masks)
	check(err)
	trainIdx, valIdx := siim.SplitFold(siim.StratifiedFolds(ds.Positives(), 4, 1), 0)
	aug := siim.DefaultAugment()
	model, err := unet.New(unet.Config{Encoder: "resnet18", InChannels: 1, Classes: 1,
		DecoderChannels: []int{16, 8, 8, 8, 8}}, tensor.NewRNG(1))
	check(err)
	run := filepath.Join(dir, "run")
	res, err := train.Fit(context.Background(), &train.Job{
		Model: model, Opt: optim.NewAdamW(nn.Parameters(model), optim.DefaultAdamW(1e-3)),
		Train: siim.NewLoader(ds, siim.LoaderConfig{Size: 32, Batch: 2, Augment: &aug}), TrainIdx: trainIdx,
		Val: siim.NewLoader(ds, siim.LoaderConfig{Size: 32, Batch: 2}), ValIdx: valIdx,
	}, train.Config{Dir: run, Epochs: 2})
	check(err)
	fmt.Printf("trained %d epochs on %d images, validated on %d: %s\n", len(res.History), len(trainIdx), len(valIdx), res.Stopped)

	files, err := os.ReadDir(run)
	check(err)
	for _, f := range files {
		fmt.Println(f.Name())
	}
	// metrics.jsonl: one EpochInfo per line.
	f, err := os.Open(filepath.Join(run, train.MetricsFile))
	check(err)
	defer f.Close()
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var e train.EpochInfo
		check(json.Unmarshal(sc.Bytes(), &e))
		fmt.Printf("epoch %d: val_dice in [0, 1]: %v, val_dice_post >= val_dice: %v\n",
			e.Epoch, e.ValDice >= 0 && e.ValDice <= 1, e.ValDicePost >= e.ValDice)
	}

	best, err := unet.Open(res.Model, nil)
	check(err)
	img, err := siim.ReadGray8File(filepath.Join(images, "img0.png"))
	check(err)
	r, err := infer.PredictImage(context.Background(), infer.Predictor{Model: best}, img, infer.Config{Size: 32})
	check(err)
	fmt.Printf("mask %dx%d\n", r.Mask.W, r.Mask.H)
	// Output:
	// trained 2 epochs on 6 images, validated on 2: completed
	// best.lungo
	// curves.png
	// final.lungo
	// last.state
	// metrics.jsonl
	// epoch 1: val_dice in [0, 1]: true, val_dice_post >= val_dice: true
	// epoch 2: val_dice in [0, 1]: true, val_dice_post >= val_dice: true
	// mask 32x32
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
