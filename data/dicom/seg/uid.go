package seg

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"math/big"
)

// DefaultUIDRoot is the root of the UIDs this package generates when
// Options.UIDRoot is empty: "2.25", under which a UUID written as one
// unsigned decimal integer is a UID (PS3.5 B.2, ISO/IEC 9834-8), so no
// registered organisation root is needed.
const DefaultUIDRoot = "2.25"

// minUIDDigits is the fewest decimal digits a generated UID's last
// component may have under a caller's root: 20 digits carry 66 bits.
const minUIDDigits = 20

// NewUID returns a new UID under root ("" means DefaultUIDRoot), drawing
// its randomness from rnd (nil means crypto/rand).
//
// Under 2.25 the UID is 2.25.<n>, n the decimal value of a random (version
// 4, RFC 9562) UUID: 122 random bits, at most 44 characters. Under another
// root it is <root>.<n>, n a 128-bit random number reduced modulo
// 10^d where d is the number of digits that fit in 64 characters (at most
// 39); roots that leave fewer than 20 digits (66 bits) are refused.
func NewUID(root string, rnd io.Reader) (string, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	var b [16]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", fmt.Errorf("seg: new UID: read random bits: %w", err)
	}
	return uidFromBits(root, b, 4)
}

// UIDFromName returns a UID under root ("" means DefaultUIDRoot) that is a
// function of name alone: under 2.25, a name-based version 8 UUID (RFC 9562)
// made of the first 128 bits of SHA-256(name). The same name always gives
// the same UID, so a caller can make re-runs idempotent, for instance by
// naming a result after its source SOP Instance UID and model hash.
func UIDFromName(root, name string) (string, error) {
	h := sha256.Sum256([]byte(name))
	var b [16]byte
	copy(b[:], h[:16])
	return uidFromBits(root, b, 8)
}

// uidFromBits forms a UID from 16 random or hashed bytes. Under 2.25 the
// bytes get RFC 9562's version and variant bits.
func uidFromBits(root string, b [16]byte, version byte) (string, error) {
	if root == "" {
		root = DefaultUIDRoot
	}
	if err := checkUID(root); err != nil {
		return "", fmt.Errorf("seg: UID root %q: %w", root, err)
	}
	if root == DefaultUIDRoot {
		b[6] = b[6]&0x0F | version<<4
		b[8] = b[8]&0x3F | 0x80
		return root + "." + new(big.Int).SetBytes(b[:]).String(), nil
	}
	digits := min(64-len(root)-1, 39)
	if digits < minUIDDigits {
		return "", fmt.Errorf("seg: UID root %q is too long: it leaves %d digits for the unique part, %d needed", root, max(digits, 0), minUIDDigits)
	}
	n := new(big.Int).SetBytes(b[:])
	n.Mod(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(digits)), nil))
	return root + "." + n.String(), nil
}

// checkUID validates a UID (PS3.5 9.1): 1 to 64 characters, components of
// digits separated by '.', none empty, none with a leading zero unless it
// is "0".
func checkUID(s string) error {
	if s == "" || len(s) > 64 {
		return fmt.Errorf("a UID must have 1 to 64 characters, not %d", len(s))
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			if s[i] < '0' || s[i] > '9' {
				return fmt.Errorf("character %q at %d is neither a digit nor '.'", s[i], i)
			}
			continue
		}
		switch {
		case i == start:
			return fmt.Errorf("empty component at %d", i)
		case s[start] == '0' && i-start > 1:
			return fmt.Errorf("component at %d has a leading zero", start)
		}
		start = i + 1
	}
	return nil
}
