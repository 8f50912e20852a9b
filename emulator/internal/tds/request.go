package tds

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// Well-known RPC ProcIDs and their procedure names.
var procNames = map[uint16]string{
	1:  "sp_cursor",
	2:  "sp_cursoropen",
	3:  "sp_cursorprepare",
	4:  "sp_cursorexecute",
	5:  "sp_cursorprepexec",
	6:  "sp_cursorunprepare",
	7:  "sp_cursorfetch",
	8:  "sp_cursoroption",
	9:  "sp_cursorclose",
	10: "sp_executesql",
	11: "sp_prepare",
	12: "sp_execute",
	13: "sp_prepexec",
	14: "sp_prepexecrpc",
	15: "sp_unprepare",
}

// Transaction manager request types.
const (
	tmBeginXact    = 5
	tmPromoteXact  = 6
	tmCommitXact   = 7
	tmRollbackXact = 8
	tmSaveXact     = 9
)

// rpcCall is one procedure call of an RPC request.
type rpcCall struct {
	Name   string
	Params []sqlval.Param
	// Err is set when the call's parameters could not be decoded; the rest of the request is lost.
	Err error
}

// tmRequest is a transaction manager request.
type tmRequest struct {
	Type      uint16
	Isolation byte
	Name      string
	Flags     byte
}

// skipAllHeaders skips ALL_HEADERS and returns the transaction descriptor it carries (0 if none).
func skipAllHeaders(r *reader) (uint64, error) {
	start := r.p
	total := int(r.u32())
	if r.err != nil {
		return 0, r.err
	}
	if total < 4 || total-4 > r.left() {
		return 0, fmt.Errorf("tds: ALL_HEADERS length %d out of range", total)
	}
	end := start + total
	var tran uint64
	for r.p < end {
		l := int(r.u32())
		typ := r.u16()
		if r.err != nil || l < 6 || r.p-6+l > end {
			return 0, errors.New("tds: malformed ALL_HEADERS entry")
		}
		data := r.bytes(l - 6)
		if typ == 2 && len(data) >= 8 {
			tran = binary.LittleEndian.Uint64(data)
		}
	}
	return tran, r.err
}

// parseBatch returns the text of a SQLBatch message.
func parseBatch(b []byte) (string, error) {
	r := &reader{b: b}
	if _, err := skipAllHeaders(r); err != nil {
		return "", err
	}
	return ucs2String(r.b[r.p:]), nil
}

// parseRPC decodes an RPC message: one or more calls separated by a batch flag byte (0x80 or 0xFF).
// A call whose parameters cannot be decoded carries Err and ends the list.
func parseRPC(b []byte) ([]rpcCall, error) {
	r := &reader{b: b}
	if _, err := skipAllHeaders(r); err != nil {
		return nil, err
	}
	var calls []rpcCall
	for {
		var c rpcCall
		nl := r.u16()
		if nl == 0xFFFF {
			id := r.u16()
			name, ok := procNames[id]
			if !ok {
				name = fmt.Sprintf("procid %d", id)
			}
			c.Name = name
		} else {
			c.Name = ucs2String(r.bytes(2 * int(nl)))
		}
		r.u16() // option flags
		if r.err != nil {
			if len(calls) == 0 {
				return nil, fmt.Errorf("tds: rpc header: %w", r.err)
			}
			return calls, nil
		}
		for r.left() > 0 {
			if f := r.b[r.p]; f == 0x80 || f == 0xFF {
				break
			}
			p, err := readParam(r, len(c.Params)+1)
			if err != nil {
				c.Err = err
				return append(calls, c), nil
			}
			c.Params = append(c.Params, p)
		}
		calls = append(calls, c)
		if r.left() == 0 {
			return calls, nil
		}
		r.u8() // batch separator
		if r.left() == 0 {
			return calls, nil
		}
	}
}

// ParamError reports an RPC parameter that could not be decoded.
type ParamError struct {
	Ordinal int
	Name    string
	Err     error
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("rpc parameter %d (%q): %v", e.Ordinal, e.Name, e.Err)
}

func (e *ParamError) Unwrap() error { return e.Err }

// readParam reads one RPC parameter: name, status flags, TYPE_INFO and value.
func readParam(r *reader, ordinal int) (sqlval.Param, error) {
	var p sqlval.Param
	p.Name = r.bVarChar()
	status := r.u8()
	p.Output = status&0x01 != 0
	if r.err != nil {
		return p, &ParamError{ordinal, p.Name, r.err}
	}
	if status&0x08 != 0 {
		return p, &ParamError{ordinal, p.Name, errors.New("encrypted parameters are not supported")}
	}
	col, v, err := readTypedValue(r)
	if err == nil {
		err = r.err
	}
	if err != nil {
		return p, &ParamError{ordinal, p.Name, err}
	}
	p.Type, p.Value = col, v
	return p, nil
}

