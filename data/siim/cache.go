package siim

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"os"
	"sync/atomic"
	"unsafe"
)

// Cache is an on-disk store of decoded, resized images and their masks
// (S x S uint8 each) for a fixed, ordered list of image IDs, so that
// epochs after the first skip DICOM and JPEG decoding and RLE decoding. On unix the file is memory-mapped (shared,
// read-write): reads are copies out of the page cache and the file fills
// as the first epoch runs. Elsewhere the file is read into memory and
// written back by Close.
//
// File layout (little endian): a 64-byte header (magic "LUNGOSC1",
// version uint32 = 1, S uint32, N uint32, 4 zero bytes, an FNV-64a hash of
// the IDs uint64, zeros), N uint32 slot states (0 empty, 1 being written,
// 2 ready) padded to a multiple of 64 bytes, then N slots of 2 x S x S
// bytes: the image's pixels, then its mask (0/1), both row-major. A file
// whose header does not match (other IDs, size or version) is rebuilt.
//
// Get and Put are safe for concurrent use; Put on a slot that is ready or
// being written does nothing.
type Cache struct {
	path  string
	size  int
	n     int
	data  []byte
	state []uint32 // aliases data
	pix   []byte   // aliases data
	close func() error
}

const (
	cacheMagic   = "LUNGOSC1"
	cacheVersion = 1
	cacheHeader  = 64

	slotEmpty   = 0
	slotWriting = 1
	slotReady   = 2
)

func cacheLayout(n, size int) (stateOff, pixOff, total int) {
	stateOff = cacheHeader
	pixOff = stateOff + (4*n+63)/64*64
	return stateOff, pixOff, pixOff + n*2*size*size
}

func idsHash(ids []string) uint64 {
	h := fnv.New64a()
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

func cacheHeaderBytes(n, size int, hash uint64) []byte {
	h := make([]byte, cacheHeader)
	copy(h, cacheMagic)
	binary.LittleEndian.PutUint32(h[8:], cacheVersion)
	binary.LittleEndian.PutUint32(h[12:], uint32(size))
	binary.LittleEndian.PutUint32(h[16:], uint32(n))
	binary.LittleEndian.PutUint64(h[24:], hash)
	return h
}

// OpenCache opens or creates the cache file at path for images ids
// resized to size x size. Slots left half-written by an interrupted run
// are reset to empty.
func OpenCache(path string, ids []string, size int) (*Cache, error) {
	if size <= 0 || len(ids) == 0 {
		panicf("OpenCache: size %d for %d images", size, len(ids))
	}
	n := len(ids)
	want := cacheHeaderBytes(n, size, idsHash(ids))
	_, _, total := cacheLayout(n, size)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, cacheHeader)
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if _, err := f.ReadAt(head, 0); err != nil || !bytes.Equal(head, want) || st.Size() != int64(total) {
		// New or stale: start over with zeroed slots.
		if err := f.Truncate(0); err != nil {
			return nil, fmt.Errorf("siim: cache %s: %w", path, err)
		}
		if err := f.Truncate(int64(total)); err != nil {
			return nil, fmt.Errorf("siim: cache %s: %w", path, err)
		}
		if _, err := f.WriteAt(want, 0); err != nil {
			return nil, fmt.Errorf("siim: cache %s: %w", path, err)
		}
	}
	data, closeFn, err := mapFile(f, path, total)
	if err != nil {
		return nil, fmt.Errorf("siim: cache %s: %w", path, err)
	}
	stateOff, pixOff, _ := cacheLayout(n, size)
	c := &Cache{path: path, size: size, n: n, data: data, pix: data[pixOff:], close: closeFn}
	c.state = unsafe.Slice((*uint32)(unsafe.Pointer(&data[stateOff])), n)
	for i := range c.state {
		if atomic.LoadUint32(&c.state[i]) != slotReady {
			atomic.StoreUint32(&c.state[i], slotEmpty)
		}
	}
	return c, nil
}

// Size returns the side S of the cached images.
func (c *Cache) Size() int { return c.size }

// Len returns the number of slots.
func (c *Cache) Len() int { return c.n }

// Ready returns how many slots hold an image.
func (c *Cache) Ready() int {
	r := 0
	for i := range c.state {
		if atomic.LoadUint32(&c.state[i]) == slotReady {
			r++
		}
	}
	return r
}

// Get copies image i and its mask (S*S bytes each, row-major) into img
// and mask and reports whether they were cached.
func (c *Cache) Get(i int, img, mask []uint8) bool {
	c.check(i, img, mask)
	if atomic.LoadUint32(&c.state[i]) != slotReady {
		return false
	}
	s2 := c.size * c.size
	slot := c.pix[2*i*s2 : 2*(i+1)*s2]
	copy(img, slot[:s2])
	copy(mask, slot[s2:])
	return true
}

// Put stores image i and its mask (S*S bytes each, row-major) unless they
// are already stored.
func (c *Cache) Put(i int, img, mask []uint8) {
	c.check(i, img, mask)
	if !atomic.CompareAndSwapUint32(&c.state[i], slotEmpty, slotWriting) {
		return
	}
	s2 := c.size * c.size
	slot := c.pix[2*i*s2 : 2*(i+1)*s2]
	copy(slot[:s2], img)
	copy(slot[s2:], mask)
	atomic.StoreUint32(&c.state[i], slotReady)
}

func (c *Cache) check(i int, img, mask []uint8) {
	if i < 0 || i >= c.n || len(img) != c.size*c.size || len(mask) != c.size*c.size {
		panicf("Cache: slot %d of %d with buffers of %d and %d bytes (want %d)", i, c.n, len(img), len(mask), c.size*c.size)
	}
}

// Close unmaps (or writes back) the file. The Cache must not be used
// afterwards.
func (c *Cache) Close() error {
	if c.close == nil {
		return nil
	}
	err := c.close()
	c.close, c.data, c.pix, c.state = nil, nil, nil, nil
	return err
}
