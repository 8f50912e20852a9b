package tds

import (
	"encoding/binary"
	"errors"
	"unicode/utf16"
)

var errTruncated = errors.New("tds: message truncated")

// reader decodes little-endian values from a message; after the first overrun every read returns
// zero values and err stays set.
type reader struct {
	b   []byte
	p   int
	err error
}

func (r *reader) need(n int) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || n > len(r.b)-r.p {
		r.err = errTruncated
		return false
	}
	return true
}

func (r *reader) left() int { return len(r.b) - r.p }

func (r *reader) u8() byte {
	if !r.need(1) {
		return 0
	}
	v := r.b[r.p]
	r.p++
	return v
}

func (r *reader) u16() uint16 {
	if !r.need(2) {
		return 0
	}
	v := binary.LittleEndian.Uint16(r.b[r.p:])
	r.p += 2
	return v
}

func (r *reader) u32() uint32 {
	if !r.need(4) {
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b[r.p:])
	r.p += 4
	return v
}

func (r *reader) u64() uint64 {
	if !r.need(8) {
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b[r.p:])
	r.p += 8
	return v
}

func (r *reader) bytes(n int) []byte {
	if !r.need(n) {
		return nil
	}
	v := r.b[r.p : r.p+n : r.p+n]
	r.p += n
	return v
}

// bVarChar reads a B_VARCHAR (byte length in characters, UTF-16LE).
func (r *reader) bVarChar() string { return ucs2String(r.bytes(2 * int(r.u8()))) }

// ucs2String decodes UTF-16LE; an odd trailing byte is dropped.
func ucs2String(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// appendUCS2 appends s as UTF-16LE.
func appendUCS2(dst []byte, s string) []byte {
	for _, r := range s {
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			dst = binary.LittleEndian.AppendUint16(dst, uint16(r1))
			dst = binary.LittleEndian.AppendUint16(dst, uint16(r2))
			continue
		}
		dst = binary.LittleEndian.AppendUint16(dst, uint16(r))
	}
	return dst
}

// cp1252High maps bytes 0x80–0x9F of Windows-1252; other bytes map to the same code point (Latin-1).
var cp1252High = [32]rune{
	0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
	0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
}

// cp1252String decodes single-byte Windows-1252 text.
func cp1252String(b []byte) string {
	rs := make([]rune, len(b))
	for i, c := range b {
		if c >= 0x80 && c < 0xA0 {
			rs[i] = cp1252High[c-0x80]
		} else {
			rs[i] = rune(c)
		}
	}
	return string(rs)
}
