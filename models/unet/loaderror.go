package unet

import (
	"errors"
	"fmt"
	"strings"

	"github.com/lungo-ml/lungo/nn"
)

// WeightsError says why a state dict does not fit a model: the model's
// tensors it leaves unset, its keys the model lacks and the shapes that
// differ. Whole modules are named once ("decoder (60 tensors)"), other keys
// one by one. It wraps the *nn.StateDictError with every key.
type WeightsError struct {
	// Model describes the model the weights were loaded into.
	Model string
	// Missing and Unexpected are grouped by module: a module all of whose
	// tensors are concerned as "decoder.blocks.4 (12 tensors)", other keys
	// as they are.
	Missing, Unexpected []string
	// Mismatched are the keys whose shapes differ (Got: the file's).
	Mismatched []nn.ShapeMismatch
	// Note, if not empty, says what the weights look like instead.
	Note string
	err  *nn.StateDictError
}

// maxListed is how many items of each list the message shows.
const maxListed = 12

func (e *WeightsError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing "+listSome(e.Missing))
	}
	if len(e.Unexpected) > 0 {
		parts = append(parts, "unexpected "+listSome(e.Unexpected))
	}
	if len(e.Mismatched) > 0 {
		s := make([]string, len(e.Mismatched))
		for i, m := range e.Mismatched {
			s[i] = fmt.Sprintf("%s: file %v, model %v", m.Key, m.Got, m.Want)
		}
		parts = append(parts, "shape mismatch "+listSome(s))
	}
	msg := "unet: weights do not fit " + e.Model + ": " + strings.Join(parts, "; ")
	if e.Note != "" {
		msg += "; " + e.Note
	}
	return msg
}

// Unwrap returns the *nn.StateDictError listing every key.
func (e *WeightsError) Unwrap() error { return e.err }

func listSome(s []string) string {
	if len(s) > maxListed {
		return fmt.Sprintf("%s and %d more", strings.Join(s[:maxListed], ", "), len(s)-maxListed)
	}
	return strings.Join(s, ", ")
}

// weightsError turns err from nn.LoadStateDict into a *WeightsError for m,
// grouping keys by module: all is the model's keys without
// num_batches_tracked (optional in files), fileKeys the state dict's.
func (m *Model) weightsError(err error, all, fileKeys []string) error {
	var se *nn.StateDictError
	if !errors.As(err, &se) {
		return fmt.Errorf("unet: %s: %w", m.Config.Describe(), err)
	}
	return &WeightsError{
		Model:      m.Config.Describe(),
		Missing:    groupMissing(all, se.Missing),
		Unexpected: groupKeys(fileKeys, se.Unexpected),
		Mismatched: se.Mismatched,
		err:        se,
	}
}

// groupMissing is groupKeys for the model's missing keys, with batch-norm
// running statistics that are missing from every batch norm named once (a
// file saved from named_parameters holds none).
func groupMissing(all, missing []string) []string {
	miss := make(map[string]bool, len(missing))
	for _, k := range missing {
		miss[k] = true
	}
	var stats []string
	layers := 0
	for _, leaf := range []string{".running_mean", ".running_var"} {
		n, gone := 0, 0
		for _, k := range all {
			if strings.HasSuffix(k, leaf) {
				n++
				if miss[k] {
					gone++
				}
			}
		}
		if n > 1 && gone == n {
			stats = append(stats, strings.TrimPrefix(leaf, "."))
			layers = n
		}
	}
	var out []string
	if len(stats) > 0 {
		out = append(out, fmt.Sprintf("%s of all %d batch norms (the file holds no running statistics)", strings.Join(stats, " and "), layers))
		rest := missing[:0:0]
		for _, k := range missing {
			drop := false
			for _, s := range stats {
				drop = drop || strings.HasSuffix(k, "."+s)
			}
			if !drop {
				rest = append(rest, k)
			}
		}
		missing = rest
		if len(missing) == 0 {
			return out
		}
	}
	return append(out, groupKeys(all, missing)...)
}

// groupKeys returns the keys of subset in all's order, naming once, as
// "module (N tensors)", the outermost module of two or more tensors all of
// whose keys in all are in subset; the other keys as they are.
func groupKeys(all, subset []string) []string {
	if len(subset) == 0 {
		return nil
	}
	in := make(map[string]bool, len(subset))
	for _, k := range subset {
		in[k] = true
	}
	total, hit := map[string]int{}, map[string]int{}
	for _, k := range all {
		for i := 0; i < len(k); i++ {
			if k[i] == '.' {
				total[k[:i]]++
				if in[k] {
					hit[k[:i]]++
				}
			}
		}
	}
	named := map[string]bool{}
	var out []string
	for _, k := range all {
		if !in[k] {
			continue
		}
		group := ""
		for i := 0; i < len(k) && group == ""; i++ {
			if p := k[:i]; k[i] == '.' && total[p] >= 2 && hit[p] == total[p] {
				group = p
			}
		}
		switch {
		case group == "":
			out = append(out, k)
		case !named[group]:
			named[group] = true
			out = append(out, fmt.Sprintf("%s (%d tensors)", group, total[group]))
		}
	}
	return out
}
