// Package chart draws line charts of training curves into an image: one or
// more panels side by side, each with a title, axis labels, ticks at "nice"
// 1-2-5 steps, light grid lines, a legend and an optional vertical marker
// (the best epoch), in the manner of TensorBoard and matplotlib.
//
// Text is set in the Go fonts (golang.org/x/image/font/gofont) and lines
// are anti-aliased with golang.org/x/image/vector, so the package needs no
// plotting library and no cgo.
package chart
