package unet

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Config describes a U-Net. The zero values of DecoderChannels and
// ClassDropout take the defaults (256, 128, 64, 32, 16 and 0.2).
type Config struct {
	// Encoder is "resnet18", "resnet34" or "resnet50" (torchvision's).
	Encoder string `json:"encoder"`
	// InChannels is 1 (grey radiographs) or 3.
	InChannels int `json:"in_channels"`
	// Classes is the number of mask channels.
	Classes int `json:"classes"`
	// DecoderChannels are the output channels of the 5 decoder blocks.
	DecoderChannels []int `json:"decoder_channels,omitempty"`
	// Attention is "" (none) or "scse" (concurrent spatial and channel
	// squeeze and excitation after the concatenation and after each block).
	Attention string `json:"attention,omitempty"`
	// ClassHead is the number of outputs of the classification head on the
	// deepest features (avg-pool, dropout, linear); 0 means no head.
	ClassHead int `json:"class_head,omitempty"`
	// ClassDropout is the dropout probability of the classification head.
	ClassDropout float32 `json:"class_dropout,omitempty"`
}

// DefaultDecoderChannels are smp's decoder widths, deepest block first.
var DefaultDecoderChannels = []int{256, 128, 64, 32, 16}

// encoderSpec is a torchvision ResNet: blocks per stage, bottleneck or
// basic blocks, and the channels of the 5 feature maps (1/2 ... 1/32).
type encoderSpec struct {
	blocks     [4]int
	bottleneck bool
	channels   [5]int
}

var encoders = map[string]encoderSpec{
	"resnet18": {[4]int{2, 2, 2, 2}, false, [5]int{64, 64, 128, 256, 512}},
	"resnet34": {[4]int{3, 4, 6, 3}, false, [5]int{64, 64, 128, 256, 512}},
	"resnet50": {[4]int{3, 4, 6, 3}, true, [5]int{64, 256, 512, 1024, 2048}},
}

// withDefaults returns c with its zero fields filled in.
func (c Config) withDefaults() Config {
	if len(c.DecoderChannels) == 0 {
		c.DecoderChannels = append([]int(nil), DefaultDecoderChannels...)
	}
	if c.ClassDropout == 0 {
		c.ClassDropout = 0.2
	}
	if c.InChannels == 0 {
		c.InChannels = 1
	}
	if c.Classes == 0 {
		c.Classes = 1
	}
	return c
}

// Validate reports what is wrong with c (after defaults), if anything.
func (c Config) Validate() error {
	c = c.withDefaults()
	if _, ok := encoders[c.Encoder]; !ok {
		return fmt.Errorf("unet: encoder %q, want resnet18, resnet34 or resnet50", c.Encoder)
	}
	if c.InChannels != 1 && c.InChannels != 3 {
		return fmt.Errorf("unet: %d input channels, want 1 or 3", c.InChannels)
	}
	if c.Classes < 1 {
		return fmt.Errorf("unet: %d classes, want >= 1", c.Classes)
	}
	if len(c.DecoderChannels) != 5 {
		return fmt.Errorf("unet: %d decoder channels %v, want 5", len(c.DecoderChannels), c.DecoderChannels)
	}
	for _, d := range c.DecoderChannels {
		if d < 1 {
			return fmt.Errorf("unet: decoder channels %v must be positive", c.DecoderChannels)
		}
	}
	if c.Attention != "" && c.Attention != "scse" {
		return fmt.Errorf("unet: attention %q, want \"\" or \"scse\"", c.Attention)
	}
	if c.ClassHead < 0 || c.ClassDropout < 0 || c.ClassDropout > 1 {
		return fmt.Errorf("unet: class head %d with dropout %g invalid", c.ClassHead, c.ClassDropout)
	}
	return nil
}

// ParseArch turns a name like "unet-resnet34" (the "unet-" prefix is
// optional) into a Config with inChannels input channels and one class.
func ParseArch(arch string, inChannels int) (Config, error) {
	c := Config{Encoder: strings.TrimPrefix(arch, "unet-"), InChannels: inChannels, Classes: 1}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c.withDefaults(), nil
}

// Arch returns the architecture name ParseArch accepts ("unet-resnet34").
func (c Config) Arch() string { return "unet-" + c.Encoder }

// Describe returns c (with defaults) in one line: "U-Net-ResNet34, 1 input
// channel, 1 class, decoder 256-128-64-32-16", then ", scSE attention" and
// ", class head of 2 outputs" where c has them.
func (c Config) Describe() string {
	c = c.withDefaults()
	var b strings.Builder
	fmt.Fprintf(&b, "U-Net-%s, %s, %s, decoder %s", strings.ReplaceAll(encoderTitle(c.Encoder), "-", ""),
		plural(c.InChannels, "input channel"), plural(c.Classes, "class"), joinInts(c.DecoderChannels, "-"))
	if c.Attention == "scse" {
		b.WriteString(", scSE attention")
	} else if c.Attention != "" {
		fmt.Fprintf(&b, ", attention %q", c.Attention)
	}
	if c.ClassHead > 0 {
		fmt.Fprintf(&b, ", class head of %s", plural(c.ClassHead, "output"))
	}
	return b.String()
}

// encoderTitle returns an encoder name as torchvision's papers write it
// ("resnet18" -> "ResNet-18").
func encoderTitle(name string) string {
	if n, ok := strings.CutPrefix(name, "resnet"); ok && n != "" {
		return "ResNet-" + n
	}
	return name
}

// plural returns "1 class", "2 classes", "1 input channel", "3 input channels".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "s") {
		return fmt.Sprintf("%d %ses", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func joinInts(v []int, sep string) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, sep)
}

// MarshalConfig returns c (with defaults) as JSON, the form stored in
// lungo checkpoints.
func (c Config) MarshalConfig() string {
	b, err := json.Marshal(c.withDefaults())
	if err != nil {
		panic("unet: " + err.Error()) // a Config always marshals
	}
	return string(b)
}

// UnmarshalConfig parses and validates a config written by MarshalConfig.
func UnmarshalConfig(s string) (Config, error) {
	var c Config
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return Config{}, fmt.Errorf("unet: config JSON: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c.withDefaults(), nil
}
