//go:build race

package nn

// raceEnabled: the race detector makes sync.Pool drop items at random, so
// allocation measurements mean nothing under it.
const raceEnabled = true
