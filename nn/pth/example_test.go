package pth_test

import (
	"fmt"

	"github.com/lungo-ml/lungo/nn/pth"
)

// Load reads a checkpoint that torch.save wrote, here
//
//	torch.save({"epoch": 3, "state_dict": sd, "best": 0.75, "name": "x"}, path)
//
// with sd = {"w": [[1, 2], [3, 4]], "b": [0.5]}: the state dict is found
// under "state_dict", every tensor arrives as float32 with its PyTorch shape
// and file order, and the plain numbers and strings beside it land in Extra.
func ExampleLoad() {
	sd, err := pth.Load("testdata/nested_state_dict.pth")
	if err != nil {
		panic(err)
	}
	fmt.Printf("state dict under %q, extra %v\n", sd.Prefix, sd.Extra)
	for _, k := range sd.Keys {
		t := sd.Tensors[k]
		fmt.Printf("%s %v %s %v\n", k, t.Shape, sd.DTypes[k], t.Data)
	}
	// Output:
	// state dict under "state_dict", extra map[best:0.75 epoch:3 name:x]
	// w [2 2] float32 [1 2 3 4]
	// b [1] float32 [0.5]
}

// Integer buffers such as batch norm's num_batches_tracked are converted to
// float32 too; their dtype says they were counters.
func ExampleStateDict_IsInt() {
	sd, err := pth.Load("testdata/dtypes.pth")
	if err != nil {
		panic(err)
	}
	const k = "bn.num_batches_tracked"
	fmt.Println(k, sd.DTypes[k], sd.IsInt(k), sd.Tensors[k].Data)
	// Output:
	// bn.num_batches_tracked int64 true [42]
}
