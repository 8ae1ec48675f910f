package train_test

import (
	"context"
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

// Training on a folder dataset: images/<id>.png with masks/<id>.png, here
// eight synthetic 64x64 radiographs, then predicting an image.
func ExampleFit_folder() {
	dir, err := os.MkdirTemp("", "lungo-example-")
	check(err)
	defer os.RemoveAll(dir)
	images, masks := filepath.Join(dir, "images"), filepath.Join(dir, "masks")
	for i := range 8 {
		img, mask := siim.SynthImage(uint64(i), 64, i%2 == 0)
		check(siim.WriteFolderItem(images, masks, fmt.Sprintf("img%d", i), img, mask))
	}

	ds, err := siim.OpenFolder(images, masks)
	check(err)
	trainIdx, valIdx := siim.SplitFold(siim.StratifiedFolds(ds.Positives(), 4, 1), 0)
	aug := siim.DefaultAugment()
	model, err := unet.New(unet.Config{Encoder: "resnet18", InChannels: 1, Classes: 1,
		DecoderChannels: []int{32, 16, 16, 8, 8}}, tensor.NewRNG(1))
	check(err)
	res, err := train.Fit(context.Background(), &train.Job{
		Model: model, Opt: optim.NewAdamW(nn.Parameters(model), optim.DefaultAdamW(1e-3)),
		Train: siim.NewLoader(ds, siim.LoaderConfig{Size: 64, Batch: 2, Augment: &aug}), TrainIdx: trainIdx,
		Val: siim.NewLoader(ds, siim.LoaderConfig{Size: 64, Batch: 2}), ValIdx: valIdx,
	}, train.Config{Dir: filepath.Join(dir, "run"), Epochs: 2})
	check(err)
	fmt.Printf("trained %d epochs on %d images, validated on %d\n", len(res.History), len(trainIdx), len(valIdx))

	best, err := unet.Open(res.Model, nil)
	check(err)
	img, err := siim.ReadGray8File(filepath.Join(images, "img0.png"))
	check(err)
	r, err := infer.PredictImage(context.Background(), infer.Predictor{Model: best}, img, infer.Config{Size: 64})
	check(err)
	fmt.Printf("mask %dx%d\n", r.Mask.W, r.Mask.H)
	// Output:
	// trained 2 epochs on 6 images, validated on 2
	// mask 64x64
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
