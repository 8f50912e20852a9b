package tds

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// paramBytes builds one RPC parameter "@v" with the given status, TYPE_INFO and value bytes.
func paramBytes(typeInfoAndValue ...byte) []byte {
	b := append([]byte{2}, appendUCS2(nil, "@v")...)
	return append(append(b, 0), typeInfoAndValue...)
}

func decodeOne(t *testing.T, b []byte) (sqlval.Param, error) {
	t.Helper()
	return readParam(&reader{b: b}, 1)
}

func TestDecodeParamTypes(t *testing.T) {
	money := func(v int64) []byte {
		b := binary.LittleEndian.AppendUint32(nil, uint32(uint64(v)>>32))
		return binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	coll := []byte{0, 0, 0, 0, 0}
	withColl := func(tid byte, maxLen uint16, val []byte) []byte {
		b := binary.LittleEndian.AppendUint16([]byte{tid}, maxLen)
		b = append(b, coll...)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(val)))
		return append(b, val...)
	}
	f4 := binary.LittleEndian.AppendUint32(nil, math.Float32bits(0.5))
	tests := map[string]struct {
		in   []byte
		typ  sqlval.Type
		want sqlval.Value
	}{
		"null type":        {[]byte{typeNull}, sqlval.Null, nil},
		"int1":             {[]byte{typeInt1, 250}, sqlval.TinyInt, int64(250)},
		"int2":             {[]byte{typeInt2, 0xFE, 0xFF}, sqlval.SmallInt, int64(-2)},
		"int4":             {[]byte{typeInt4, 0xFF, 0xFF, 0xFF, 0x7F}, sqlval.Int, int64(math.MaxInt32)},
		"int8":             {append([]byte{typeInt8}, binary.LittleEndian.AppendUint64(nil, 1<<40)...), sqlval.BigInt, int64(1 << 40)},
		"intn 2":           {[]byte{typeIntN, 2, 2, 0x10, 0x00}, sqlval.SmallInt, int64(16)},
		"intn null":        {[]byte{typeIntN, 4, 0}, sqlval.Int, nil},
		"bit":              {[]byte{typeBit, 1}, sqlval.Bit, true},
		"bitn":             {[]byte{typeBitN, 1, 1, 0}, sqlval.Bit, false},
		"flt4":             {append([]byte{typeFlt4}, f4...), sqlval.Float, 0.5},
		"fltn 4":           {append([]byte{typeFltN, 4, 4}, f4...), sqlval.Float, 0.5},
		"decimaln":         {[]byte{typeDecimalN, 17, 10, 2, 5, 1, 0x39, 0x30, 0, 0}, sqlval.NVarChar, "123.45"},
		"numericn neg":     {[]byte{typeNumericN, 17, 5, 4, 5, 0, 5, 0, 0, 0}, sqlval.NVarChar, "-0.0005"},
		"decimaln null":    {[]byte{typeDecimalN, 17, 10, 2, 0}, sqlval.NVarChar, nil},
		"moneyn":           {append([]byte{typeMoneyN, 8, 8}, money(-12345)...), sqlval.NVarChar, "-1.2345"},
		"money4":           {append([]byte{typeMoney4}, binary.LittleEndian.AppendUint32(nil, 10000)...), sqlval.NVarChar, "1.0000"},
		"money big":        {append([]byte{typeMoney}, money(1<<40)...), sqlval.NVarChar, "109951162.7776"},
		"datetimen":        {[]byte{typeDateTimeN, 8, 8, 0, 0, 0, 0, 150, 0, 0, 0}, sqlval.DateTime, time.Date(1900, 1, 1, 0, 0, 0, 500_000_000, time.UTC)},
		"smalldatetime":    {[]byte{typeDateTim4, 1, 0, 61, 0}, sqlval.DateTime, time.Date(1900, 1, 2, 1, 1, 0, 0, time.UTC)},
		"datetime neg":     {append([]byte{typeDateTime}, binary.LittleEndian.AppendUint64(nil, uint64(uint32(0xFFFFFFFF)))...), sqlval.DateTime, time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)},
		"daten":            {[]byte{typeDateN, 3, 0, 0, 0}, sqlval.DateTime2, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
		"timen scale 0":    {[]byte{typeTimeN, 0, 3, 0x10, 0x0E, 0}, sqlval.DateTime2, time.Date(1900, 1, 1, 1, 0, 0, 0, time.UTC)},
		"datetime2n 3":     {[]byte{typeDateTime2N, 3, 7, 0xE8, 0x03, 0, 0, 0, 0, 0}, sqlval.DateTime2, time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)},
		"dto null":         {[]byte{typeDTOffsetN, 7, 0}, sqlval.DateTimeOffset, nil},
		"guid":             {[]byte{typeGUID, 16, 16, 4, 3, 2, 1, 6, 5, 8, 7, 9, 10, 11, 12, 13, 14, 15, 16}, sqlval.GUID, sqlval.UUID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}},
		"guid null":        {[]byte{typeGUID, 16, 0}, sqlval.GUID, nil},
		"bigvarchar 1252":  {withColl(typeBigVarChar, 10, []byte{'c', 'a', 'f', 0xE9, 0x80}), sqlval.NVarChar, "café€"},
		"bigchar":          {withColl(typeBigChar, 3, []byte("ab ")), sqlval.NVarChar, "ab "},
		"nchar":            {withColl(typeNChar, 4, appendUCS2(nil, "hi")), sqlval.NVarChar, "hi"},
		"nvarchar null":    {append(append(binary.LittleEndian.AppendUint16([]byte{typeNVarChar}, 8000), coll...), 0xFF, 0xFF), sqlval.NVarChar, nil},
		"varchar legacy":   {[]byte{typeVarChar, 10, 2, 'o', 'k'}, sqlval.NVarChar, "ok"},
		"binary legacy":    {[]byte{typeBinary, 10, 1, 9}, sqlval.VarBinary, []byte{9}},
		"bigbinary":        {[]byte{typeBigBinary, 2, 0, 2, 0, 1, 2}, sqlval.VarBinary, []byte{1, 2}},
		"plp unknown len":  {[]byte{typeBigVarBin, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 0, 0, 0, 7, 2, 0, 0, 0, 8, 9, 0, 0, 0, 0}, sqlval.VarBinary, []byte{7, 8, 9}},
		"plp null":         {[]byte{typeBigVarBin, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, sqlval.VarBinary, nil},
		"varbinary empty":  {[]byte{typeBigVarBin, 10, 0, 0, 0}, sqlval.VarBinary, []byte{}},
		"datetimeoffset 0": {[]byte{typeDTOffsetN, 0, 8, 0, 0, 0, 0, 0, 0, 0x3C, 0}, sqlval.DateTimeOffset, time.Date(1, 1, 1, 1, 0, 0, 0, time.FixedZone("", 3600))},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := decodeOne(t, paramBytes(tc.in...))
			if err != nil {
				t.Fatalf("readParam() = %v", err)
			}
			if p.Name != "@v" || p.Type.Type != tc.typ || !valueEqual(p.Value, tc.want) {
				t.Errorf("got %q %s %#v, want %s %#v", p.Name, kindName(p.Type.Type), p.Value, kindName(tc.typ), tc.want)
			}
		})
	}
}

