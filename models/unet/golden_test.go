package unet

type goldenCase struct {
	name string
	cfg  Config
}

var goldenCases = []goldenCase{
	{"r18", Config{Encoder: "resnet18", InChannels: 1, Classes: 1}},
	{"r18_scse_cls", Config{Encoder: "resnet18", InChannels: 1, Classes: 1, Attention: "scse", ClassHead: 1}},
	{"r34", Config{Encoder: "resnet34", InChannels: 1, Classes: 1}},
	{"r34_scse_cls", Config{Encoder: "resnet34", InChannels: 1, Classes: 1, Attention: "scse", ClassHead: 3}},
}
