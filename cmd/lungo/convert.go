package main

import (
	"fmt"
	"os"

	"github.com/lungo-ml/lungo/nn"
)

// lungo convert turns a .pth or safetensors U-Net state dict into a lungo
// checkpoint (safetensors whose metadata holds the configuration). The
// architecture is worked out from the weights' keys and shapes; flags that
// are given must agree with it.
func init() {
	register("convert", "convert .pth / safetensors U-Net weights into a lungo checkpoint", runConvert)
}

func runConvert(args []string) error {
	fs := newFlags("convert", "-in x.pth -out y.lungo [-dtype bf16] [-arch unet-resnet34 ...]")
	mf := addModelFlags(fs)
	in := fs.String("in", "", "input weights (.pth, safetensors or lungo checkpoint); same as -weights")
	out := fs.String("out", "", "output lungo checkpoint")
	dtype := fs.String("dtype", "fp32", "how the checkpoint stores weights: fp32, bf16 or fp16 (half the size; loads into any precision)")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	if *in != "" {
		if *mf.weights != "" && *mf.weights != *in {
			return usagef("give -in or -weights, not both")
		}
		*mf.weights = *in
	}
	if *mf.weights == "" || *out == "" {
		return usagef("-in and -out are required")
	}
	dt, err := nn.ParseDType(*dtype)
	if err != nil {
		return usagef("-dtype: %v", err)
	}
	m, err := mf.open(os.Stderr)
	if err != nil {
		return err
	}
	if err := m.SaveCheckpointAs(*out, map[string]string{"lungo.source": *mf.weights}, dt); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %s, %d parameters as %s\n", *out, m.Config.Describe(), nn.CountParameters(m), dt)
	return nil
}
