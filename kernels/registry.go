package kernels

import (
	"fmt"
	"os"
	"strings"
	"sync"
)

// impl is a named implementation of the kernels: a table of optional fast
// paths. A nil entry falls back to the generic Go reference, so an
// implementation only fills in what it accelerates. Implementations register
// themselves from init functions in files guarded by build tags, in the
// manner of Go's crypto/internal/impl.
type impl struct {
	Name      string // "generic", "avx2", "avx512", "neon"
	Available bool   // whether this CPU can run it
	Priority  int    // higher wins when nothing is forced

	// Sgemm computes C = alpha*op(A)*op(B) + beta*C (see Sgemm).
	Sgemm func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	// Conv2D, Conv2DBackwardData and Conv2DBackwardWeights may return false
	// to decline a shape they do not handle; the generic path then runs.
	Conv2D                func(y, x, w, bias []float32, p ConvParams) bool
	Conv2DBackwardData    func(dx, dy, w []float32, p ConvParams) bool
	Conv2DBackwardWeights func(dw, db, x, dy []float32, p ConvParams) bool
	// MaxPool2D may return false to decline a shape; same contract as the
	// exported MaxPool2D (argmax may be nil).
	MaxPool2D func(y []float32, argmax []int32, x []float32, p PoolParams) bool
	// Adam is AdamStep on one range of elements, without threads.
	Adam func(w, g, m, v, vmax []float32, p AdamParams)

	// The memory-bound passes of batch norm and the elementwise ops, with
	// the contracts of the exported functions (arguments already checked;
	// BatchNormApply's res may be nil and relu adds the ReLU of
	// BatchNormApplyReLU). register fills the ones an implementation leaves
	// nil with its architecture's kernels of the same name (streamSIMD).
	BatchNormStats    func(mean, variance, invstd, x []float32, m, c int, eps float32)
	BatchNormApply    func(y, x, res, mean, invstd, gamma, beta []float32, m, c int, relu bool)
	BatchNormBackward func(dx, dgamma, dbeta, dy, x, mean, invstd, gamma []float32, m, c int, training bool)
	ReLU              func(y, x []float32)
	ReLUBackward      func(dx, dy, y []float32)
	Add               func(y, a, b []float32)
}

var (
	regMu   sync.Mutex
	impls   = []*impl{{Name: "generic", Available: true}}
	active  *impl
	envOnce sync.Once
)

// EnvVar names the environment variable that forces an implementation.
const EnvVar = "LUNGO_KERNELS"

// register adds an implementation. It is meant for init functions.
func register(im *impl) {
	regMu.Lock()
	defer regMu.Unlock()
	for _, o := range impls {
		if o.Name == im.Name {
			panic("kernels: implementation " + im.Name + " registered twice")
		}
	}
	impls = append(impls, im)
	active = nil
}

// List returns the names of all registered implementations, available or
// not, in registration order ("generic" first).
func List() []string {
	regMu.Lock()
	defer regMu.Unlock()
	names := make([]string, len(impls))
	for i, im := range impls {
		names[i] = im.Name
	}
	return names
}

// Available returns the names of the implementations this CPU can run.
func Available() []string {
	regMu.Lock()
	defer regMu.Unlock()
	var names []string
	for _, im := range impls {
		if im.Available {
			names = append(names, im.Name)
		}
	}
	return names
}

// Select makes the named implementation active. It returns an error if the
// name is unknown or the CPU cannot run it.
func Select(name string) error {
	regMu.Lock()
	defer regMu.Unlock()
	for _, im := range impls {
		if im.Name == name {
			if !im.Available {
				return fmt.Errorf("kernels: implementation %q is not supported by this CPU", name)
			}
			active = im
			return nil
		}
	}
	names := make([]string, len(impls))
	for i, im := range impls {
		names[i] = im.Name
	}
	return fmt.Errorf("kernels: unknown implementation %q (have %s)", name, strings.Join(names, ", "))
}

// Active returns the implementation in use. On first use it honours
// LUNGO_KERNELS; if that names nothing usable the process panics with a
// message naming the variable, since silently running other code would make
// benchmarks and tests lie. Without the variable the available
// implementation with the highest priority is used.
func Active() *impl {
	envOnce.Do(func() {
		if name := os.Getenv(EnvVar); name != "" {
			if err := Select(name); err != nil {
				panic(fmt.Sprintf("kernels: %s=%s: %v", EnvVar, name, err))
			}
		}
	})
	regMu.Lock()
	defer regMu.Unlock()
	if active == nil {
		best := impls[0]
		for _, im := range impls {
			if im.Available && im.Priority > best.Priority {
				best = im
			}
		}
		active = best
	}
	return active
}

// Use runs fn with the named implementation active and restores the previous
// one afterwards. It is for tests and benchmarks that compare implementations.
func Use(name string, fn func()) error {
	prev := Active()
	if err := Select(name); err != nil {
		return err
	}
	defer func() {
		regMu.Lock()
		active = prev
		regMu.Unlock()
	}()
	fn()
	return nil
}
