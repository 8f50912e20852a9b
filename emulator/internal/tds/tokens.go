package tds

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// Token ids.
const (
	tokReturnStatus = 0x79
	tokColMetadata  = 0x81
	tokError        = 0xAA
	tokInfo         = 0xAB
	tokReturnValue  = 0xAC
	tokLoginAck     = 0xAD
	tokRow          = 0xD1
	tokEnvChange    = 0xE3
	tokDone         = 0xFD
	tokDoneProc     = 0xFE
	tokDoneInProc   = 0xFF
)

// DONE status bits and current-command values.
const (
	doneFinal = 0x00
	doneMore  = 0x01
	doneError = 0x02
	doneCount = 0x10
	doneAttn  = 0x20

	cmdSelect = 0xC1
	cmdInsert = 0xC3
)

// ENVCHANGE types.
const (
	envDatabase   = 1
	envPacketSize = 4
	envCollation  = 7
	envBeginTran  = 8
	envCommitTran = 9
	envRollback   = 10
)

// tdsVersion74 is the TDS version the server acknowledges.
const tdsVersion74 = 0x74000004

// tokenWriter builds the token stream of one reply.
type tokenWriter struct {
	buf []byte
	// pendingErr is set by an ERROR token and cleared by the next DONE or DONEPROC, which gets the
	// error bit.
	pendingErr bool
}

func (w *tokenWriter) u8(v byte)    { w.buf = append(w.buf, v) }
func (w *tokenWriter) u16(v uint16) { w.buf = binary.LittleEndian.AppendUint16(w.buf, v) }
func (w *tokenWriter) u32(v uint32) { w.buf = binary.LittleEndian.AppendUint32(w.buf, v) }
func (w *tokenWriter) u64(v uint64) { w.buf = binary.LittleEndian.AppendUint64(w.buf, v) }

// bVarChar appends a B_VARCHAR, cut at 255 UTF-16 code units.
func (w *tokenWriter) bVarChar(s string) {
	b := appendUCS2(nil, s)
	if len(b) > 510 {
		b = b[:510]
	}
	w.u8(byte(len(b) / 2))
	w.buf = append(w.buf, b...)
}

// usVarChar appends a US_VARCHAR, cut at 65535 UTF-16 code units.
func (w *tokenWriter) usVarChar(s string) {
	b := appendUCS2(nil, s)
	if len(b) > 2*0xFFFF {
		b = b[:2*0xFFFF]
	}
	w.u16(uint16(len(b) / 2))
	w.buf = append(w.buf, b...)
}

// beginLen reserves a uint16 length and returns its offset for endLen.
func (w *tokenWriter) beginLen() int {
	w.u16(0)
	return len(w.buf)
}

func (w *tokenWriter) endLen(at int) {
	binary.LittleEndian.PutUint16(w.buf[at-2:], uint16(len(w.buf)-at))
}

func (w *tokenWriter) envChange(typ byte, newv, oldv []byte) {
	w.u8(tokEnvChange)
	at := w.beginLen()
	w.u8(typ)
	w.u8(byte(len(newv)))
	w.buf = append(w.buf, newv...)
	w.u8(byte(len(oldv)))
	w.buf = append(w.buf, oldv...)
	w.endLen(at)
}

func (w *tokenWriter) envChangeStr(typ byte, newv, oldv string) {
	w.u8(tokEnvChange)
	at := w.beginLen()
	w.u8(typ)
	w.bVarChar(newv)
	w.bVarChar(oldv)
	w.endLen(at)
}

// tranEnv appends ENVCHANGE 8 (begin) with the new descriptor, or 9/10 (commit/rollback) with the
// old one.
func (w *tokenWriter) tranEnv(typ byte, desc uint64) {
	d := binary.LittleEndian.AppendUint64(nil, desc)
	if typ == envBeginTran {
		w.envChange(typ, d, nil)
	} else {
		w.envChange(typ, nil, d)
	}
}

