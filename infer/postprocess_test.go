package infer

import "testing"

func TestTripletApply(t *testing.T) {
	prob := []float32{0.95, 0.9, 0.6, 0.4, 0.1}
	mask := make([]uint8, len(prob))
	tr := Triplet{Top: 0.8, MinArea: 2, Bottom: 0.5}
	if !tr.Apply(mask, prob) {
		t.Fatal("two pixels above 0.8 with MinArea 2: want positive")
	}
	want := []uint8{1, 1, 1, 0, 0}
	for i := range want {
		if mask[i] != want[i] {
			t.Fatalf("mask %v, want %v", mask, want)
		}
	}
	tr.MinArea = 3
	if tr.Apply(mask, prob) {
		t.Fatal("two pixels above 0.8 with MinArea 3: want negative")
	}
	for _, m := range mask {
		if m != 0 {
			t.Fatalf("negative image must have an empty mask, got %v", mask)
		}
	}
}

func TestSearchTripletFindsGate(t *testing.T) {
	// Image 0: a true lesion with strong probabilities. Image 1: empty truth
	// with a weak false-positive blob that only a min-area gate removes.
	probs := [][]uint8{make([]uint8, 6), make([]uint8, 6)}
	Quantize(probs[0], []float32{0.95, 0.9, 0.9, 0.45, 0.1, 0.1})
	Quantize(probs[1], []float32{0.85, 0.1, 0.1, 0.1, 0.1, 0.1})
	truths := [][]uint8{
		{1, 1, 1, 0, 0, 0},
		{0, 0, 0, 0, 0, 0},
	}
	grid := TripletGrid{Tops: []float32{0.5, 0.8}, Bottoms: []float32{0.4, 0.5}, MinAreas: []int{0, 2}}
	best, score := SearchTriplet(probs, truths, grid)
	if score != 1 {
		t.Fatalf("best score %g with %v, want 1", score, best)
	}
	if best.MinArea != 2 || best.Bottom != 0.5 {
		t.Fatalf("best %v: want min_area 2 and bottom 0.5 (bottom 0.4 adds a false pixel)", best)
	}
	// Without the gate a plain threshold scores image 1 as 0.
	_, plain := SearchTriplet(probs, truths, TripletGrid{Tops: []float32{0.5}, Bottoms: []float32{0.5}, MinAreas: []int{0}})
	if plain != 0.5 {
		t.Fatalf("plain threshold score %g, want 0.5", plain)
	}
}
