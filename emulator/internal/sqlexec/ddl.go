package sqlexec

import (
	"github.com/ejops/ejops/emulator/internal/jobstore"
	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// createTable runs CREATE TABLE. A default that is constant, or that cannot be kept as text, is
// stored as a value; any other default is kept as text and evaluated at each insert.
func (b *batch) createTable(x *CreateTableStmt) *sqlval.Error {
	cols := make([]jobstore.ColumnDef, len(x.Cols))
	for i, c := range x.Cols {
		cols[i] = jobstore.ColumnDef{Name: c.Name, Type: c.Type, PrimaryKey: c.PrimaryKey}
		if c.Default == nil {
			continue
		}
		// Evaluating every default once checks that it converts to the column's type.
		v, err := b.eval(c.Default, nil)
		if err != nil {
			return err
		}
		if v, err = convert(v, c.Type); err != nil {
			return err
		}
		if isConstant(c.Default) || !isStorable(c.Default) {
			cols[i].Default = v
		} else {
			cols[i].DefaultExpr = c.DefaultText
		}
	}
	schema := x.Table.Schema
	if schema == "" {
		schema = "dbo"
	}
	return b.s.db.CreateTable(schema, x.Table.Name, cols)
}

// isConstant reports whether a DEFAULT expression has the same value at every insert.
func isConstant(e Expr) bool {
	return everyNode(e, func(x Expr) bool {
		switch x.(type) {
		case *Literal, *Unary, *Binary, *CastExpr:
			return true
		}
		return false
	})
}

// isStorable reports whether a DEFAULT expression can be kept as text and evaluated at each
// insert on its own: functions of constants, without variables, columns or subqueries.
func isStorable(e Expr) bool {
	return everyNode(e, func(x Expr) bool {
		switch x.(type) {
		case *Literal, *Unary, *Binary, *CastExpr, *FuncCall:
			return true
		}
		return false
	})
}

// credential runs CREATE, ALTER and DROP DATABASE SCOPED CREDENTIAL.
func (b *batch) credential(x *CredentialStmt) *sqlval.Error {
	switch x.Action {
	case "CREATE":
		return b.s.db.CreateCredential(x.Name, x.Identity, x.Secret)
	case "ALTER":
		return b.s.db.AlterCredential(x.Name, x.Identity, x.Secret)
	}
	return b.s.db.DropCredential(x.Name)
}

// dropTable runs DROP TABLE [IF EXISTS]; with IF EXISTS a missing table is skipped.
func (b *batch) dropTable(x *DropTableStmt) *sqlval.Error {
	for _, t := range x.Tables {
		if x.IfExists {
			if _, err := b.s.storeRelation(tableName(t)); err != nil {
				continue
			}
		}
		if err := b.s.db.DropTable(tableName(t)); err != nil {
			return err
		}
	}
	return nil
}
