package tds

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Packet types.
const (
	pktSQLBatch = 1
	pktRPC      = 3
	pktReply    = 4
	pktAttn     = 6
	pktTM       = 14
	pktLogin7   = 16
	pktSSPI     = 17
	pktPrelogin = 18
)

// Packet status bits.
const (
	statusEOM            = 0x01
	statusResetConn      = 0x08
	statusResetConnSkipT = 0x10
)

const (
	headerLen = 8
	// MinPacketSize and MaxPacketSize bound the packet size a client may negotiate.
	MinPacketSize = 512
	MaxPacketSize = 32767
	// DefaultMaxMessageSize bounds one reassembled request.
	DefaultMaxMessageSize = 64 << 20
)

var (
	errShortPacket   = errors.New("tds: packet length below header size")
	errLongPacket    = errors.New("tds: packet longer than the negotiated packet size")
	errTypeMismatch  = errors.New("tds: packet type changed inside a message")
	errMessageTooBig = errors.New("tds: message exceeds the size limit")
)

// message is one reassembled client message.
type message struct {
	typ    byte
	status byte // status of the first packet
	data   []byte
}

// readMessage reads packets until one has the EOM bit and returns their payloads joined. A packet may
// not be longer than maxPacket bytes (header included), and the message may not exceed maxMessage.
func readMessage(r io.Reader, maxPacket, maxMessage int) (message, error) {
	var m message
	var h [headerLen]byte
	for first := true; ; first = false {
		if _, err := io.ReadFull(r, h[:]); err != nil {
			if !first && errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return m, err
		}
		n := int(binary.BigEndian.Uint16(h[2:4]))
		switch {
		case n < headerLen:
			return m, errShortPacket
		case n > maxPacket:
			return m, fmt.Errorf("%w: %d > %d", errLongPacket, n, maxPacket)
		}
		if first {
			m.typ, m.status = h[0], h[1]
		} else if h[0] != m.typ {
			return m, fmt.Errorf("%w: %d then %d", errTypeMismatch, m.typ, h[0])
		}
		body := n - headerLen
		if len(m.data)+body > maxMessage {
			return m, fmt.Errorf("%w of %d bytes", errMessageTooBig, maxMessage)
		}
		start := len(m.data)
		m.data = append(m.data, make([]byte, body)...)
		if _, err := io.ReadFull(r, m.data[start:]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return m, err
		}
		if h[1]&statusEOM != 0 {
			return m, nil
		}
	}
}

// framePackets splits payload into packets of at most packetSize bytes: status 0 on all but the
// last packet, EOM on the last. An empty payload still makes one packet.
func framePackets(typ byte, payload []byte, packetSize int) []byte {
	chunk := packetSize - headerLen
	if chunk <= 0 {
		chunk = MinPacketSize - headerLen
	}
	npk := (len(payload) + chunk - 1) / chunk
	if npk == 0 {
		npk = 1
	}
	out := make([]byte, 0, len(payload)+npk*headerLen)
	seq := byte(1)
	for {
		part := payload
		last := true
		if len(part) > chunk {
			part, last = payload[:chunk], false
		}
		status := byte(0)
		if last {
			status = statusEOM
		}
		n := len(part) + headerLen
		out = append(out, typ, status, byte(n>>8), byte(n), 0, 0, seq, 0)
		out = append(out, part...)
		if last {
			return out
		}
		payload = payload[chunk:]
		seq++
	}
}
