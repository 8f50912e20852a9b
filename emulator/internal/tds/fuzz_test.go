package tds

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

const fuzzMaxMessage = 1 << 20

func FuzzReadMessage(f *testing.F) {
	f.Add(framePackets(pktPrelogin, buildPrelogin(0), 4096))
	f.Add(framePackets(pktSQLBatch, make([]byte, 1000), 512))
	f.Add([]byte{pktAttn, 1, 0, 8, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := readMessage(bytes.NewReader(data), 4096, fuzzMaxMessage)
		if err == nil && len(m.data) > fuzzMaxMessage {
			t.Fatalf("message of %d bytes beyond the limit", len(m.data))
		}
		if err == nil && len(m.data) > len(data) {
			t.Fatalf("message of %d bytes from %d input bytes", len(m.data), len(data))
		}
		if err == nil {
			// Re-framing the payload must read back the same message.
			again, err := readMessage(bytes.NewReader(framePackets(m.typ, m.data, 512)), 512, fuzzMaxMessage)
			if err != nil || !bytes.Equal(again.data, m.data) {
				t.Fatalf("re-framed message differs: %v", err)
			}
		}
	})
}

func fuzzRPCSeeds() [][]byte {
	b := rpcByName(allHeaders(0), "jobs.sp_add_job")
	b = intParam(b, "@a", 1)
	b = append(b, paramBytes(typeNVarChar, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 2, 0, 0, 0, 'h', 0, 0, 0, 0, 0)...)
	b = append(b, paramBytes(typeGUID, 16, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)...)
	b = append(b, paramBytes(typeDTOffsetN, 7, 10, 0, 0, 0, 0, 0, 1, 2, 3, 0x3C, 0)...)
	b = append(b, paramBytes(typeDecimalN, 17, 10, 2, 5, 1, 0x39, 0x30, 0, 0)...)
	b = append(b, 0x80)
	b = binary.LittleEndian.AppendUint16(b, 0xFFFF)
	b = binary.LittleEndian.AppendUint16(b, 10)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = append(b, paramBytes(typeNull)...)
	return [][]byte{b, rpcByName(allHeaders(7), "count"), allHeaders(0)}
}

func FuzzParseRPC(f *testing.F) {
	for _, s := range fuzzRPCSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		calls, err := parseRPC(data)
		if err != nil {
			return
		}
		total := 0
		for _, c := range calls {
			for _, p := range c.Params {
				switch v := p.Value.(type) {
				case string:
					total += len(v)
				case []byte:
					total += len(v)
				}
			}
		}
		// UTF-16 to UTF-8 at most grows 3/2; Windows-1252 to UTF-8 at most 3x.
		if total > 3*len(data) {
			t.Fatalf("decoded %d bytes of values from %d input bytes", total, len(data))
		}
		_, _ = parseBatch(data)
		_, _ = parseTM(data)
	})
}

func FuzzParseLogin(f *testing.F) {
	f.Add(buildLogin7("jobuser", "pw", "jobdb", 4096))
	f.Add(buildLogin7("", "", "", 0))
	f.Add(make([]byte, login7FixedLen))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := parseLogin(data)
		if err != nil {
			return
		}
		if len(l.User)+len(l.Password)+len(l.Database) > 3*len(data) {
			t.Fatalf("login fields larger than the message")
		}
		_, _ = parsePrelogin(data)
	})
}

// TestWriteFuzzSeeds rewrites the seed corpora in testdata/fuzz when UPDATE_FUZZ_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("UPDATE_FUZZ_SEEDS") != "1" {
		t.Skip("set UPDATE_FUZZ_SEEDS=1 to rewrite testdata/fuzz")
	}
	seeds := map[string][][]byte{
		"FuzzReadMessage": {
			framePackets(pktPrelogin, buildPrelogin(0), 4096),
			framePackets(pktLogin7, buildLogin7("jobuser", "pw", "jobdb", 4096), 512),
			framePackets(pktRPC, fuzzRPCSeeds()[0], 512),
			{pktAttn, 1, 0, 8, 0, 0, 1, 0},
			{pktSQLBatch, 0, 0, 4},
		},
		"FuzzParseRPC": fuzzRPCSeeds(),
		"FuzzParseLogin": {
			buildLogin7("jobuser", "s3cret", "jobdb", 32767),
			buildLogin7("ü🙂", "pw", "", 512),
			buildPrelogin(encryptReq),
		},
	}
	for name, list := range seeds {
		dir := filepath.Join("testdata", "fuzz", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range list {
			body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(s)) + ")\n"
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