// readTypedValue reads a TYPE_INFO followed by one value of that type.
func readTypedValue(r *reader) (sqlval.Column, sqlval.Value, error) {
	col := sqlval.Column{Nullable: true}
	tid := r.u8()
	if r.err != nil {
		return col, nil, r.err
	}
	switch tid {
	case typeNull:
		col.Type = sqlval.Null
		return col, nil, nil

	// Fixed-length types: no TYPE_INFO beyond the id.
	case typeInt1, typeInt2, typeInt4, typeInt8, typeBit, typeFlt4, typeFlt8,
		typeMoney, typeMoney4, typeDateTime, typeDateTim4:
		n := map[byte]int{typeInt1: 1, typeInt2: 2, typeInt4: 4, typeInt8: 8, typeBit: 1, typeFlt4: 4,
			typeFlt8: 8, typeMoney: 8, typeMoney4: 4, typeDateTime: 8, typeDateTim4: 4}[tid]
		col.Nullable = false
		b := r.bytes(n)
		if r.err != nil {
			return col, nil, r.err
		}
		return decodeFixed(col, tid, b)

	case typeIntN, typeBitN, typeFltN, typeMoneyN, typeDateTimeN, typeGUID:
		size := int(r.u8())
		valid := map[byte][]int{typeIntN: {1, 2, 4, 8}, typeBitN: {1}, typeFltN: {4, 8},
			typeMoneyN: {4, 8}, typeDateTimeN: {4, 8}, typeGUID: {16}}[tid]
		if r.err == nil && !contains(valid, size) {
			return col, nil, fmt.Errorf("tds: type 0x%02X with size %d", tid, size)
		}
		b, isNull := readByteLen(r)
		if r.err != nil {
			return col, nil, r.err
		}
		if isNull {
			col.Type = nullableType(tid, size)
			return col, nil, nil
		}
		if len(b) != size {
			return col, nil, fmt.Errorf("tds: value of %d bytes for type 0x%02X size %d", len(b), tid, size)
		}
		if tid == typeIntN {
			tid = map[int]byte{1: typeInt1, 2: typeInt2, 4: typeInt4, 8: typeInt8}[size]
		}
		return decodeFixed(col, tid, b)

	case typeDecimalN, typeNumericN, typeDecimal, typeNumeric:
		r.u8() // size
		prec, scale := r.u8(), r.u8()
		b, isNull := readByteLen(r)
		col.Type = sqlval.NVarChar
		col.Size = int(prec) + 2
		if r.err != nil || isNull {
			return col, nil, r.err
		}
		s, err := decimalString(b, scale)
		return col, s, err

	case typeDateN:
		col.Type = sqlval.DateTime2
		b, isNull := readByteLen(r)
		if r.err != nil || isNull {
			return col, nil, r.err
		}
		if len(b) != 3 {
			return col, nil, fmt.Errorf("tds: date value of %d bytes", len(b))
		}
		return col, decodeDate(b), nil

	case typeTimeN, typeDateTime2N, typeDTOffsetN:
		scale := r.u8()
		if scale > 7 {
			return col, nil, fmt.Errorf("tds: invalid scale %d", scale)
		}
		b, isNull := readByteLen(r)
		col.Type = sqlval.DateTime2
		if tid == typeDTOffsetN {
			col.Type = sqlval.DateTimeOffset
		}
		if r.err != nil || isNull {
			return col, nil, r.err
		}
		switch tid {
		case typeTimeN:
			if len(b) != timeLen(scale) {
				return col, nil, fmt.Errorf("tds: time value of %d bytes", len(b))
			}
			d, err := decodeTime(b, scale)
			return col, epoch1900.Add(d), err
		case typeDateTime2N:
			t, err := decodeDateTime2(b, scale)
			return col, t, err
		default:
			t, err := decodeDateTimeOffset(b, scale)
			return col, t, err
		}

	case typeVarChar, typeChar, typeVarBinary, typeBinary:
		r.u8() // max length
		b, isNull := readByteLen(r)
		col.Type, col.Size = sqlval.VarBinary, 255
		if tid == typeVarChar || tid == typeChar {
			col.Type = sqlval.NVarChar
		}
		if r.err != nil || isNull {
			return col, nil, r.err
		}
		if col.Type == sqlval.NVarChar {
			return col, cp1252String(b), nil
		}
		return col, append([]byte{}, b...), nil

	case typeNVarChar, typeNChar, typeBigVarChar, typeBigChar, typeBigVarBin, typeBigBinary:
		maxLen := r.u16()
		if tid != typeBigVarBin && tid != typeBigBinary {
			r.bytes(5) // collation
		}
		var b []byte
		var isNull bool
		if maxLen == 0xFFFF {
			b, isNull = readPLP(r)
		} else {
			n := r.u16()
			if n == shortLenNull {
				isNull = true
			} else {
				b = r.bytes(int(n))
			}
		}
		if r.err != nil {
			return col, nil, r.err
		}
		switch tid {
		case typeNVarChar, typeNChar:
			col.Type, col.Size = sqlval.NVarChar, int(maxLen)/2
		case typeBigVarChar, typeBigChar:
			col.Type, col.Size = sqlval.NVarChar, int(maxLen)
		default:
			col.Type, col.Size = sqlval.VarBinary, int(maxLen)
		}
		if maxLen == 0xFFFF {
			col.Size = sqlval.Max
		}
		if isNull {
			return col, nil, nil
		}
		switch tid {
		case typeNVarChar, typeNChar:
			if len(b)%2 != 0 {
				return col, nil, errors.New("tds: odd byte length for a UTF-16 string")
			}
			return col, ucs2String(b), nil
		case typeBigVarChar, typeBigChar:
			return col, cp1252String(b), nil
		}
		if b == nil {
			b = []byte{}
		}
		return col, append([]byte{}, b...), nil
	}
	return col, nil, &UnsupportedTypeError{TypeID: tid}
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// nullableType is the sqlval type of a NULL value of a nullable fixed-size type.
func nullableType(tid byte, size int) sqlval.Type {
	switch tid {
	case typeIntN:
		return map[int]sqlval.Type{1: sqlval.TinyInt, 2: sqlval.SmallInt, 4: sqlval.Int, 8: sqlval.BigInt}[size]
	case typeBitN:
		return sqlval.Bit
	case typeFltN:
		return sqlval.Float
	case typeMoneyN:
		return sqlval.NVarChar
	case typeDateTimeN:
		return sqlval.DateTime
	}
	return sqlval.GUID
}

// decodeFixed decodes a non-NULL value of a fixed-size type.
func decodeFixed(col sqlval.Column, tid byte, b []byte) (sqlval.Column, sqlval.Value, error) {
	switch tid {
	case typeInt1:
		col.Type = sqlval.TinyInt
		return col, int64(b[0]), nil
	case typeInt2:
		col.Type = sqlval.SmallInt
		return col, int64(int16(binary.LittleEndian.Uint16(b))), nil
	case typeInt4:
		col.Type = sqlval.Int
		return col, int64(int32(binary.LittleEndian.Uint32(b))), nil
	case typeInt8:
		col.Type = sqlval.BigInt
		return col, int64(binary.LittleEndian.Uint64(b)), nil
	case typeBit, typeBitN:
		col.Type = sqlval.Bit
		return col, b[0] != 0, nil
	case typeFlt4, typeFlt8, typeFltN:
		col.Type = sqlval.Float
		if len(b) == 4 {
			return col, float64(math.Float32frombits(binary.LittleEndian.Uint32(b))), nil
		}
		return col, math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
	case typeMoney, typeMoney4, typeMoneyN:
		col.Type, col.Size = sqlval.NVarChar, 30
		s, err := moneyString(b)
		return col, s, err
	case typeDateTime, typeDateTim4, typeDateTimeN:
		col.Type = sqlval.DateTime
		t, err := decodeDateTime(b)
		return col, t, err
	case typeGUID:
		col.Type = sqlval.GUID
		return col, guidFromWire(b), nil
	}
	return col, nil, &UnsupportedTypeError{TypeID: tid}
}

// readByteLen reads a byte-length-prefixed value; length 0 is NULL.
func readByteLen(r *reader) ([]byte, bool) {
	n := int(r.u8())
	if n == 0 {
		return nil, true
	}
	return r.bytes(n), false
}

// readPLP reads a partially length-prefixed value: a total length (or the NULL/unknown markers)
// then chunks until a zero-length one. Lengths are checked against the message, so a hostile total
// cannot make it allocate more than the message holds.
func readPLP(r *reader) ([]byte, bool) {
	total := r.u64()
	if r.err != nil {
		return nil, false
	}
	if total == plpNull {
		return nil, true
	}
	if total != plpUnknownLen && total > uint64(r.left()) {
		r.err = fmt.Errorf("tds: PLP length %d exceeds the message", total)
		return nil, false
	}
	out := []byte{}
	for {
		n := r.u32()
		if r.err != nil {
			return nil, false
		}
		if n == 0 {
			break
		}
		out = append(out, r.bytes(int(n))...)
		if r.err != nil {
			return nil, false
		}
	}
	if total != plpUnknownLen && uint64(len(out)) != total {
		r.err = fmt.Errorf("tds: PLP chunks hold %d bytes, header says %d", len(out), total)
		return nil, false
	}
	return out, false
}

// parseTM decodes a transaction manager request.
func parseTM(b []byte) (tmRequest, error) {
	r := &reader{b: b}
	var t tmRequest
	if _, err := skipAllHeaders(r); err != nil {
		return t, err
	}
	t.Type = r.u16()
	switch t.Type {
	case tmBeginXact:
		t.Isolation = r.u8()
		t.Name = r.bVarChar()
	case tmCommitXact, tmRollbackXact:
		t.Name = r.bVarChar()
		if r.left() > 0 {
			t.Flags = r.u8()
		}
		if t.Flags&1 != 0 {
			t.Isolation = r.u8()
			r.bVarChar()
		}
	}
	if r.err != nil {
		return t, fmt.Errorf("tds: transaction manager request: %w", r.err)
	}
	return t, nil
}