func (w *tokenWriter) loginAck(progName string) {
	w.u8(tokLoginAck)
	at := w.beginLen()
	w.u8(1) // SQL interface
	w.buf = binary.BigEndian.AppendUint32(w.buf, tdsVersion74)
	w.bVarChar(progName)
	w.buf = append(w.buf, 16, 0, 0x10, 0x00)
	w.endLen(at)
}

func (w *tokenWriter) done(tok byte, status, cmd uint16, rows uint64) {
	if tok != tokDoneInProc && w.pendingErr {
		status |= doneError
		w.pendingErr = false
	}
	w.u8(tok)
	w.u16(status)
	w.u16(cmd)
	w.u64(rows)
}

// message appends an ERROR (tokError) or INFO (tokInfo) token.
func (w *tokenWriter) message(tok byte, e *sqlval.Error, server string) {
	w.u8(tok)
	at := w.beginLen()
	w.u32(uint32(e.Number))
	w.u8(e.State)
	w.u8(e.Class)
	w.usVarChar(e.Message)
	w.bVarChar(server)
	w.bVarChar(e.Proc)
	w.u32(uint32(e.Line))
	w.endLen(at)
	if tok == tokError {
		w.pendingErr = true
	}
}

func (w *tokenWriter) returnStatus(v int32) {
	w.u8(tokReturnStatus)
	w.u32(uint32(v))
}

// wireCol is a column or output parameter's wire type, resolved from its sqlval.Column and values.
type wireCol struct {
	name     string
	tid      byte
	size     int // BYTELEN size, or max bytes of a USHORTLEN type; plp marks (max)
	scale    byte
	nullable bool
	kind     sqlval.Type
}

const plp = -1

// resolveColumn picks the wire type of a column so that its metadata covers every value.
func resolveColumn(c sqlval.Column, vals func(yield func(sqlval.Value) bool)) (wireCol, error) {
	wc := wireCol{name: c.Name, nullable: c.Nullable, kind: c.Type}
	if wc.kind == sqlval.Null {
		wc.kind = sqlval.Int
		for v := range vals {
			if v != nil {
				wc.kind = inferType(v)
				break
			}
		}
	}
	switch wc.kind {
	case sqlval.Int, sqlval.BigInt, sqlval.TinyInt, sqlval.SmallInt:
		wc.tid = typeIntN
		wc.size = map[sqlval.Type]int{sqlval.Int: 4, sqlval.BigInt: 8, sqlval.TinyInt: 1, sqlval.SmallInt: 2}[wc.kind]
	case sqlval.Bit:
		wc.tid, wc.size = typeBitN, 1
	case sqlval.Float:
		wc.tid, wc.size = typeFltN, 8
		if c.Size == 4 {
			wc.size = 4 // real
		}
	case sqlval.GUID:
		wc.tid, wc.size = typeGUID, 16
	case sqlval.DateTime2:
		wc.tid, wc.scale = typeDateTime2N, 7
	case sqlval.DateTimeOffset:
		wc.tid, wc.scale = typeDTOffsetN, 7
	case sqlval.DateTime:
		wc.tid, wc.size = typeDateTimeN, 8
	case sqlval.NVarChar, sqlval.VarBinary:
		wc.tid = typeNVarChar
		unit := 2
		if wc.kind == sqlval.VarBinary {
			wc.tid, unit = typeBigVarBin, 1
		}
		need := 0
		for v := range vals {
			n, err := byteLen(wc.kind, v)
			if err != nil {
				return wc, fmt.Errorf("column %q: %w", c.Name, err)
			}
			need = max(need, n)
		}
		declared := max(c.Size, 1) * unit
		switch {
		case c.Size == sqlval.Max || c.Size*unit > maxShortLen || need > maxShortLen:
			wc.size = plp
		default:
			wc.size = max(declared, need)
		}
	default:
		return wc, fmt.Errorf("column %q: unsupported type %d", c.Name, c.Type)
	}
	for v := range vals {
		if v == nil {
			wc.nullable = true
			break
		}
	}
	return wc, nil
}

