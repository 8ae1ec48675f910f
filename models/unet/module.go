package unet

import "github.com/lungo-ml/lungo/nn"

// children is a list of named submodules whose state-dict keys nest under
// their names ("conv1.weight", "layer1.0.bn1.running_mean"), in registration
// order like a PyTorch nn.Module. Nil modules are skipped (a block without
// downsample, a model without a classification head).
type children struct {
	names []string
	mods  []nn.Module
}

func (c *children) add(name string, m nn.Module) {
	c.names = append(c.names, name)
	c.mods = append(c.mods, m)
}

// NamedParameters returns the children's parameters under prefix+name+".".
func (c *children) NamedParameters(prefix string) []nn.NamedParam {
	var out []nn.NamedParam
	for i, m := range c.mods {
		if m != nil {
			out = append(out, m.NamedParameters(prefix+c.names[i]+".")...)
		}
	}
	return out
}

// NamedBuffers returns the children's buffers under prefix+name+".".
func (c *children) NamedBuffers(prefix string) []nn.NamedBuffer {
	var out []nn.NamedBuffer
	for i, m := range c.mods {
		if m != nil {
			out = append(out, m.NamedBuffers(prefix+c.names[i]+".")...)
		}
	}
	return out
}

// SetTraining sets the mode of every child.
func (c *children) SetTraining(training bool) {
	for _, m := range c.mods {
		if m != nil {
			m.SetTraining(training)
		}
	}
}
