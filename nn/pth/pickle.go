package pth

import (
	"encoding/binary"
	"fmt"
	"math"
)

// This file is a restricted unpickler: it understands the opcodes that
// torch.save emits for state dicts (protocol 2, plus the few protocol 4
// opcodes other writers use) and builds only the objects listed in
// allowedGlobals. It never imports or calls anything: a GLOBAL naming any
// other module or class is an error naming both.

// Python values as the unpickler builds them:
//
//	None -> nil, bool, int64, float64, string, *pyList, pyTuple, *pyDict,
//	*pyGlobal (an allowed callable), *storageRef (a persistent id), *tensorRef.
type (
	pyTuple []any
	pyList  struct{ items []any }
	pyDict  struct {
		keys  []any
		vals  []any
		index map[any]int
		attrs *pyDict // state set by BUILD (OrderedDict._metadata)
	}
	pyGlobal struct{ module, name string }
	mark     struct{}
)

func newDict() *pyDict { return &pyDict{index: map[any]int{}} }

// set stores d[k] = v, keeping first-insertion order like Python's dict.
func (d *pyDict) set(k, v any) error {
	switch k.(type) {
	case nil, bool, int64, float64, string:
	default:
		return fmt.Errorf("unhashable dict key of type %s", typeName(k))
	}
	if i, ok := d.index[k]; ok {
		d.vals[i] = v
		return nil
	}
	d.index[k] = len(d.keys)
	d.keys = append(d.keys, k)
	d.vals = append(d.vals, v)
	return nil
}

func (d *pyDict) get(k string) (any, bool) {
	i, ok := d.index[k]
	if !ok {
		return nil, false
	}
	return d.vals[i], true
}

// Callables that may appear in a GLOBAL opcode. Storage classes are only
// legal inside persistent ids; the rebuild functions and OrderedDict only as
// REDUCE targets.
var allowedGlobals = map[string]bool{
	"collections.OrderedDict":                    true,
	"torch._utils._rebuild_tensor_v2":            true,
	"torch._utils._rebuild_tensor":               true,
	"torch._utils._rebuild_parameter":            true,
	"torch._utils._rebuild_parameter_with_state": true,
}

// storageDTypes maps torch's storage classes to element types.
var storageDTypes = map[string]DType{
	"FloatStorage":    Float32,
	"DoubleStorage":   Float64,
	"HalfStorage":     Float16,
	"BFloat16Storage": BFloat16,
	"LongStorage":     Int64,
	"IntStorage":      Int32,
	"ShortStorage":    Int16,
	"CharStorage":     Int8,
	"ByteStorage":     Uint8,
	"BoolStorage":     Bool,
}

func typeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case pyTuple:
		return "tuple"
	case *pyList:
		return "list"
	case *pyDict:
		return "dict"
	case *pyGlobal:
		return v.module + "." + v.name
	case *storageRef:
		return "storage"
	case *tensorRef:
		return "tensor"
	case mark:
		return "mark"
	}
	return fmt.Sprintf("%T", v)
}

// unpickler holds the machine state. persistentLoad turns a persistent id
// tuple into a storage reference.
type unpickler struct {
	data           []byte
	pos            int
	stack          []any
	marks          []int
	memo           map[uint32]any
	persistentLoad func(pid any) (any, error)
	rebuild        func(fn string, args pyTuple) (any, error)
}

// pickleError says what went wrong and at which byte of data.pkl.
type pickleError struct {
	pos int
	op  byte
	msg string
}

func (e *pickleError) Error() string {
	return fmt.Sprintf("data.pkl offset %d (opcode 0x%02x): %s", e.pos, e.op, e.msg)
}

// Largest stack (values) and memo (entries) the unpickler accepts; a state
// dict of a large model stays far below.
const maxStack = 1 << 20

func (u *unpickler) load() (any, error) {
	u.memo = map[uint32]any{}
	for {
		if u.pos >= len(u.data) {
			return nil, fmt.Errorf("data.pkl: unexpected end after %d bytes (no STOP opcode)", len(u.data))
		}
		start := u.pos
		op := u.data[u.pos]
		u.pos++
		done, err := u.step(op)
		if err != nil {
			if pe, ok := err.(*pickleError); ok {
				return nil, pe
			}
			return nil, &pickleError{start, op, err.Error()}
		}
		if len(u.stack) > maxStack || len(u.memo) > maxStack {
			return nil, &pickleError{start, op, "stack or memo too large"}
		}
		if done {
			if len(u.stack) != 1 {
				return nil, &pickleError{start, op, fmt.Sprintf("STOP with %d values on the stack, want 1", len(u.stack))}
			}
			if _, ok := u.stack[0].(mark); ok {
				return nil, &pickleError{start, op, "STOP with a mark on the stack"}
			}
			return u.stack[0], nil
		}
	}
}

