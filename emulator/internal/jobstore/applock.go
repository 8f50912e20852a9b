package jobstore

import (
	"strings"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

var lockModes = map[string]lockMode{
	"shared":          modeShared,
	"update":          modeUpdate,
	"intentshared":    modeIntentShared,
	"intentexclusive": modeIntentExclusive,
	"exclusive":       modeExclusive,
}

// appInfo is a severity 10 message of the applock procedures: it travels as an INFO token.
func appInfo(c *call, number int32, line int32, format string, args ...any) {
	e := sqlval.Errorf(number, format, args...)
	e.Class = 10
	e.Proc = c.proc.short
	e.Line = line
	c.result.Messages = append(c.result.Messages, e)
}

func xpError(number int32, state uint8, format string, args ...any) *sqlval.Error {
	e := sqlval.Errorf(number, format, args...)
	e.State = state
	e.Proc = "sys.xp_userlock"
	e.Line = 1
	return e
}

func optText(c *call, name string) (string, bool) {
	v := c.str(name)
	if v == nil {
		return "(null)", false
	}
	return *v, true
}

// ownerOf parses @LockOwner: Transaction or Session, case-insensitive.
func ownerOf(text string, ok bool) (ownerKind, bool) {
	t := strings.TrimRight(text, " ")
	switch {
	case ok && strings.EqualFold(t, "Transaction"):
		return ownerTransaction, true
	case ok && strings.EqualFold(t, "Session"):
		return ownerSession, true
	}
	return 0, false
}

// lockKey builds the lock resource: the principal and the resource, compared binary [D].
func (c *call) lockKey() (string, string, string, *sqlval.Error) {
	res := c.str("Resource")
	if res == nil {
		return "", "", "", xpError(1224, 5, "An invalid application lock resource was passed to xp_userlock.")
	}
	pr := c.str("DbPrincipal")
	if pr == nil {
		return "", "", "", xpError(1230, 1, "An invalid database principal was passed to xp_userlock.")
	}
	switch strings.ToLower(strings.TrimRight(*pr, " ")) {
	case "public", "dbo", "db_owner":
	default:
		return "", "", "", xpError(1202, 1, "The database-principal '%s' does not exist or user is not a member.", *pr)
	}
	return "app\x00" + strings.ToLower(strings.TrimRight(*pr, " ")) + "\x00" + *res, *pr, *res, nil
}

// spGetAppLock is sp_getapplock: return 0 granted, 1 granted after waiting, -1 timeout,
// -2 canceled, -3 deadlock victim, -999 parameter error.
func spGetAppLock(s *Session, _ *state, c *call) *sqlval.Error {
	c.result.ReturnStatus = -999
	modeText, ok := optText(c, "LockMode")
	mode, known := lockModes[strings.ToLower(strings.TrimRight(modeText, " "))]
	if !ok || !known {
		appInfo(c, 15625, 26, "Option '%s' not recognized for '@LockMode' parameter.", modeText)
		return nil
	}
	ownerText, ok := optText(c, "LockOwner")
	kind, ok := ownerOf(ownerText, ok)
	if !ok {
		appInfo(c, 15625, 39, "Option '%s' not recognized for '@LockOwner' parameter.", ownerText)
		return nil
	}
	timeout := int64(-1)
	if t := c.int("LockTimeout"); t != nil {
		timeout = *t
	}
	if kind == ownerTransaction && s.tran == 0 {
		appInfo(c, 15626, 52, "You attempted to acquire a transactional application lock without an active transaction.")
		return nil
	}
	if timeout < -1 {
		return xpError(1227, 2, "An invalid application lock time-out was passed to xp_userlock.")
	}
	key, _, _, err := c.lockKey()
	if err != nil {
		return err
	}
	d := time.Duration(-1)
	if timeout >= 0 {
		d = time.Duration(timeout) * time.Millisecond
	}
	c.result.ReturnStatus = int32(s.db.locks.acquire(c.ctx, key, lockOwner{s, kind}, mode, d))
	return nil
}

// spReleaseAppLock is sp_releaseapplock: 0 released, -999 with an error otherwise.
func spReleaseAppLock(s *Session, _ *state, c *call) *sqlval.Error {
	c.result.ReturnStatus = -999
	ownerText, ok := optText(c, "LockOwner")
	kind, ok := ownerOf(ownerText, ok)
	if !ok {
		appInfo(c, 15625, 20, "Option '%s' not recognized for '@LockOwner' parameter.", ownerText)
		return nil
	}
	key, pr, res, err := c.lockKey()
	if err != nil {
		return err
	}
	if kind == ownerTransaction && s.tran == 0 {
		return xpError(3918, 1, "The statement or function must be executed in the context of a user transaction.")
	}
	if !s.db.locks.release(key, lockOwner{s, kind}) {
		return xpError(1223, 1, "Cannot release the application lock (Database Principal: '%s', Resource: '%s') because it is not currently held.", pr, res)
	}
	c.result.ReturnStatus = 0
	return nil
}