func TestDecodeParamErrors(t *testing.T) {
	tests := map[string][]byte{
		"xml":               {0xF1, 0},
		"tvp":               {0xF3},
		"intn size 3":       {typeIntN, 3, 3, 1, 2, 3},
		"intn value size":   {typeIntN, 4, 8, 1, 2, 3, 4, 5, 6, 7, 8},
		"truncated":         {typeInt8, 1, 2},
		"scale 9":           {typeDateTime2N, 9, 0},
		"bad time of day":   {typeTimeN, 0, 3, 0xFF, 0xFF, 0xFF},
		"bad offset":        {typeDTOffsetN, 0, 8, 0, 0, 0, 0, 0, 0, 0xFF, 0x7F},
		"plp too long":      {typeBigVarBin, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F},
		"plp chunk short":   {typeBigVarBin, 0xFF, 0xFF, 2, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x0F, 1},
		"plp total differs": {typeBigVarBin, 0xFF, 0xFF, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0},
		"odd nvarchar":      {typeNVarChar, 10, 0, 0, 0, 0, 0, 0, 3, 0, 1, 2, 3},
		"decimal 20 bytes":  append([]byte{typeDecimalN, 17, 38, 0, 20}, make([]byte, 20)...),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := decodeOne(t, paramBytes(in...)); err == nil {
				t.Error("readParam() succeeded")
			}
		})
	}
	_, err := decodeOne(t, paramBytes(0xF1, 0))
	var ut *UnsupportedTypeError
	if !errors.As(err, &ut) || ut.TypeID != 0xF1 {
		t.Errorf("xml error = %v, want UnsupportedTypeError", err)
	}
}

