package jobstore

import (
	"crypto/rand"
	"crypto/sha256"
	"strings"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// CreateMasterKey creates the database master key; 15578 if one exists. Only a salted hash of the
// password is kept.
func (s *Session) CreateMasterKey(password string) *sqlval.Error {
	return s.write(s.ctx, false, func(w *state) *sqlval.Error {
		if w.MasterKey != nil {
			return sqlval.Errorf(15578, "There is already a master key in the database. Please drop it before performing this statement.")
		}
		salt := make([]byte, 16)
		_, _ = rand.Read(salt)
		h := sha256.Sum256(append(append([]byte(nil), salt...), password...))
		w.MasterKey = &masterKey{Created: s.db.now().UTC(), Salt: salt, Hash: h[:]}
		return nil
	})
}

// sealSecret seals a credential's secret; an empty one means none (WITH IDENTITY only). It
// returns the secret kept in memory and its sealed form for the state file.
func (s *Session) sealSecret(text string) (*string, []byte, *sqlval.Error) {
	if text == "" {
		return nil, nil, nil
	}
	b, err := seal(s.db.sealKey, text)
	if err != nil {
		return nil, nil, sqlval.Errorf(15466, "An error occurred during decryption.")
	}
	return &text, b, nil
}

// CreateCredential is CREATE DATABASE SCOPED CREDENTIAL: 15530 if it exists, 15581 without a
// master key. An empty secret means WITH IDENTITY only (no SECRET).
func (s *Session) CreateCredential(name, identity, secretText string) *sqlval.Error {
	if err := checkIdent(name); err != nil {
		return err
	}
	// [D] A credential name "can't start with the number (#) sign. System credentials start with
	// ##." ("CREATE DATABASE SCOPED CREDENTIAL (Transact-SQL)",
	// https://learn.microsoft.com/sql/t-sql/statements/create-database-scoped-credential-transact-sql).
	// [U] The number and text: SQL Server's error for an invalid DDL option.
	if strings.HasPrefix(name, "#") {
		return sqlval.Errorf(15600, "An invalid parameter or option was specified for procedure 'CREATE DATABASE SCOPED CREDENTIAL'.")
	}
	if sqlval.CharLen(identity) > 4000 {
		return sqlval.Errorf(8152, "String or binary data would be truncated.")
	}
	return s.write(s.ctx, false, func(w *state) *sqlval.Error {
		if w.MasterKey == nil {
			return sqlval.Errorf(15581, "Please create a master key in the database or open the master key in the session before performing this operation.")
		}
		if _, ok := w.Credentials[fold(name)]; ok {
			return sqlval.Errorf(15530, "The database scoped credential with name \"%s\" already exists.", name)
		}
		sec, sealed, err := s.sealSecret(secretText)
		if err != nil {
			return err
		}
		now := s.db.now().UTC()
		// credential_id numbering starts at 65536 in SQL Server.
		id := int64(65535)
		for _, c := range w.Credentials {
			if c.ID > id {
				id = c.ID
			}
		}
		w.credsW()[fold(name)] = &credential{ID: id + 1, Name: name, Identity: identity, Sealed: sealed,
			Created: now, Modified: now, secret: secret{sec}}
		return nil
	})
}

// AlterCredential is ALTER DATABASE SCOPED CREDENTIAL: it resets identity and secret (an empty
// secret clears it) [D]; 15151 if missing.
func (s *Session) AlterCredential(name, identity, secretText string) *sqlval.Error {
	if sqlval.CharLen(identity) > 4000 {
		return sqlval.Errorf(8152, "String or binary data would be truncated.")
	}
	return s.write(s.ctx, false, func(w *state) *sqlval.Error {
		old, ok := w.Credentials[fold(name)]
		if !ok {
			return sqlval.Errorf(15151, "Cannot alter the credential '%s', because it does not exist or you do not have permission.", name)
		}
		sec, sealed, err := s.sealSecret(secretText)
		if err != nil {
			return err
		}
		c := *old
		c.Identity, c.Sealed, c.secret, c.Modified = identity, sealed, secret{sec}, s.db.now().UTC()
		w.credsW()[fold(name)] = &c
		return nil
	})
}

// DropCredential is DROP DATABASE SCOPED CREDENTIAL; 15151 if missing. Steps that name the
// credential keep the name ([U] on Azure).
func (s *Session) DropCredential(name string) *sqlval.Error {
	return s.write(s.ctx, false, func(w *state) *sqlval.Error {
		if _, ok := w.Credentials[fold(name)]; !ok {
			return sqlval.Errorf(15151, "Cannot drop the credential '%s', because it does not exist or you do not have permission.", name)
		}
		delete(w.credsW(), fold(name))
		return nil
	})
}

// Credential returns a committed credential's identity and secret for the agent simulation, which
// connects to targets with it. It is the only way to read a secret.
func (db *DB) Credential(name string) (identity, secretText string, ok bool) {
	c, ok := db.snapshot().Credentials[fold(name)]
	if !ok {
		return "", "", false
	}
	if c.secret.v != nil {
		secretText = *c.secret.v
	}
	return c.Identity, secretText, true
}
