package kernels

import "sync"

// freeList is a pool of buffers that, unlike sync.Pool, survives garbage
// collections: a training step that needs the same scratch every time then
// allocates none after the first, however often the collector runs. It
// keeps at most max buffers; more are left to the collector.
type freeList[T any] struct {
	mu   sync.Mutex
	free []*T
}

// freeListMax bounds the buffers a list keeps: enough for every worker of a
// few concurrent kernels.
const freeListMax = 64

func (l *freeList[T]) get() *T {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.free); n > 0 {
		b := l.free[n-1]
		l.free = l.free[:n-1]
		return b
	}
	return nil
}

func (l *freeList[T]) put(b *T) {
	l.mu.Lock()
	if len(l.free) < freeListMax {
		l.free = append(l.free, b)
	}
	l.mu.Unlock()
}
