package targets

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// azureSuffix ends the names of Azure SQL logical servers.
const azureSuffix = ".database.windows.net"

// MapEnv is the environment variable that holds the address map.
const MapEnv = "EJOPS_TARGET_MAP"

// Map routes logical server names to addresses ("host:port") on this machine, keyed by ServerKey.
// A mapped server is dialled without TLS: the map is for local trials and tests against the
// emulator, and ParseMap refuses addresses that are not loopback.
type Map map[string]string

// MapError is a malformed address map; it names the bad pair.
type MapError struct {
	Pair string
	Why  string
}

func (e *MapError) Error() string {
	return fmt.Sprintf("%s: bad pair %q: %s (want name=host:port, comma-separated)", MapEnv, e.Pair, e.Why)
}

// ParseMap parses "name=host:port,name=host:port". Names compare case-insensitively, with or
// without the .database.windows.net suffix; empty pairs (a trailing comma) are ignored.
func ParseMap(s string) (Map, error) {
	m := Map{}
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		name, addr, ok := strings.Cut(pair, "=")
		name, addr = strings.TrimSpace(name), strings.TrimSpace(addr)
		switch {
		case !ok:
			return nil, &MapError{pair, "no '='"}
		case ServerKey(name) == "":
			return nil, &MapError{pair, "no server name"}
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host == "" {
			return nil, &MapError{pair, "the address must be host:port"}
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, &MapError{pair, "the port must be 1 to 65535"}
		}
		if !loopback(host) {
			return nil, &MapError{pair, "the address must be on this machine (localhost or a loopback IP): a mapped server is dialled without TLS"}
		}
		key := ServerKey(name)
		if prev, dup := m[key]; dup && prev != addr {
			return nil, &MapError{pair, "the server is mapped twice"}
		}
		m[key] = addr
	}
	return m, nil
}

// loopback reports whether host is this machine: a mapped server gets the login's password without
// TLS, so it must not leave the machine.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ServerKey is the key of a logical server name: lower case, without .database.windows.net, so
// that "Tenants-1" and "tenants-1.database.windows.net" are the same server.
func ServerKey(name string) string {
	k := strings.ToLower(strings.TrimSpace(name))
	return strings.TrimSuffix(strings.TrimSuffix(k, "."), azureSuffix)
}

// address returns where to dial server: the mapped address, or the name itself on port 1433.
func (m Map) address(server string) (host string, port int, mapped bool) {
	if addr, ok := m[ServerKey(server)]; ok {
		h, p, _ := net.SplitHostPort(addr)
		n, _ := strconv.Atoi(p)
		return h, n, true
	}
	return server, 1433, false
}
