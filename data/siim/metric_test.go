package siim

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/integrate"
	"gonum.org/v1/gonum/stat"
)

func mask(t *testing.T, s string) *Mask {
	t.Helper()
	m, err := DecodeRLE(s, 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDiceKnownValues(t *testing.T) {
	cases := []struct {
		pred, truth string
		want        float64
	}{
		{"-1", "-1", 1},       // both empty
		{"0 3", "-1", 0},      // false positive on an empty image
		{"-1", "0 3", 0},      // missed pneumothorax
		{"0 4", "0 4", 1},     // exact
		{"0 4", "2 4", 0.5},   // |P∩T| = 2, |P|+|T| = 8
		{"0 2", "0 6", 0.5},   // 2*2 / 8
		{"0 1 9 1", "1 3", 0}, // disjoint
		{"0 16", "0 1", 2.0 / 17},
	}
	for _, c := range cases {
		if got := Dice(mask(t, c.pred), mask(t, c.truth)); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Dice(%q, %q) = %v, want %v", c.pred, c.truth, got, c.want)
		}
	}
}

func TestEvaluateHandMade(t *testing.T) {
	truth := "ImageId,EncodedPixels\n" +
		"e1,-1\n" + // empty, predicted empty: 1
		"e2,-1\n" + // empty, false positive: 0
		"p1,0 4\n" + // half overlap: 0.5
		"p1,2 2\n" + // overlapping second row: union still 0..3
		"p2,0 8\n" + // missing from the submission: 0
		"p3,4 4\n" // exact: 1
	sub := "ImageId,EncodedPixels\n" +
		"e1,-1\n" +
		"e2,5 1\n" +
		"p1,2 4\n" +
		"p3,4 4\n" +
		"x9,-1\n"
	tl, err := ReadLabels(strings.NewReader(truth), 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := ReadLabels(strings.NewReader(sub), 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Evaluate(tl, pl, 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	wantDice := []float64{1, 0, 0.5, 0, 1}
	for i, w := range wantDice {
		if math.Abs(ev.Images[i].Dice-w) > 1e-12 {
			t.Errorf("image %s: Dice %v, want %v", ev.Images[i].ImageID, ev.Images[i].Dice, w)
		}
	}
	if math.Abs(ev.Score-2.5/5) > 1e-12 {
		t.Errorf("score %v, want 0.5", ev.Score)
	}
	if len(ev.Missing) != 1 || ev.Missing[0] != "p2" || len(ev.Extra) != 1 || ev.Extra[0] != "x9" {
		t.Errorf("missing %v extra %v, want [p2] [x9]", ev.Missing, ev.Extra)
	}
	c := ev.Classes
	// Truth positives p1 p2 p3; predicted positive e2 p1 p3.
	if c.TP != 2 || c.FP != 1 || c.TN != 1 || c.FN != 1 {
		t.Errorf("confusion %+v, want TP 2 FP 1 TN 1 FN 1", c)
	}
	if math.Abs(c.Accuracy-0.6) > 1e-12 || math.Abs(c.Sensitivity-2.0/3) > 1e-12 || math.Abs(c.Specificity-0.5) > 1e-12 {
		t.Errorf("rates %+v", c)
	}
}

func TestAUC(t *testing.T) {
	cases := []struct {
		scores []float64
		pos    []bool
		want   float64
	}{
		{[]float64{0.1, 0.9}, []bool{false, true}, 1},
		{[]float64{0.9, 0.1}, []bool{false, true}, 0},
		{[]float64{0.5, 0.5}, []bool{false, true}, 0.5},
		// pos {0.8, 0.4}, neg {0.3, 0.6, 0.4}: pairs won 3 + (1 + 0.5 tie) = 4.5 of 6.
		{[]float64{0.8, 0.3, 0.6, 0.4, 0.4}, []bool{true, false, false, true, false}, 4.5 / 6},
		// Areas as Evaluate scores them, most tied at 0. pos {0, 5, 9},
		// neg {0, 0, 5}: pos 0 ties two (1), pos 5 beats two and ties one
		// (2.5), pos 9 beats three (3): 6.5 of 9 = 13/18, which is also
		// sklearn's roc_auc_score([0,1,0,1,0,1], [0,0,0,5,5,9]).
		{[]float64{0, 0, 0, 5, 5, 9}, []bool{false, true, false, true, false, true}, 13.0 / 18},
		{[]float64{3, 3, 3, 3}, []bool{true, false, false, true}, 0.5}, // all tied: chance
	}
	for _, c := range cases {
		if got := AUC(c.scores, c.pos); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("AUC(%v, %v) = %v, want %v", c.scores, c.pos, got, c.want)
		}
	}
	if !math.IsNaN(AUC([]float64{1, 2}, []bool{true, true})) {
		t.Error("AUC with one class is not NaN")
	}
	if !math.IsNaN(AUC([]float64{1, math.NaN(), 2}, []bool{true, false, false})) {
		t.Error("AUC with a NaN score is not NaN")
	}
}

// pairAUC is AUC by its definition: the fraction of (positive, negative)
// pairs the positive wins, ties counting one half.
func pairAUC(scores []float64, positive []bool) float64 {
	var won, pairs float64
	for i, p := range scores {
		for j, n := range scores {
			if positive[i] && !positive[j] {
				pairs++
				switch {
				case p > n:
					won++
				case p == n:
					won += 0.5
				}
			}
		}
	}
	return won / pairs
}

// gonumAUC is the trapezoidal area under gonum's ROC curve, which has one
// point per distinct score.
func gonumAUC(scores []float64, positive []bool) float64 {
	y, classes := slices.Clone(scores), slices.Clone(positive)
	stat.SortWeightedLabeled(y, classes, nil)
	tpr, fpr, _ := stat.ROC(nil, y, classes, nil)
	return integrate.Trapezoidal(fpr, tpr)
}

// TestAUCOracles compares AUC with the pair count and with gonum's
// stat.ROC + integrate.Trapezoidal on random data: scores with heavy ties
// (few distinct values, most of them 0, as predicted areas are) and
// without ties.
func TestAUCOracles(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 3))
	for trial := range 200 {
		n := 2 + r.IntN(60)
		scores, pos := make([]float64, n), make([]bool, n)
		for i := range n {
			pos[i] = r.IntN(3) == 0
			switch {
			case trial%2 == 1:
				scores[i] = r.Float64()
			case r.IntN(2) == 0:
				scores[i] = 0
			default:
				scores[i] = float64(r.IntN(4))
				if pos[i] {
					scores[i] += float64(r.IntN(3))
				}
			}
		}
		pos[0], pos[1] = true, false // both classes
		got := AUC(scores, pos)
		if want := pairAUC(scores, pos); math.Abs(got-want) > 1e-12 {
			t.Fatalf("AUC(%v, %v) = %v, pair count %v", scores, pos, got, want)
		}
		if want := gonumAUC(scores, pos); math.Abs(got-want) > 1e-12 {
			t.Fatalf("AUC(%v, %v) = %v, gonum %v", scores, pos, got, want)
		}
	}
}

// Scoring the real labels against themselves gives 1; against the
// all-empty prediction gives the fraction of empty images.
func TestEvaluateRealLabels(t *testing.T) {
	dir := sharedDir(t)
	ls, err := ReadLabelsFile(filepath.Join(dir, "stage_2_train_excerpt.csv"), DefaultSize, DefaultSize)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Evaluate(ls, ls, DefaultSize, DefaultSize)
	if err != nil || ev.Score != 1 || ev.Classes.AUC != 1 {
		t.Fatalf("self score %v AUC %v, err %v; want 1, 1", ev.Score, ev.Classes.AUC, err)
	}
	ev, err = Evaluate(ls, NewLabels(), DefaultSize, DefaultSize)
	if err != nil {
		t.Fatal(err)
	}
	if want := float64(252-77) / 252; math.Abs(ev.Score-want) > 1e-12 || len(ev.Missing) != 252 {
		t.Errorf("all-empty score %v, want %v", ev.Score, want)
	}
}
