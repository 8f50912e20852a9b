package tds

import (
	"strings"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// tranState tracks the connection's current transaction descriptor.
type tranState struct {
	cur  uint64
	next func() uint64
}

// Internal error reported when a reply cannot be encoded (a value that does not fit its column).
const errNumEncode = 8624

// replyEncoder turns sqlval replies into tokens for one request.
type replyEncoder struct {
	w      *tokenWriter
	server string
	tran   *tranState
}

// encodeReply appends rep. rpc selects DONEINPROC/DONEPROC over DONE; req holds the call's
// parameters (for RETURNVALUE ordinals); last clears the MORE bit of the final DONE.
func (e *replyEncoder) encodeReply(rep sqlval.Reply, rpc bool, req []sqlval.Param, last bool) {
	inner := byte(tokDone)
	if rpc {
		inner = tokDoneInProc
	}
	for _, it := range rep.Items {
		mark := len(e.w.buf)
		pending := e.w.pendingErr
		if err := e.item(it, inner); err != nil {
			e.w.buf, e.w.pendingErr = e.w.buf[:mark], pending
			e.fail(&sqlval.Error{Number: errNumEncode, State: 1, Class: 16, Message: err.Error()}, rpc, last)
			return
		}
	}
	if rpc {
		if rep.ReturnStatus != nil {
			e.w.returnStatus(*rep.ReturnStatus)
		}
		for i, p := range rep.Outputs {
			mark := len(e.w.buf)
			if err := e.output(i, p, req); err != nil {
				e.w.buf = e.w.buf[:mark]
				e.fail(&sqlval.Error{Number: errNumEncode, State: 1, Class: 16, Message: err.Error()}, rpc, last)
				return
			}
		}
	}
	if rep.Err != nil {
		e.fail(rep.Err, rpc, last)
		return
	}
	e.final(rpc, last, 0)
}

func (e *replyEncoder) final(rpc, last bool, status uint16) {
	if !last {
		status |= doneMore
	}
	tok := byte(tokDone)
	if rpc {
		tok = tokDoneProc
	}
	e.w.done(tok, status, 0, 0)
}

// fail appends a terminating error and the final DONE with the error bit.
func (e *replyEncoder) fail(err *sqlval.Error, rpc, last bool) {
	e.w.message(tokError, err, e.server)
	e.final(rpc, last, doneError)
}

func (e *replyEncoder) item(it sqlval.Item, doneTok byte) error {
	switch it.Kind {
	case sqlval.ItemResultSet:
		if it.Set == nil || len(it.Set.Columns) == 0 {
			return nil
		}
		return e.resultSet(it.Set, doneTok)
	case sqlval.ItemRowCount:
		e.w.done(doneTok, doneMore|doneCount, cmdInsert, uint64(max(it.Count, 0)))
	case sqlval.ItemInfo:
		if it.Err != nil {
			e.w.message(tokInfo, it.Err, e.server)
		}
	case sqlval.ItemError:
		if it.Err != nil {
			// The failed statement ends with its own DONE carrying the error, as SQL Server
			// sends it, so a client sees the error where it happened.
			e.w.message(tokError, it.Err, e.server)
			e.w.done(doneTok, doneMore|doneError, 0, 0)
		}
	case sqlval.ItemTranBegin:
		if e.tran.cur != 0 {
			return nil // nested BEGIN TRAN: no new transaction
		}
		e.tran.cur = e.tran.next()
		e.w.tranEnv(envBeginTran, e.tran.cur)
	case sqlval.ItemTranCommit, sqlval.ItemTranRollback:
		if e.tran.cur == 0 {
			return nil // no transaction the client knows of
		}
		typ := byte(envCommitTran)
		if it.Kind == sqlval.ItemTranRollback {
			typ = envRollback
		}
		e.w.tranEnv(typ, e.tran.cur)
		e.tran.cur = 0
	}
	return nil
}

func (e *replyEncoder) resultSet(rs *sqlval.ResultSet, doneTok byte) error {
	cols := make([]wireCol, len(rs.Columns))
	for i, c := range rs.Columns {
		wc, err := resolveColumn(c, func(yield func(sqlval.Value) bool) {
			for _, r := range rs.Rows {
				if i < len(r) && !yield(r[i]) {
					return
				}
			}
		})
		if err != nil {
			return err
		}
		cols[i] = wc
	}
	e.w.colMetadata(cols)
	for _, r := range rs.Rows {
		if err := e.w.row(cols, r); err != nil {
			return err
		}
	}
	e.w.done(doneTok, doneMore|doneCount, cmdSelect, uint64(len(rs.Rows)))
	return nil
}

// output appends a RETURNVALUE for an output parameter, with the ordinal of the request parameter
// of the same name.
func (e *replyEncoder) output(i int, p sqlval.Param, req []sqlval.Param) error {
	ord := i + 1
	for j, rp := range req {
		if rp.Name != "" && strings.EqualFold(rp.Name, p.Name) {
			ord = j + 1
			break
		}
	}
	wc, err := resolveColumn(p.Type, func(yield func(sqlval.Value) bool) { yield(p.Value) })
	if err != nil {
		return err
	}
	wc.nullable = true
	return e.w.returnValue(ord, p.Name, wc, p.Value)
}
