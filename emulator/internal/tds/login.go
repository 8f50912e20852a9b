package tds

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// PRELOGIN option tokens and encryption values.
const (
	preloginVersion    = 0
	preloginEncryption = 1
	preloginInstOpt    = 2
	preloginThreadID   = 3
	preloginMARS       = 4
	preloginTerminator = 0xFF

	encryptOff    = 0
	encryptOn     = 1
	encryptNotSup = 2
	encryptReq    = 3
)

// parsePrelogin returns the option table of a PRELOGIN message.
func parsePrelogin(b []byte) (map[byte][]byte, error) {
	opts := map[byte][]byte{}
	for i := 0; ; i += 5 {
		if i >= len(b) {
			return nil, errors.New("tds: prelogin option table not terminated")
		}
		if b[i] == preloginTerminator {
			return opts, nil
		}
		if i+5 > len(b) {
			return nil, errors.New("tds: prelogin option table truncated")
		}
		off := int(binary.BigEndian.Uint16(b[i+1:]))
		n := int(binary.BigEndian.Uint16(b[i+3:]))
		if off+n > len(b) {
			return nil, fmt.Errorf("tds: prelogin option %d out of bounds", b[i])
		}
		opts[b[i]] = b[off : off+n]
	}
}

// preloginReply is the server's PRELOGIN answer: version, encryption not supported, no instance,
// no MARS.
func preloginReply() []byte {
	opts := []struct {
		tok  byte
		data []byte
	}{
		{preloginVersion, []byte{16, 0, 0x10, 0x00, 0, 0}},
		{preloginEncryption, []byte{encryptNotSup}},
		{preloginInstOpt, []byte{0}},
		{preloginThreadID, nil},
		{preloginMARS, []byte{0}},
	}
	off := 5*len(opts) + 1
	var hdr, data []byte
	for _, o := range opts {
		hdr = append(hdr, o.tok, byte(off>>8), byte(off), byte(len(o.data)>>8), byte(len(o.data)))
		data = append(data, o.data...)
		off += len(o.data)
	}
	return append(append(hdr, preloginTerminator), data...)
}

// login7 holds the LOGIN7 fields the server uses.
type login7 struct {
	TDSVersion uint32
	PacketSize uint32
	User       string
	Password   string
	App        string
	Host       string
	Server     string
	Database   string
	Flags2     byte
}

const login7FixedLen = 94

// parseLogin decodes a LOGIN7 message. Variable fields are read by offset and character count; a
// field reaching past the end of the message is cut at the end (some clients count characters, not
// UTF-16 code units).
func parseLogin(b []byte) (login7, error) {
	var l login7
	if len(b) < login7FixedLen {
		return l, fmt.Errorf("tds: login7 of %d bytes is shorter than its fixed part", len(b))
	}
	l.TDSVersion = binary.LittleEndian.Uint32(b[4:])
	l.PacketSize = binary.LittleEndian.Uint32(b[8:])
	l.Flags2 = b[25]
	field := func(at int) ([]byte, error) {
		off := int(binary.LittleEndian.Uint16(b[at:]))
		n := 2 * int(binary.LittleEndian.Uint16(b[at+2:]))
		if n == 0 {
			return nil, nil
		}
		if off < login7FixedLen || off > len(b) {
			return nil, fmt.Errorf("tds: login7 field at offset %d out of bounds", off)
		}
		end := min(off+n, len(b))
		return b[off:end], nil
	}
	var err error
	str := func(at int) string {
		f, e := field(at)
		if e != nil && err == nil {
			err = e
		}
		return ucs2String(f)
	}
	l.Host = str(36)
	l.User = str(40)
	pw, e := field(44)
	if e != nil && err == nil {
		err = e
	}
	l.Password = ucs2String(demanglePassword(pw))
	l.App = str(48)
	l.Server = str(52)
	l.Database = str(68)
	return l, err
}

// demanglePassword undoes LOGIN7's password obfuscation: each byte has its nibbles swapped and is
// XORed with 0xA5.
func demanglePassword(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		c ^= 0xA5
		out[i] = c<<4 | c>>4
	}
	return out
}