func (u *unpickler) read(n int) ([]byte, error) {
	if n < 0 || n > len(u.data)-u.pos {
		return nil, fmt.Errorf("truncated: need %d bytes, %d left", n, len(u.data)-u.pos)
	}
	b := u.data[u.pos : u.pos+n]
	u.pos += n
	return b, nil
}

func (u *unpickler) readLine() (string, error) {
	for i := u.pos; i < len(u.data); i++ {
		if u.data[i] == '\n' {
			s := string(u.data[u.pos:i])
			u.pos = i + 1
			return s, nil
		}
	}
	return "", fmt.Errorf("truncated: no newline")
}

func (u *unpickler) readUint(n int) (uint64, error) {
	b, err := u.read(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}

func (u *unpickler) push(v any) { u.stack = append(u.stack, v) }

func (u *unpickler) pop() (any, error) {
	if len(u.stack) == 0 {
		return nil, fmt.Errorf("pop from an empty stack")
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	if _, ok := v.(mark); ok {
		return nil, fmt.Errorf("popped a mark where a value was expected")
	}
	return v, nil
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) == 0 {
		return nil, fmt.Errorf("empty stack")
	}
	v := u.stack[len(u.stack)-1]
	if _, ok := v.(mark); ok {
		return nil, fmt.Errorf("mark where a value was expected")
	}
	return v, nil
}

// popMark returns the values above the topmost mark and removes them and the
// mark.
func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, fmt.Errorf("no mark on the stack")
	}
	k := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	if k >= len(u.stack) {
		return nil, fmt.Errorf("mark above the stack top")
	}
	items := append([]any(nil), u.stack[k+1:]...)
	for _, it := range items {
		if _, ok := it.(mark); ok {
			return nil, fmt.Errorf("nested mark inside a mark group")
		}
	}
	u.stack = u.stack[:k]
	return items, nil
}

