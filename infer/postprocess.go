package infer

import (
	"fmt"
	"sort"
)

// Triplet is the post-processing of the SIIM-ACR 1st-place solution: an image
// is called positive only if at least MinArea of its pixels have probability
// above Top; the mask of a positive image is then every pixel above Bottom.
// Top >= Bottom. A zero MinArea with Top == Bottom is a plain threshold.
type Triplet struct {
	Top     float32 `json:"top"`
	MinArea int     `json:"min_area"`
	Bottom  float32 `json:"bottom"`
}

func (t Triplet) String() string {
	return fmt.Sprintf("top=%.2f min_area=%d bottom=%.2f", t.Top, t.MinArea, t.Bottom)
}

// Apply writes the binary mask (0 or 1) for one image's probabilities into
// mask (same length) and reports whether the image is positive.
func (t Triplet) Apply(mask []uint8, prob []float32) bool {
	if len(mask) != len(prob) {
		panic(fmt.Sprintf("infer: Triplet.Apply: mask has %d pixels, prob %d", len(mask), len(prob)))
	}
	n := 0
	for _, p := range prob {
		if p > t.Top {
			n++
		}
	}
	positive := n > 0 && n >= t.MinArea
	for i, p := range prob {
		if positive && p > t.Bottom {
			mask[i] = 1
		} else {
			mask[i] = 0
		}
	}
	return positive
}

// TripletGrid lists the candidate values SearchTriplet tries. MinAreas are in
// pixels of the probability maps given to the search.
type TripletGrid struct {
	Tops, Bottoms []float32
	MinAreas      []int
}

// DefaultTripletGrid returns a grid like the 1st-place solution's search,
// with areas scaled to images of size x size pixels (their areas were for
// 1024x1024).
func DefaultTripletGrid(size int) TripletGrid {
	scale := float64(size*size) / (1024 * 1024)
	var areas []int
	for _, a := range []int{0, 512, 1024, 2048, 3072, 4096, 6144, 8192} {
		areas = append(areas, int(float64(a)*scale+0.5))
	}
	return TripletGrid{
		Tops:     []float32{0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9},
		Bottoms:  []float32{0.3, 0.4, 0.5},
		MinAreas: areas,
	}
}

// Quantize stores probabilities p in [0, 1] as q = round(255 p), the form
// validation keeps in memory (a quarter of float32's size).
func Quantize(q []uint8, p []float32) {
	for i, v := range p {
		q[i] = uint8(min(max(v, 0), 1)*255 + 0.5)
	}
}

// SearchTriplet returns the triplet of grid (with Bottom <= Top) that
// maximises the mean competition Dice of probs (one quantised probability
// map per image, see Quantize; a pixel is above t when q > 255 t) against
// truths (binary masks of the same sizes), and that score. Each image's Dice
// is 1 when prediction and truth are both empty.
func SearchTriplet(probs [][]uint8, truths [][]uint8, grid TripletGrid) (Triplet, float64) {
	if len(probs) != len(truths) {
		panic(fmt.Sprintf("infer: SearchTriplet: %d probability maps, %d masks", len(probs), len(truths)))
	}
	best, bestScore := Triplet{Top: 0.5, Bottom: 0.5}, -1.0
	if len(probs) == 0 {
		return best, 0
	}
	// For each bottom, the per-image Dice of the thresholded mask does not
	// depend on (top, minArea): compute it once, then the gate decides whether
	// the image keeps that mask or predicts empty.
	type imageStats struct {
		diceMask  float64 // Dice if the image is called positive
		diceEmpty float64 // Dice if called negative (1 if truth empty, else 0)
	}
	bottoms := append([]float32(nil), grid.Bottoms...)
	sort.Slice(bottoms, func(i, j int) bool { return bottoms[i] < bottoms[j] })
	stats := make([]imageStats, len(probs))
	above := make([][]int, len(probs)) // per image, count above each top
	for i, p := range probs {
		above[i] = make([]int, len(grid.Tops))
		for k, top := range grid.Tops {
			t := 255 * top
			for _, v := range p {
				if float32(v) > t {
					above[i][k]++
				}
			}
		}
	}
	for _, bottom := range bottoms {
		for i, p := range probs {
			tr := truths[i]
			if len(tr) != len(p) {
				panic(fmt.Sprintf("infer: SearchTriplet: image %d has %d probabilities, %d mask pixels", i, len(p), len(tr)))
			}
			inter, np, nt := 0, 0, 0
			t := 255 * bottom
			for j, v := range p {
				pred := float32(v) > t
				if pred {
					np++
				}
				if tr[j] != 0 {
					nt++
					if pred {
						inter++
					}
				}
			}
			stats[i].diceMask = dice(inter, np, nt)
			stats[i].diceEmpty = dice(0, 0, nt)
		}
		for k, top := range grid.Tops {
			if top < bottom {
				continue
			}
			for _, area := range grid.MinAreas {
				sum := 0.0
				for i := range probs {
					n := above[i][k]
					if n > 0 && n >= area {
						sum += stats[i].diceMask
					} else {
						sum += stats[i].diceEmpty
					}
				}
				score := sum / float64(len(probs))
				if score > bestScore {
					best, bestScore = Triplet{Top: top, MinArea: area, Bottom: bottom}, score
				}
			}
		}
	}
	return best, bestScore
}

// dice is 2|X∩Y|/(|X|+|Y|), and 1 when both are empty.
func dice(inter, np, nt int) float64 {
	if np+nt == 0 {
		return 1
	}
	return 2 * float64(inter) / float64(np+nt)
}
