package nn

import (
	"fmt"
	"strings"

	"github.com/lungo-ml/lungo/tensor"
)

// StateDict is an ordered map from PyTorch state-dict keys
// ("encoder.layer1.0.conv1.weight", "bn1.running_mean") to tensors in
// PyTorch's layouts (conv weights [O, I, KH, KW]). Keys keep insertion
// order, which for StateDictOf is the module's parameters then its buffers,
// as NamedParameters and NamedBuffers list them. Int64 marks tensors that
// PyTorch stores as int64 (num_batches_tracked): lungo holds them as float32
// and files store them as I64.
type StateDict struct {
	Keys    []string
	Tensors map[string]*tensor.Tensor
	Int64   map[string]bool
}

// NewStateDict returns an empty state dict.
func NewStateDict() *StateDict {
	return &StateDict{Tensors: map[string]*tensor.Tensor{}, Int64: map[string]bool{}}
}

// Set adds key (at the end) or replaces its tensor (keeping its position).
// isInt64 marks a tensor stored as int64 in files.
func (sd *StateDict) Set(key string, t *tensor.Tensor, isInt64 bool) {
	if _, ok := sd.Tensors[key]; !ok {
		sd.Keys = append(sd.Keys, key)
	}
	sd.Tensors[key] = t
	if isInt64 {
		sd.Int64[key] = true
	} else {
		delete(sd.Int64, key)
	}
}

// Get returns the tensor under key and whether it exists.
func (sd *StateDict) Get(key string) (*tensor.Tensor, bool) {
	t, ok := sd.Tensors[key]
	return t, ok
}

// Delete removes key if present.
func (sd *StateDict) Delete(key string) {
	if _, ok := sd.Tensors[key]; !ok {
		return
	}
	delete(sd.Tensors, key)
	delete(sd.Int64, key)
	for i, k := range sd.Keys {
		if k == key {
			sd.Keys = append(sd.Keys[:i:i], sd.Keys[i+1:]...)
			break
		}
	}
}

// Len returns the number of entries.
func (sd *StateDict) Len() int { return len(sd.Keys) }

// Clone returns a deep copy (tensors copied), e.g. a snapshot of a model's
// weights that later training steps do not change.
func (sd *StateDict) Clone() *StateDict {
	c := NewStateDict()
	for _, k := range sd.Keys {
		c.Set(k, sd.Tensors[k].Clone(), sd.Int64[k])
	}
	return c
}

// SubDict returns the entries whose keys start with prefix, with prefix
// removed ("encoder." turns "encoder.conv1.weight" into "conv1.weight"),
// sharing sd's tensors. It loads a sub-module, or separates an optimizer's
// state stored beside a model in one file.
func (sd *StateDict) SubDict(prefix string) *StateDict {
	out := NewStateDict()
	for _, k := range sd.Keys {
		if strings.HasPrefix(k, prefix) {
			out.Set(k[len(prefix):], sd.Tensors[k], sd.Int64[k])
		}
	}
	return out
}

// Without returns the entries whose keys start with none of prefixes,
// sharing sd's tensors (the model part of a checkpoint that also holds
// "optim." entries, say).
func (sd *StateDict) Without(prefixes ...string) *StateDict {
	out := NewStateDict()
	for _, k := range sd.Keys {
		keep := true
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) {
				keep = false
				break
			}
		}
		if keep {
			out.Set(k, sd.Tensors[k], sd.Int64[k])
		}
	}
	return out
}

// StateDictOf returns m's parameters then buffers under their PyTorch keys
// (like module.state_dict()). The tensors are m's own, not copies: saving
// them is cheap, and Clone takes a snapshot.
func StateDictOf(m Module) *StateDict {
	sd := NewStateDict()
	for _, p := range m.NamedParameters("") {
		sd.Set(p.Name, p.Value.Data, false)
	}
	// PyTorch lists each module's buffers right after its own parameters:
	// put each buffer after the last parameter of its module.
	keys := sd.Keys
	for _, b := range m.NamedBuffers("") {
		mod := stateModulePrefix(b.Name)
		at := len(keys)
		for i := len(keys) - 1; i >= 0; i-- {
			if stateModulePrefix(keys[i]) == mod {
				at = i + 1
				break
			}
		}
		sd.Tensors[b.Name] = b.Tensor
		if b.Int64 {
			sd.Int64[b.Name] = true
		}
		keys = append(keys[:at], append([]string{b.Name}, keys[at:]...)...)
	}
	sd.Keys = keys
	return sd
}