func (u *unpickler) popN(n int) ([]any, error) {
	out := make([]any, n)
	for i := n - 1; i >= 0; i-- {
		v, err := u.pop()
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (u *unpickler) global(module, name string) (any, error) {
	full := module + "." + name
	if module == "torch" {
		if _, ok := storageDTypes[name]; ok {
			return &pyGlobal{module, name}, nil
		}
	}
	if !allowedGlobals[full] {
		return nil, fmt.Errorf("refusing global %s (module %q, class %q): only state-dict classes are allowed", full, module, name)
	}
	return &pyGlobal{module, name}, nil
}

func (u *unpickler) memoPut(idx uint32) error {
	v, err := u.top()
	if err != nil {
		return err
	}
	u.memo[idx] = v
	return nil
}

func (u *unpickler) memoGet(idx uint32) error {
	v, ok := u.memo[idx]
	if !ok {
		return fmt.Errorf("memo key %d not set", idx)
	}
	u.push(v)
	return nil
}

func (u *unpickler) setItems(items []any) error {
	if len(items)%2 != 0 {
		return fmt.Errorf("SETITEMS with an odd number (%d) of values", len(items))
	}
	t, err := u.top()
	if err != nil {
		return err
	}
	d, ok := t.(*pyDict)
	if !ok {
		return fmt.Errorf("SETITEM(S) on a %s, want a dict", typeName(t))
	}
	for i := 0; i < len(items); i += 2 {
		if err := d.set(items[i], items[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func (u *unpickler) appendItems(items []any) error {
	t, err := u.top()
	if err != nil {
		return err
	}
	l, ok := t.(*pyList)
	if !ok {
		return fmt.Errorf("APPEND(S) on a %s, want a list", typeName(t))
	}
	l.items = append(l.items, items...)
	return nil
}

// call applies an allowed global to args (REDUCE and NEWOBJ).
func (u *unpickler) call(fn any, args any) (any, error) {
	g, ok := fn.(*pyGlobal)
	if !ok {
		return nil, fmt.Errorf("call of a %s, want an allowed global", typeName(fn))
	}
	t, ok := args.(pyTuple)
	if !ok {
		return nil, fmt.Errorf("call of %s with %s arguments, want a tuple", typeName(g), typeName(args))
	}
	if g.module == "collections" && g.name == "OrderedDict" {
		d := newDict()
		switch len(t) {
		case 0:
		case 1:
			// OrderedDict([(k, v), ...]).
			l, ok := t[0].(*pyList)
			if !ok {
				return nil, fmt.Errorf("OrderedDict(%s), want a list of pairs", typeName(t[0]))
			}
			for _, it := range l.items {
				p, ok := it.(pyTuple)
				if !ok || len(p) != 2 {
					return nil, fmt.Errorf("OrderedDict item of type %s, want a pair", typeName(it))
				}
				if err := d.set(p[0], p[1]); err != nil {
					return nil, err
				}
			}
		default:
			return nil, fmt.Errorf("OrderedDict with %d arguments", len(t))
		}
		return d, nil
	}
	if g.module == "torch._utils" {
		return u.rebuild(g.name, t)
	}
	return nil, fmt.Errorf("%s is not callable here", typeName(g))
}

// build applies BUILD's state to obj: OrderedDict instance attributes
// (_metadata) are kept; anything else is an error.
func build(obj, state any) error {
	d, ok := obj.(*pyDict)
	if !ok {
		if _, isTensor := obj.(*tensorRef); isTensor && state == nil {
			return nil
		}
		return fmt.Errorf("BUILD on a %s", typeName(obj))
	}
	if state == nil {
		return nil
	}
	s, ok := state.(*pyDict)
	if !ok {
		return fmt.Errorf("BUILD state of type %s, want a dict", typeName(state))
	}
	if d.attrs == nil {
		d.attrs = newDict()
	}
	for i, k := range s.keys {
		if err := d.attrs.set(k, s.vals[i]); err != nil {
			return err
		}
	}
	return nil
}

// step executes one opcode; it reports true at STOP.
func (u *unpickler) step(op byte) (bool, error) {
	switch op {
	case 0x80: // PROTO
		v, err := u.readUint(1)
		if err != nil {
			return false, err
		}
		if v > 5 {
			return false, fmt.Errorf("pickle protocol %d, want <= 5", v)
		}
	case 0x95: // FRAME: the frame length is advisory here.
		if _, err := u.readUint(8); err != nil {
			return false, err
		}
	case '.': // STOP
		return true, nil
	case '(': // MARK
		u.marks = append(u.marks, len(u.stack))
		u.push(mark{})
	case '}': // EMPTY_DICT
		u.push(newDict())
	case ']': // EMPTY_LIST
		u.push(&pyList{})
	case ')': // EMPTY_TUPLE
		u.push(pyTuple{})
	case 'N': // NONE
		u.push(nil)
	case 0x88: // NEWTRUE
		u.push(true)
	case 0x89: // NEWFALSE
		u.push(false)
	case 'K': // BININT1
		v, err := u.readUint(1)
		if err != nil {
			return false, err
		}
		u.push(int64(v))
	case 'M': // BININT2
		v, err := u.readUint(2)
		if err != nil {
			return false, err
		}
		u.push(int64(v))
	case 'J': // BININT (signed 32-bit)
		v, err := u.readUint(4)
		if err != nil {
			return false, err
		}
		u.push(int64(int32(uint32(v))))
	case 0x8a, 0x8b: // LONG1, LONG4: little-endian two's complement
		var n uint64
		var err error
		if op == 0x8a {
			n, err = u.readUint(1)
		} else {
			n, err = u.readUint(4)
		}
		if err != nil {
			return false, err
		}
		if n > 8 {
			return false, fmt.Errorf("integer of %d bytes does not fit int64", n)
		}
		b, err := u.read(int(n))
		if err != nil {
			return false, err
		}
		var v uint64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		if n > 0 && n < 8 && b[n-1]&0x80 != 0 {
			v |= ^uint64(0) << (8 * n) // sign-extend
		}
		u.push(int64(v))
	case 'G': // BINFLOAT (big-endian float64)
		b, err := u.read(8)
		if err != nil {
			return false, err
		}
		u.push(math.Float64frombits(binary.BigEndian.Uint64(b)))
	case 'X', 0x8c, 'T', 'U', 0x8d: // BINUNICODE, SHORT_BINUNICODE, BINSTRING, SHORT_BINSTRING, BINUNICODE8
		w := 4
		switch op {
		case 0x8c, 'U':
			w = 1
		case 0x8d:
			w = 8
		}
		n, err := u.readUint(w)
		if err != nil {
			return false, err
		}
		if n > uint64(len(u.data)) {
			return false, fmt.Errorf("string of %d bytes, only %d in data.pkl", n, len(u.data))
		}
		b, err := u.read(int(n))
		if err != nil {
			return false, err
		}
		u.push(string(b))
	case 'c': // GLOBAL module\nname\n
		module, err := u.readLine()
		if err != nil {
			return false, err
		}
		name, err := u.readLine()
		if err != nil {
			return false, err
		}
		g, err := u.global(module, name)
		if err != nil {
			return false, err
		}
		u.push(g)
	case 0x93: // STACK_GLOBAL
		v, err := u.popN(2)
		if err != nil {
			return false, err
		}
		module, ok1 := v[0].(string)
		name, ok2 := v[1].(string)
		if !ok1 || !ok2 {
			return false, fmt.Errorf("STACK_GLOBAL of %s, %s, want strings", typeName(v[0]), typeName(v[1]))
		}
		g, err := u.global(module, name)
		if err != nil {
			return false, err
		}
		u.push(g)
	case 't': // TUPLE
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		u.push(pyTuple(items))
	case 0x85, 0x86, 0x87: // TUPLE1..3
		items, err := u.popN(int(op-0x85) + 1)
		if err != nil {
			return false, err
		}
		u.push(pyTuple(items))
	case 'l': // LIST
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		u.push(&pyList{items: items})
	case 'd': // DICT
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		d := newDict()
		u.push(d)
		if err := u.setItems(items); err != nil {
			return false, err
		}
	case 's': // SETITEM
		kv, err := u.popN(2)
		if err != nil {
			return false, err
		}
		if err := u.setItems(kv); err != nil {
			return false, err
		}
	case 'u': // SETITEMS
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		if err := u.setItems(items); err != nil {
			return false, err
		}
	case 'a': // APPEND
		v, err := u.pop()
		if err != nil {
			return false, err
		}
		if err := u.appendItems([]any{v}); err != nil {
			return false, err
		}
	case 'e': // APPENDS
		items, err := u.popMark()
		if err != nil {
			return false, err
		}
		if err := u.appendItems(items); err != nil {
			return false, err
		}
	case 'q': // BINPUT
		i, err := u.readUint(1)
		if err != nil {
			return false, err
		}
		return false, u.memoPut(uint32(i))
	case 'r': // LONG_BINPUT
		i, err := u.readUint(4)
		if err != nil {
			return false, err
		}
		return false, u.memoPut(uint32(i))
	case 0x94: // MEMOIZE
		return false, u.memoPut(uint32(len(u.memo)))
	case 'h': // BINGET
		i, err := u.readUint(1)
		if err != nil {
			return false, err
		}
		return false, u.memoGet(uint32(i))
	case 'j': // LONG_BINGET
		i, err := u.readUint(4)
		if err != nil {
			return false, err
		}
		return false, u.memoGet(uint32(i))
	case '0': // POP
		if len(u.stack) == 0 {
			return false, fmt.Errorf("POP on an empty stack")
		}
		if _, ok := u.stack[len(u.stack)-1].(mark); ok {
			u.marks = u.marks[:len(u.marks)-1]
		}
		u.stack = u.stack[:len(u.stack)-1]
	case '1': // POP_MARK
		if _, err := u.popMark(); err != nil {
			return false, err
		}
	case '2': // DUP
		v, err := u.top()
		if err != nil {
			return false, err
		}
		u.push(v)
	case 'Q': // BINPERSID
		pid, err := u.pop()
		if err != nil {
			return false, err
		}
		v, err := u.persistentLoad(pid)
		if err != nil {
			return false, err
		}
		u.push(v)
	case 'R': // REDUCE
		v, err := u.popN(2)
		if err != nil {
			return false, err
		}
		r, err := u.call(v[0], v[1])
		if err != nil {
			return false, err
		}
		u.push(r)
	case 0x81: // NEWOBJ
		v, err := u.popN(2)
		if err != nil {
			return false, err
		}
		r, err := u.call(v[0], v[1])
		if err != nil {
			return false, err
		}
		u.push(r)
	case 'b': // BUILD
		state, err := u.pop()
		if err != nil {
			return false, err
		}
		obj, err := u.top()
		if err != nil {
			return false, err
		}
		if err := build(obj, state); err != nil {
			return false, err
		}
	default:
		return false, fmt.Errorf("unsupported pickle opcode %q (0x%02x): not used by state dicts", rune(op), op)
	}
	return false, nil
}
