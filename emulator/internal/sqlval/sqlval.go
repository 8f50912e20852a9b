// Package sqlval holds the typed values, columns, result sets and errors that the emulator's TDS
// server and its job database exchange.
package sqlval

import (
	"crypto/rand"
	"fmt"
	"time"
)

// Type is a SQL Server data type the emulator supports.
type Type int

// Supported types.
const (
	Null           Type = iota // untyped NULL (NULLTYPE on the wire)
	Int                        // int (4 bytes)
	BigInt                     // bigint
	TinyInt                    // tinyint
	SmallInt                   // smallint
	Bit                        // bit
	Float                      // float (8 bytes)
	NVarChar                   // nvarchar(Size) or nvarchar(max) when Size is Max
	VarBinary                  // varbinary(Size) or varbinary(max)
	GUID                       // uniqueidentifier
	DateTime2                  // datetime2(7)
	DateTimeOffset             // datetimeoffset(7)
	DateTime                   // datetime
)

// Max is the Size of nvarchar(max) and varbinary(max).
const Max = -1

// Value is a SQL value: nil (NULL), int64, bool, float64, string, []byte, UUID or time.Time.
type Value = any

// UUID is a uniqueidentifier in canonical (RFC 4122) byte order; the TDS layer converts it to and
// from SQL Server's mixed-endian wire order.
type UUID [16]byte

func (u UUID) String() string {
	return fmt.Sprintf("%X-%X-%X-%X-%X", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// NewUUID returns a random (version 4) uuid, as NEWID() makes.
func NewUUID() UUID {
	var u UUID
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

// Column describes one column of a result set or the type of a parameter.
type Column struct {
	Name     string
	Type     Type
	Size     int // characters for NVarChar, bytes for VarBinary; Max for (max); unused otherwise
	Nullable bool
}

// ResultSet is one result set: columns and rows of values in column order.
type ResultSet struct {
	Columns []Column
	Rows    [][]Value
}

// Error is an error as SQL Server reports it.
type Error struct {
	Number  int32
	State   uint8
	Class   uint8 // severity
	Message string
	Proc    string
	Line    int32
}

func (e *Error) Error() string {
	return fmt.Sprintf("Msg %d, Level %d, State %d: %s", e.Number, e.Class, e.State, e.Message)
}

// Errorf returns a severity 16, state 1 error.
func Errorf(number int32, format string, args ...any) *Error {
	return &Error{Number: number, State: 1, Class: 16, Message: fmt.Sprintf(format, args...)}
}

// Param is an RPC parameter or an output parameter echoed back.
type Param struct {
	Name   string // as sent, including the leading @; empty for positional parameters
	Output bool
	Type   Column
	Value  Value
}

// ItemKind says what one step of a reply is.
type ItemKind int

// Reply item kinds.
const (
	ItemResultSet    ItemKind = iota // Set holds the rows
	ItemRowCount                     // Count rows affected by a statement (INSERT, UPDATE, DELETE)
	ItemInfo                         // an informational message (PRINT): Err holds it with Class <= 10
	ItemError                        // a non-terminating error (execution continues)
	ItemTranBegin                    // a transaction began (BEGIN TRAN)
	ItemTranCommit                   // the outermost transaction committed
	ItemTranRollback                 // the transaction rolled back (ROLLBACK or XACT_ABORT)
)

// Item is one step of a reply, in the order it happened.
type Item struct {
	Kind  ItemKind
	Set   *ResultSet
	Count int64
	Err   *Error
}

// Reply is everything one request produced.
type Reply struct {
	Items        []Item
	ReturnStatus *int32  // RPC only
	Outputs      []Param // output parameters, names echoed exactly as the request sent them
	Err          *Error  // terminating error, if any, sent last
	// Procs counts the procedures the request ran by name, EXEC statements included, for the
	// server's log.
	Procs map[string]int
}

// Now is the emulator's notion of time in tests and in the model: UTC, 100ns precision like datetime2(7).
func Now() time.Time { return time.Now().UTC().Truncate(100 * time.Nanosecond) }
