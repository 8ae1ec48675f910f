// Package pth reads PyTorch state dicts saved with torch.save (PyTorch >= 1.6
// zip format) without Python and without executing anything.
//
// A .pth file is a zip archive whose single top folder (its name varies)
// holds data.pkl, a pickle (protocol 2) of the state dict, and data/<key>,
// one raw little-endian storage per key. The pickle is read by a restricted
// unpickler that implements only the opcodes state dicts use and builds only
// collections.OrderedDict, torch._utils._rebuild_tensor_v2 /
// _rebuild_parameter tensors over torch.*Storage persistent ids, and plain
// dict, list, tuple, str, int, float, bool and None values. Any other global
// (os.system, builtins.eval, a torch.nn class of a pickled module) is an
// error naming its module and class.
//
// Every tensor comes out contiguous float32 with PyTorch's shape (NCHW
// activations, OIHW conv weights): strided and offset views are copied out
// element by element; float64, float16, bfloat16 and integer storages are
// converted, and StateDict.DTypes remembers the stored type so that int64
// buffers (num_batches_tracked) can be written back as integers. Checkpoints
// that nest the state dict ({"state_dict": ...}, {"model": ...}) are
// unwrapped.
//
//	sd, err := pth.Load("unet_r34.pth")
//	for _, k := range sd.Keys { fmt.Println(k, sd.Tensors[k].Shape) }
package pth
