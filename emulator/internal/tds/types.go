package tds

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// TDS data type ids.
const (
	typeNull        = 0x1F
	typeImage       = 0x22
	typeText        = 0x23
	typeGUID        = 0x24
	typeVarBinary   = 0x25
	typeIntN        = 0x26
	typeVarChar     = 0x27
	typeDateN       = 0x28
	typeTimeN       = 0x29
	typeDateTime2N  = 0x2A
	typeDTOffsetN   = 0x2B
	typeBinary      = 0x2D
	typeChar        = 0x2F
	typeInt1        = 0x30
	typeBit         = 0x32
	typeInt2        = 0x34
	typeDecimal     = 0x37
	typeInt4        = 0x38
	typeDateTim4    = 0x3A
	typeFlt4        = 0x3B
	typeMoney       = 0x3C
	typeDateTime    = 0x3D
	typeFlt8        = 0x3E
	typeNumeric     = 0x3F
	typeBitN        = 0x68
	typeDecimalN    = 0x6A
	typeNumericN    = 0x6C
	typeFltN        = 0x6D
	typeMoneyN      = 0x6E
	typeDateTimeN   = 0x6F
	typeMoney4      = 0x7A
	typeInt8        = 0x7F
	typeBigVarBin   = 0xA5
	typeBigVarChar  = 0xA7
	typeBigBinary   = 0xAD
	typeBigChar     = 0xAF
	typeNVarChar    = 0xE7
	typeNChar       = 0xEF
	plpNull         = math.MaxUint64
	plpUnknownLen   = math.MaxUint64 - 1
	maxShortLen     = 8000
	shortLenNull    = 0xFFFF
	maxNVarCharSize = 4000
)

// collation is Latin1_General_CI_AS (LCID 0x0409), sent with every character column.
var collation = [5]byte{0x09, 0x04, 0xD0, 0x00, 0x34}

// UnsupportedTypeError reports an RPC parameter of a data type the server does not decode.
type UnsupportedTypeError struct {
	TypeID byte
}

func (e *UnsupportedTypeError) Error() string {
	return fmt.Sprintf("tds: data type 0x%02X is unknown", e.TypeID)
}

var (
	epoch0001 = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	epoch1900 = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
)

// WallClock returns t's local date and time as a UTC time, dropping the offset. It is how SQL Server
// converts a datetimeoffset to datetime2: 10:00 +02:00 becomes 10:00, not 08:00.
func WallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// guidFromWire converts SQL Server's mixed-endian uniqueidentifier bytes to canonical order; the
// conversion is its own inverse.
func guidFromWire(b []byte) sqlval.UUID {
	var u sqlval.UUID
	copy(u[:], b)
	u[0], u[1], u[2], u[3] = u[3], u[2], u[1], u[0]
	u[4], u[5] = u[5], u[4]
	u[6], u[7] = u[7], u[6]
	return u
}

func guidToWire(u sqlval.UUID) []byte {
	w := guidFromWire(u[:])
	return w[:]
}

// timeLen is the byte length of a time(scale) value.
func timeLen(scale byte) int {
	switch {
	case scale <= 2:
		return 3
	case scale <= 4:
		return 4
	default:
		return 5
	}
}

var pow10 = [8]uint64{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000}

func leUint(b []byte) uint64 {
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// decodeTime decodes time(scale) bytes into a duration since midnight.
func decodeTime(b []byte, scale byte) (time.Duration, error) {
	if scale > 7 {
		return 0, fmt.Errorf("tds: invalid time scale %d", scale)
	}
	units := leUint(b)
	if units >= 86400*pow10[scale] {
		return 0, fmt.Errorf("tds: time of day out of range")
	}
	return time.Duration(units * pow10[7-scale] * 100), nil
}

func decodeDate(b []byte) time.Time {
	return epoch0001.AddDate(0, 0, int(leUint(b)))
}

// decodeDateTime2 decodes time(scale)+date bytes as a UTC time.
func decodeDateTime2(b []byte, scale byte) (time.Time, error) {
	tl := timeLen(scale)
	if len(b) != tl+3 {
		return time.Time{}, fmt.Errorf("tds: datetime2 value of %d bytes", len(b))
	}
	d, err := decodeTime(b[:tl], scale)
	if err != nil {
		return time.Time{}, err
	}
	return decodeDate(b[tl:]).Add(d), nil
}

// decodeDateTimeOffset decodes a datetimeoffset: UTC time and date, then the offset in minutes.
func decodeDateTimeOffset(b []byte, scale byte) (time.Time, error) {
	tl := timeLen(scale)
	if len(b) != tl+5 {
		return time.Time{}, fmt.Errorf("tds: datetimeoffset value of %d bytes", len(b))
	}
	t, err := decodeDateTime2(b[:tl+3], scale)
	if err != nil {
		return time.Time{}, err
	}
	off := int(int16(binary.LittleEndian.Uint16(b[tl+3:])))
	if off < -14*60 || off > 14*60 {
		return time.Time{}, fmt.Errorf("tds: datetimeoffset offset %d out of range", off)
	}
	return t.In(time.FixedZone("", off*60)), nil
}

// decodeDateTime decodes datetime (8 bytes) or smalldatetime (4 bytes).
func decodeDateTime(b []byte) (time.Time, error) {
	switch len(b) {
	case 8:
		days := int32(binary.LittleEndian.Uint32(b))
		ticks := binary.LittleEndian.Uint32(b[4:])
		if ticks >= 300*86400 {
			return time.Time{}, fmt.Errorf("tds: datetime time of day out of range")
		}
		ns := (int64(ticks)*10_000_000_000/3 + 5) / 1000
		return epoch1900.AddDate(0, 0, int(days)).Add(time.Duration(ns)), nil
	case 4:
		days := binary.LittleEndian.Uint16(b)
		mins := binary.LittleEndian.Uint16(b[2:])
		if mins >= 24*60 {
			return time.Time{}, fmt.Errorf("tds: smalldatetime time of day out of range")
		}
		return epoch1900.AddDate(0, 0, int(days)).Add(time.Duration(mins) * time.Minute), nil
	}
	return time.Time{}, fmt.Errorf("tds: datetime value of %d bytes", len(b))
}

// dayAndTicks splits t's wall clock into days since 0001-01-01 and 100 ns units since midnight.
func dayAndTicks(t time.Time) (int64, uint64) {
	w := WallClock(t)
	midnight := time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, time.UTC)
	days := midnight.Unix()/86400 + 719162
	return days, uint64(w.Sub(midnight) / 100)
}

