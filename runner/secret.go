package runner

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/scrypt"

	"github.com/ejops/ejops/spec"
)

// scrypt parameters of secret fingerprints: slow enough that a leaked inventory does not give
// secrets away cheaply.
const (
	scryptN      = 1 << 15
	scryptR      = 8
	scryptP      = 1
	scryptKeyLen = 32
	saltLen      = 16
)

// Fingerprint returns a salted scrypt digest of secret: "scrypt$N$r$p$salt$hash".
func Fingerprint(secret string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return fingerprint(secret, salt, scryptN, scryptR, scryptP)
}

func fingerprint(secret string, salt []byte, n, r, p int) (string, error) {
	key, err := scrypt.Key([]byte(secret), salt, n, r, p, scryptKeyLen)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("scrypt$%d$%d$%d$%s$%s", n, r, p, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// fingerprintPrefix starts every fingerprint Fingerprint makes: its scheme and parameters.
var fingerprintPrefix = fmt.Sprintf("scrypt$%d$%d$%d$", scryptN, scryptR, scryptP)

// VerifyFingerprint reports whether secret matches a fingerprint made by Fingerprint. A fingerprint
// with other parameters, such as an inventory row edited to make the check take minutes and
// gigabytes, or another salt or digest length, does not match and is not computed.
func VerifyFingerprint(secret, fp string) bool {
	rest, ok := strings.CutPrefix(fp, fingerprintPrefix)
	if !ok {
		return false
	}
	enc := base64.RawStdEncoding
	salt64, key64, ok := strings.Cut(rest, "$")
	if !ok || len(salt64) != enc.EncodedLen(saltLen) || len(key64) != enc.EncodedLen(scryptKeyLen) {
		return false
	}
	salt, err := enc.DecodeString(salt64)
	if err != nil {
		return false
	}
	got, err := fingerprint(secret, salt, scryptN, scryptR, scryptP)
	return err == nil && subtle.ConstantTimeCompare([]byte(got), []byte(fp)) == 1
}

// ErrSecretUnavailable is matched (errors.Is) by ResolveSecret's error for a secret that is not
// there at all: an environment variable that is not set or empty, a file that does not exist. A
// plan goes on without such a secret; a secret that is there but unreadable is an error.
var ErrSecretUnavailable = errors.New("secret not available")

// unavailableError is the error of a secret that is not there.
type unavailableError struct{ msg string }

func (e *unavailableError) Error() string        { return e.msg }
func (e *unavailableError) Is(target error) bool { return target == ErrSecretUnavailable }

// unavailableReason says, without the word "secret", why the secret of ref is not available.
func unavailableReason(ref spec.SecretRef) string {
	if ref.Env != "" {
		return ref.Env + " is not set"
	}
	return ref.File + " does not exist"
}

// ResolveSecret reads a secret from the environment or a file (through readFile, os.ReadFile in the
// CLI). Errors name the source, never the value.
func ResolveSecret(getenv func(string) string, readFile func(string) ([]byte, error)) func(spec.SecretRef) (string, error) {
	return func(ref spec.SecretRef) (string, error) {
		switch {
		case ref.Env != "":
			v := getenv(ref.Env)
			if v == "" {
				return "", &unavailableError{fmt.Sprintf("secret: environment variable %s is not set", ref.Env)}
			}
			return v, nil
		case ref.File != "":
			b, err := readFile(ref.File)
			if errors.Is(err, fs.ErrNotExist) {
				return "", &unavailableError{"secret: " + err.Error()}
			}
			if err != nil {
				return "", fmt.Errorf("secret: %w", err)
			}
			v := strings.TrimRight(string(b), "\r\n")
			switch {
			case v == "":
				return "", fmt.Errorf("secret: file %s is empty", ref.File)
			case !utf8.ValidString(v):
				return "", fmt.Errorf("secret: file %s is not UTF-8 text", ref.File)
			}
			return v, nil
		}
		return "", fmt.Errorf("secret: no source")
	}
}

// MaxSecretFile is the size of the largest secret file ResolveSecret reads.
const MaxSecretFile = 64 << 10

// ReadSecretFile reads a secret file: a regular file of at most MaxSecretFile bytes. A named pipe, a
// device or a huge file named by mistake is refused rather than read, without waiting on a pipe's
// writer.
func ReadSecretFile(path string) ([]byte, error) {
	b, err := spec.ReadFile(path, MaxSecretFile)
	switch {
	case errors.Is(err, spec.ErrNotRegular):
		return nil, fmt.Errorf("%s is not a regular file", path)
	case errors.Is(err, spec.ErrTooLarge):
		return nil, fmt.Errorf("%s is larger than %d bytes", path, MaxSecretFile)
	}
	return b, err
}