func TestTimeEncodingRoundTrip(t *testing.T) {
	times := []time.Time{
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999900, time.UTC),
		time.Date(2024, 2, 29, 12, 0, 0, 100, time.UTC),
		testTime,
	}
	for _, tm := range times {
		b, err := appendDateTime2(nil, tm)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeDateTime2(b, 7)
		if err != nil || !got.Equal(tm) {
			t.Errorf("datetime2 %v -> %v, %v", tm, got, err)
		}
		z := tm.In(time.FixedZone("", -8*3600))
		if tm.Year() == 1 {
			z = tm.In(time.FixedZone("", 8*3600))
		}
		if tm.Year() == 9999 {
			z = tm.In(time.FixedZone("", -8*3600))
		}
		b, err = appendDateTimeOffset(nil, z)
		if err != nil {
			t.Fatal(err)
		}
		got, err = decodeDateTimeOffset(b, 7)
		_, off := got.Zone()
		if err != nil || !got.Equal(z) || off != -8*3600 && off != 8*3600 {
			t.Errorf("datetimeoffset %v -> %v, %v", z, got, err)
		}
	}
	// datetime rounds to 1/300 s and carries into the next day.
	b, err := appendDateTime(nil, time.Date(2000, 1, 1, 23, 59, 59, 999_000_000, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := decodeDateTime(b)
	if want := time.Date(2000, 1, 2, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("datetime rounding = %v, want %v", got, want)
	}
	if _, err := appendDateTime(nil, time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("datetime accepted 1700")
	}
	if _, err := appendDateTimeOffset(nil, time.Date(2000, 1, 1, 0, 0, 0, 0, time.FixedZone("", 30))); err == nil {
		t.Error("datetimeoffset accepted a 30 s offset")
	}
}

func TestGUIDOrder(t *testing.T) {
	u := sqlval.UUID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	w := guidToWire(u)
	want := []byte{4, 3, 2, 1, 6, 5, 8, 7, 9, 10, 11, 12, 13, 14, 15, 16}
	if string(w) != string(want) {
		t.Errorf("guidToWire() = %v, want %v", w, want)
	}
	if guidFromWire(w) != u {
		t.Error("guidFromWire(guidToWire(u)) != u")
	}
}

func TestResolveColumn(t *testing.T) {
	vals := func(vs ...sqlval.Value) func(func(sqlval.Value) bool) {
		return func(yield func(sqlval.Value) bool) {
			for _, v := range vs {
				if !yield(v) {
					return
				}
			}
		}
	}
	tests := map[string]struct {
		col      sqlval.Column
		vals     []sqlval.Value
		tid      byte
		size     int
		nullable bool
	}{
		"nvarchar grows":      {sqlval.Column{Type: sqlval.NVarChar, Size: 2}, []sqlval.Value{"abcd"}, typeNVarChar, 8, false},
		"nvarchar declared":   {sqlval.Column{Type: sqlval.NVarChar, Size: 50}, []sqlval.Value{"a"}, typeNVarChar, 100, false},
		"nvarchar over 4000":  {sqlval.Column{Type: sqlval.NVarChar, Size: 4001}, []sqlval.Value{"a"}, typeNVarChar, plp, false},
		"nvarchar long value": {sqlval.Column{Type: sqlval.NVarChar, Size: 10}, []sqlval.Value{string(make([]byte, 4001))}, typeNVarChar, plp, false},
		"nvarchar max":        {sqlval.Column{Type: sqlval.NVarChar, Size: sqlval.Max}, nil, typeNVarChar, plp, false},
		"varbinary 8000":      {sqlval.Column{Type: sqlval.VarBinary, Size: 8000}, nil, typeBigVarBin, 8000, false},
		"varbinary 8001":      {sqlval.Column{Type: sqlval.VarBinary, Size: 10}, []sqlval.Value{make([]byte, 8001)}, typeBigVarBin, plp, false},
		"null all nil":        {sqlval.Column{Type: sqlval.Null}, []sqlval.Value{nil}, typeIntN, 4, true},
		"null with string":    {sqlval.Column{Type: sqlval.Null}, []sqlval.Value{nil, "x"}, typeNVarChar, 2, true},
		"int with nil":        {sqlval.Column{Type: sqlval.Int}, []sqlval.Value{int64(1), nil}, typeIntN, 4, true},
		"tinyint":             {sqlval.Column{Type: sqlval.TinyInt}, nil, typeIntN, 1, false},
		"datetime":            {sqlval.Column{Type: sqlval.DateTime, Nullable: true}, nil, typeDateTimeN, 8, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			wc, err := resolveColumn(tc.col, vals(tc.vals...))
			if err != nil {
				t.Fatal(err)
			}
			if wc.tid != tc.tid || wc.size != tc.size || wc.nullable != tc.nullable {
				t.Errorf("got tid %#x size %d nullable %v, want %#x %d %v", wc.tid, wc.size, wc.nullable, tc.tid, tc.size, tc.nullable)
			}
		})
	}
	if _, err := resolveColumn(sqlval.Column{Name: "c", Type: sqlval.NVarChar}, vals(42)); err == nil {
		t.Error("resolveColumn accepted an int in an nvarchar column")
	}
}