// inferType is the sqlval type of a Go value, for columns typed Null that hold values anyway.
func inferType(v sqlval.Value) sqlval.Type {
	switch v := v.(type) {
	case int64, int, int32, int16, int8, uint8, uint16, uint32:
		return sqlval.BigInt
	case bool:
		return sqlval.Bit
	case float64, float32:
		return sqlval.Float
	case []byte:
		return sqlval.VarBinary
	case sqlval.UUID:
		return sqlval.GUID
	case time.Time:
		if _, off := v.Zone(); off != 0 {
			return sqlval.DateTimeOffset
		}
		return sqlval.DateTime2
	}
	return sqlval.NVarChar
}

// byteLen is the encoded length of a string or binary value.
func byteLen(kind sqlval.Type, v sqlval.Value) (int, error) {
	switch v := v.(type) {
	case nil:
		return 0, nil
	case string:
		if kind == sqlval.VarBinary {
			return len(v), nil
		}
		return 2 * sqlval.CharLen(v), nil
	case []byte:
		if kind == sqlval.VarBinary {
			return len(v), nil
		}
	}
	return 0, fmt.Errorf("%T is not a %s value", v, kindName(kind))
}

func kindName(k sqlval.Type) string {
	names := [...]string{"null", "int", "bigint", "tinyint", "smallint", "bit", "float", "nvarchar",
		"varbinary", "uniqueidentifier", "datetime2", "datetimeoffset", "datetime"}
	if int(k) >= 0 && int(k) < len(names) {
		return names[k]
	}
	return "type " + strconv.Itoa(int(k))
}

// typeInfo appends wc's TYPE_INFO.
func (w *tokenWriter) typeInfo(wc wireCol) {
	w.u8(wc.tid)
	switch wc.tid {
	case typeDateTime2N, typeDTOffsetN:
		w.u8(wc.scale)
	case typeNVarChar, typeBigVarBin:
		if wc.size == plp {
			w.u16(0xFFFF)
		} else {
			w.u16(uint16(wc.size))
		}
		if wc.tid == typeNVarChar {
			w.buf = append(w.buf, collation[:]...)
		}
	default:
		w.u8(byte(wc.size))
	}
}

func (w *tokenWriter) colMetadata(cols []wireCol) {
	w.u8(tokColMetadata)
	w.u16(uint16(len(cols)))
	for _, c := range cols {
		w.u32(0)                // user type
		flags := uint16(0x0008) // updateable: unknown
		if c.nullable {
			flags |= 0x0001
		}
		w.u16(flags)
		w.typeInfo(c)
		w.bVarChar(c.name)
	}
}

func (w *tokenWriter) row(cols []wireCol, vals []sqlval.Value) error {
	if len(vals) != len(cols) {
		return fmt.Errorf("row of %d values for %d columns", len(vals), len(cols))
	}
	w.u8(tokRow)
	for i, c := range cols {
		if err := w.value(c, vals[i]); err != nil {
			return fmt.Errorf("column %q: %w", c.name, err)
		}
	}
	return nil
}

func (w *tokenWriter) returnValue(ordinal int, name string, wc wireCol, v sqlval.Value) error {
	w.u8(tokReturnValue)
	w.u16(uint16(ordinal))
	w.bVarChar(name)
	w.u8(1) // output parameter
	w.u32(0)
	w.u16(0x0001)
	w.typeInfo(wc)
	if err := w.value(wc, v); err != nil {
		return fmt.Errorf("output parameter %q: %w", name, err)
	}
	return nil
}

