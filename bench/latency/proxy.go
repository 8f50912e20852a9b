package main

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"
)

// proxy forwards TCP connections to a target, delaying the bytes of each direction by half a
// round-trip time, as a distant server would. Bandwidth is not limited: bytes read while earlier
// ones wait are in flight together.
type proxy struct {
	ln     net.Listener
	target string
	rtt    time.Duration
	conns  atomic.Int64 // connections accepted
}

// listenProxy listens on addr and forwards to target until the listener closes.
func listenProxy(addr, target string, rtt time.Duration) (*proxy, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	p := &proxy{ln: ln, target: target, rtt: rtt}
	go p.serve()
	return p, nil
}

func (p *proxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.conns.Add(1)
		go func() {
			server, err := net.Dial("tcp", p.target)
			if err != nil {
				client.Close()
				return
			}
			go delayed(server, client, p.rtt/2)
			delayed(client, server, p.rtt/2)
		}()
	}
}

// delayed copies src to dst, each chunk written delay after it was read, and closes both at the
// end.
func delayed(dst, src net.Conn, delay time.Duration) {
	type chunk struct {
		due  time.Time
		data []byte
	}
	chunks := make(chan chunk, 4096)
	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, 64<<10)
			n, err := src.Read(buf)
			if n > 0 {
				chunks <- chunk{time.Now().Add(delay), buf[:n]}
			}
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
					dst.Close()
				}
				return
			}
		}
	}()
	for c := range chunks {
		time.Sleep(time.Until(c.due))
		if _, err := dst.Write(c.data); err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
}