func TestValueEncodingErrors(t *testing.T) {
	tests := map[string]struct {
		wc wireCol
		v  sqlval.Value
	}{
		"int overflow":     {wireCol{tid: typeIntN, size: 4, kind: sqlval.Int}, int64(1) << 33},
		"tinyint negative": {wireCol{tid: typeIntN, size: 1, kind: sqlval.TinyInt}, int64(-1)},
		"string in int":    {wireCol{tid: typeIntN, size: 8, kind: sqlval.BigInt}, "1"},
		"short guid":       {wireCol{tid: typeGUID, size: 16, kind: sqlval.GUID}, []byte{1}},
		"int in time":      {wireCol{tid: typeDateTime2N, kind: sqlval.DateTime2}, int64(1)},
		"too long":         {wireCol{tid: typeNVarChar, size: 2, kind: sqlval.NVarChar}, "ab"},
		"bytes in string":  {wireCol{tid: typeNVarChar, size: 20, kind: sqlval.NVarChar}, []byte("ab")},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var w tokenWriter
			if err := w.value(tc.wc, tc.v); err == nil {
				t.Error("value() succeeded")
			}
		})
	}
}

func TestParseRPCSeed(t *testing.T) {
	calls, err := parseRPC(fuzzRPCSeeds()[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || calls[0].Name != "jobs.sp_add_job" || calls[1].Name != "sp_executesql" {
		t.Fatalf("calls = %+v", calls)
	}
	if calls[0].Err != nil || len(calls[0].Params) != 5 || calls[1].Err != nil || len(calls[1].Params) != 1 {
		t.Fatalf("params = %+v", calls)
	}
	p := calls[0].Params
	if p[1].Value != "h" || p[4].Value != "123.45" || p[1].Type.Size != sqlval.Max {
		t.Errorf("values = %+v", p)
	}
	if _, err := parseRPC([]byte{1, 2}); err == nil {
		t.Error("parseRPC accepted a truncated ALL_HEADERS")
	}
}

// TestEncodeReal checks that a float column of Size 4 travels as FLTN(4) (real) and a plain float
// column as FLTN(8).
func TestEncodeReal(t *testing.T) {
	for _, tc := range []struct {
		size int
		want []byte
	}{
		{4, append([]byte{4}, binary.LittleEndian.AppendUint32(nil, math.Float32bits(1.5))...)},
		{0, append([]byte{8}, binary.LittleEndian.AppendUint64(nil, math.Float64bits(1.5))...)},
	} {
		c := sqlval.Column{Name: "r", Type: sqlval.Float, Size: tc.size, Nullable: true}
		wc, err := resolveColumn(c, func(yield func(sqlval.Value) bool) { yield(1.5) })
		if err != nil {
			t.Fatal(err)
		}
		var w tokenWriter
		w.typeInfo(wc)
		if got := w.buf; len(got) != 2 || got[0] != typeFltN || got[1] != tc.want[0] {
			t.Errorf("size %d: TYPE_INFO = % x, want %02x %02x", tc.size, got, typeFltN, tc.want[0])
		}
		w.buf = nil
		if err := w.value(wc, 1.5); err != nil {
			t.Fatal(err)
		}
		if string(w.buf) != string(tc.want) {
			t.Errorf("size %d: value = % x, want % x", tc.size, w.buf, tc.want)
		}
	}
}