// appendDateTime2 appends t's wall clock as datetime2(7).
func appendDateTime2(dst []byte, t time.Time) ([]byte, error) {
	days, ticks := dayAndTicks(t)
	if days < 0 || days > 3652058 {
		return dst, fmt.Errorf("tds: date %s out of range", t.Format(time.DateOnly))
	}
	dst = append(dst, byte(ticks), byte(ticks>>8), byte(ticks>>16), byte(ticks>>24), byte(ticks>>32))
	return append(dst, byte(days), byte(days>>8), byte(days>>16)), nil
}

// appendDateTimeOffset appends t as datetimeoffset(7): UTC time and date, then t's offset.
func appendDateTimeOffset(dst []byte, t time.Time) ([]byte, error) {
	_, off := t.Zone()
	if off%60 != 0 || off < -14*3600 || off > 14*3600 {
		return dst, fmt.Errorf("tds: offset %ds is not representable", off)
	}
	dst, err := appendDateTime2(dst, t.UTC())
	if err != nil {
		return dst, err
	}
	return binary.LittleEndian.AppendUint16(dst, uint16(int16(off/60))), nil
}

// appendDateTime appends t's wall clock as datetime (1/300 s ticks since 1900-01-01).
func appendDateTime(dst []byte, t time.Time) ([]byte, error) {
	w := WallClock(t)
	midnight := time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, time.UTC)
	days := (midnight.Unix() - epoch1900.Unix()) / 86400
	ticks := (int64(w.Sub(midnight))*3 + 5_000_000) / 10_000_000
	if ticks >= 300*86400 {
		ticks -= 300 * 86400
		days++
	}
	if w.Year() < 1753 || days > 2958463 {
		return dst, fmt.Errorf("tds: date %s out of datetime range", w.Format(time.DateOnly))
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(int32(days)))
	return binary.LittleEndian.AppendUint32(dst, uint32(ticks)), nil
}

// decimalString renders a DECIMAL/NUMERIC value: sign byte (1 = positive) then a little-endian
// magnitude, scaled by 10^-scale.
func decimalString(b []byte, scale byte) (string, error) {
	if len(b) < 2 || len(b) > 17 {
		return "", fmt.Errorf("tds: decimal value of %d bytes", len(b))
	}
	if scale > 38 {
		return "", fmt.Errorf("tds: invalid decimal scale %d", scale)
	}
	mag := make([]byte, len(b)-1)
	for i := range mag {
		mag[i] = b[len(b)-1-i]
	}
	s := new(big.Int).SetBytes(mag).String()
	return scaledString(b[0] == 0, s, int(scale)), nil
}

// scaledString places a decimal point scale digits from the right of the digits ds.
func scaledString(neg bool, ds string, scale int) string {
	if scale > 0 {
		for len(ds) <= scale {
			ds = "0" + ds
		}
		ds = ds[:len(ds)-scale] + "." + ds[len(ds)-scale:]
	}
	if neg && ds != "0" {
		ds = "-" + ds
	}
	return ds
}

// moneyString renders money (8 bytes: high then low 32 bits) or smallmoney (4 bytes) with 4 decimals.
func moneyString(b []byte) (string, error) {
	var v int64
	switch len(b) {
	case 8:
		v = int64(uint64(binary.LittleEndian.Uint32(b))<<32 | uint64(binary.LittleEndian.Uint32(b[4:])))
	case 4:
		v = int64(int32(binary.LittleEndian.Uint32(b)))
	default:
		return "", fmt.Errorf("tds: money value of %d bytes", len(b))
	}
	neg := v < 0
	mag := new(big.Int).Abs(big.NewInt(v))
	return scaledString(neg, mag.String(), 4), nil
}
