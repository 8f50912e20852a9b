package tds

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// maxLoginMessage bounds PRELOGIN and LOGIN7 messages.
const maxLoginMessage = 128 << 10

// login runs PRELOGIN and LOGIN7; it reports whether a session was opened.
func (c *conn) login(br *bufio.Reader) bool {
	deadline := time.Now().Add(c.srv.opts.LoginTimeout)
	_ = c.nc.SetDeadline(deadline)
	defer func() { _ = c.nc.SetDeadline(time.Time{}) }()

	msg, err := readMessage(br, 0xFFFF, maxLoginMessage)
	if err != nil {
		c.logReadErr("prelogin", err)
		return false
	}
	if msg.typ == pktPrelogin {
		opts, err := parsePrelogin(msg.data)
		if err != nil {
			c.log.Warn("tds: malformed prelogin", "err", err)
			return false
		}
		if !c.write(preloginReply()) {
			return false
		}
		if enc := opts[preloginEncryption]; len(enc) > 0 && (enc[0] == encryptOn || enc[0] == encryptReq) {
			c.log.Info("tds: client requires encryption, which is not supported")
			return false
		}
		msg, err = readMessage(br, 0xFFFF, maxLoginMessage)
		if err != nil {
			c.logReadErr("login", err)
			return false
		}
	}
	if msg.typ != pktLogin7 {
		c.log.Warn("tds: expected LOGIN7", "type", msg.typ)
		return false
	}
	l, err := parseLogin(msg.data)
	if err != nil {
		c.log.Warn("tds: malformed login", "err", err)
		return false
	}
	c.pktSize = negotiatePacketSize(l.PacketSize)
	db := l.Database
	sess, lerr := c.checkLogin(l, deadline)
	var w tokenWriter
	if lerr != nil || sess == nil {
		if lerr == nil || lerr.Number == 0 {
			lerr = &sqlval.Error{Number: 18456, State: 1, Class: 14, Message: "Login failed for user '" + l.User + "'."}
		}
		c.log.Info("tds: login failed", "user", l.User, "app", l.App, "number", lerr.Number)
		w.message(tokError, lerr, c.srv.opts.ServerName)
		w.done(tokDone, doneError, 0, 0)
		c.write(w.buf)
		return false
	}
	c.sess = sess
	if db == "" {
		db = "master"
	}
	w.envChangeStr(envDatabase, db, "master")
	w.envChange(envCollation, collation[:], nil)
	size := strconv.Itoa(c.pktSize)
	w.envChangeStr(envPacketSize, size, size)
	w.loginAck(c.srv.opts.ServerName)
	w.done(tokDone, doneFinal, 0, 0)
	if !c.write(w.buf) {
		sess.Close()
		c.sess = nil
		return false
	}
	c.log.Info("tds: login", "user", l.User, "app", l.App, "database", db, "packet_size", c.pktSize)
	return true
}

// checkLogin passes the login to the handler when the client's turn comes (see loginThrottle)
// and records the outcome. A nil session and error is a failed login.
func (c *conn) checkLogin(l login7, deadline time.Time) (Session, *sqlval.Error) {
	th := c.srv.throttle
	if th == nil {
		return c.srv.h.Login(l.User, l.Password, l.Database)
	}
	client := clientKey(c.nc.RemoteAddr())
	wait, ok := th.turn(client, time.Until(deadline))
	if !ok {
		c.log.Info("tds: login refused: too many failed logins from the client", "client", client)
		return nil, nil
	}
	if wait > 0 {
		c.log.Info("tds: login delayed after failed logins from the client", "client", client, "delay", wait)
		if !c.srv.sleep(wait) {
			return nil, nil
		}
	}
	sess, lerr := c.srv.h.Login(l.User, l.Password, l.Database)
	if lerr != nil || sess == nil {
		th.failed(client)
	} else {
		th.succeeded(client)
	}
	return sess, lerr
}

func (c *conn) logReadErr(stage string, err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrClosedPipe) {
		return
	}
	c.log.Warn("tds: read "+stage, "err", err)
}

// negotiatePacketSize clamps the client's requested packet size; 0 means the default 4096.
func negotiatePacketSize(req uint32) int {
	if req == 0 {
		return 4096
	}
	return int(min(max(req, MinPacketSize), MaxPacketSize))
}