// value appends one value in wc's wire type.
func (w *tokenWriter) value(wc wireCol, v sqlval.Value) error {
	if v == nil {
		switch {
		case wc.size == plp && (wc.tid == typeNVarChar || wc.tid == typeBigVarBin):
			w.u64(plpNull)
		case wc.tid == typeNVarChar || wc.tid == typeBigVarBin:
			w.u16(shortLenNull)
		default:
			w.u8(0)
		}
		return nil
	}
	bad := func() error { return fmt.Errorf("%T is not a %s value", v, kindName(wc.kind)) }
	switch wc.tid {
	case typeIntN:
		n, ok := toInt64(v)
		if !ok {
			return bad()
		}
		lo, hi := intRange(wc.size)
		if n < lo || n > hi {
			return fmt.Errorf("%d overflows %s", n, kindName(wc.kind))
		}
		w.u8(byte(wc.size))
		for i := 0; i < wc.size; i++ {
			w.u8(byte(uint64(n) >> (8 * i)))
		}
	case typeBitN:
		b, ok := v.(bool)
		if !ok {
			n, isInt := toInt64(v)
			if !isInt {
				return bad()
			}
			b = n != 0
		}
		w.u8(1)
		if b {
			w.u8(1)
		} else {
			w.u8(0)
		}
	case typeFltN:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case float32:
			f = float64(x)
		default:
			n, ok := toInt64(v)
			if !ok {
				return bad()
			}
			f = float64(n)
		}
		if wc.size == 4 {
			w.u8(4)
			w.u32(math.Float32bits(float32(f)))
			break
		}
		w.u8(8)
		w.u64(math.Float64bits(f))
	case typeGUID:
		var u sqlval.UUID
		switch x := v.(type) {
		case sqlval.UUID:
			u = x
		case [16]byte:
			u = x
		case []byte:
			if len(x) != 16 {
				return bad()
			}
			copy(u[:], x)
		default:
			return bad()
		}
		w.u8(16)
		w.buf = append(w.buf, guidToWire(u)...)
	case typeDateTime2N, typeDTOffsetN, typeDateTimeN:
		t, ok := v.(time.Time)
		if !ok {
			return bad()
		}
		at := len(w.buf)
		w.u8(0)
		var err error
		switch wc.tid {
		case typeDateTime2N:
			w.buf, err = appendDateTime2(w.buf, t)
		case typeDTOffsetN:
			w.buf, err = appendDateTimeOffset(w.buf, t)
		default:
			w.buf, err = appendDateTime(w.buf, t)
		}
		if err != nil {
			return err
		}
		w.buf[at] = byte(len(w.buf) - at - 1)
	case typeNVarChar, typeBigVarBin:
		var s string
		var b []byte
		switch x := v.(type) {
		case string:
			s = x
		case []byte:
			if wc.tid != typeBigVarBin {
				return bad()
			}
			b = x
		default:
			return bad()
		}
		n := len(b)
		if _, isStr := v.(string); isStr {
			n = len(s)
			if wc.tid == typeNVarChar {
				n = 2 * sqlval.CharLen(s)
			}
		}
		if wc.size == plp {
			w.u64(uint64(n))
			if n > 0 {
				w.u32(uint32(n))
			}
		} else {
			if n > wc.size {
				return fmt.Errorf("value of %d bytes exceeds the column's %d", n, wc.size)
			}
			w.u16(uint16(n))
		}
		switch {
		case b != nil:
			w.buf = append(w.buf, b...)
		case wc.tid == typeNVarChar:
			w.buf = appendUCS2(w.buf, s)
		default:
			w.buf = append(w.buf, s...)
		}
		if wc.size == plp {
			w.u32(0)
		}
	default:
		return fmt.Errorf("cannot encode type 0x%02X", wc.tid)
	}
	return nil
}

func toInt64(v sqlval.Value) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}

// intRange is the range of an INTN of size bytes (tinyint is unsigned).
func intRange(size int) (int64, int64) {
	switch size {
	case 1:
		return 0, math.MaxUint8
	case 2:
		return math.MinInt16, math.MaxInt16
	case 4:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}