// stateModulePrefix returns the module part of a key ("layer1.0.bn1" of
// "layer1.0.bn1.running_mean").
func stateModulePrefix(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[:i]
	}
	return ""
}

// ShapeMismatch is a key whose tensor has the wrong shape for the module.
type ShapeMismatch struct {
	Key       string
	Got, Want []int
}

// StateDictError lists everything wrong with loading a state dict into a
// module: keys the module has and the dict lacks, keys the dict has and the
// module lacks, and keys present in both with different shapes.
type StateDictError struct {
	Missing, Unexpected []string
	Mismatched          []ShapeMismatch
}

func (e *StateDictError) Error() string {
	var b strings.Builder
	b.WriteString("nn: loading state dict:")
	if len(e.Missing) > 0 {
		fmt.Fprintf(&b, " %d missing key(s): %s;", len(e.Missing), strings.Join(e.Missing, ", "))
	}
	if len(e.Unexpected) > 0 {
		fmt.Fprintf(&b, " %d unexpected key(s): %s;", len(e.Unexpected), strings.Join(e.Unexpected, ", "))
	}
	if len(e.Mismatched) > 0 {
		fmt.Fprintf(&b, " %d shape mismatch(es):", len(e.Mismatched))
		for _, m := range e.Mismatched {
			fmt.Fprintf(&b, " %s: got %v, want %v;", m.Key, m.Got, m.Want)
		}
	}
	return strings.TrimSuffix(b.String(), ";")
}

// LoadStateDict copies sd's tensors into m's parameters and buffers
// (matching keys exactly, like module.load_state_dict). A shape mismatch is
// always an error; missing and unexpected keys are errors when strict is
// true and skipped otherwise. On error nothing is copied and the error is a
// *StateDictError naming every offending key. A one-element tensor of shape
// [] and one of shape [1] are interchangeable (num_batches_tracked).
func LoadStateDict(m Module, sd *StateDict, strict bool) error {
	type dst struct {
		name string
		t    *tensor.Tensor
	}
	var dsts []dst
	for _, p := range m.NamedParameters("") {
		dsts = append(dsts, dst{p.Name, p.Value.Data})
	}
	for _, b := range m.NamedBuffers("") {
		dsts = append(dsts, dst{b.Name, b.Tensor})
	}
	e := &StateDictError{}
	known := make(map[string]bool, len(dsts))
	for _, d := range dsts {
		known[d.name] = true
		src, ok := sd.Tensors[d.name]
		if !ok {
			e.Missing = append(e.Missing, d.name)
			continue
		}
		if !stateShapeCompatible(src.Shape, d.t.Shape) || len(src.Data) != len(d.t.Data) {
			e.Mismatched = append(e.Mismatched, ShapeMismatch{d.name, src.Shape, d.t.Shape})
		}
	}
	for _, k := range sd.Keys {
		if !known[k] {
			e.Unexpected = append(e.Unexpected, k)
		}
	}
	if !strict {
		e.Missing, e.Unexpected = nil, nil
	}
	if len(e.Mismatched) > 0 || len(e.Missing) > 0 || len(e.Unexpected) > 0 {
		return e
	}
	for _, d := range dsts {
		if src, ok := sd.Tensors[d.name]; ok {
			copy(d.t.Data, src.Data)
		}
	}
	return nil
}

// stateShapeCompatible reports whether a tensor of shape got can be loaded
// into one of shape want.
func stateShapeCompatible(got, want []int) bool {
	if tensor.SameShape(got, want) {
		return true
	}
	one := func(s []int) bool { return len(s) == 0 || len(s) == 1 && s[0] == 1 }
	return one(got) && one(want)
}
