package jobstore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

func getLock(t testing.TB, s *Session, ctx context.Context, kv ...any) (int32, *sqlval.Error) {
	t.Helper()
	res, err := s.Call(ctx, "sp_getapplock", named(kv...))
	return res.ReturnStatus, err
}

func TestAppLockSessionOwner(t *testing.T) {
	db := openTest(t)
	a, b := db.NewSession(), db.NewSession()
	ctx := context.Background()
	rc, err := getLock(t, a, ctx, "Resource", "ejops", "LockMode", "Exclusive", "LockOwner", "Session")
	eq(t, []any{rc, err == nil}, []any{int32(0), true})
	// Another session gets -1 at once with timeout 0.
	rc, _ = getLock(t, b, ctx, "Resource", "ejops", "LockMode", "Exclusive", "LockOwner", "Session", "LockTimeout", int64(0))
	eq(t, rc, int32(-1))
	// Resource names compare binary: another case is another lock.
	rc, _ = getLock(t, b, ctx, "Resource", "EJOPS", "LockMode", "Exclusive", "LockOwner", "Session", "LockTimeout", int64(0))
	eq(t, rc, int32(0))
	// A timeout waits and then gives up.
	start := time.Now()
	rc, _ = getLock(t, b, ctx, "Resource", "ejops", "LockMode", "Shared", "LockOwner", "Session", "LockTimeout", int64(30))
	eq(t, rc, int32(-1))
	if time.Since(start) < 25*time.Millisecond {
		t.Fatal("did not wait for the timeout")
	}
	// Shared locks are compatible with each other.
	res, err := a.Call(ctx, "dbo.sp_releaseapplock", named("Resource", "ejops", "LockOwner", "Session"))
	eq(t, []any{res.ReturnStatus, err == nil}, []any{int32(0), true})
	rc, _ = getLock(t, a, ctx, "Resource", "ejops", "LockMode", "Shared", "LockOwner", "Session")
	eq(t, rc, int32(0))
	rc, _ = getLock(t, b, ctx, "Resource", "ejops", "LockMode", "Shared", "LockOwner", "Session", "LockTimeout", int64(0))
	eq(t, rc, int32(0))
	// Close releases a session's locks.
	a.Close()
	b.Close()
	c := db.NewSession()
	rc, _ = getLock(t, c, ctx, "Resource", "ejops", "LockMode", "Exclusive", "LockOwner", "Session", "LockTimeout", int64(0))
	eq(t, rc, int32(0))
}

func TestAppLockTransactionOwner(t *testing.T) {
	db := openTest(t)
	a, b := db.NewSession(), db.NewSession()
	ctx := context.Background()
	res, err := a.Call(ctx, "sys.sp_getapplock", named("Resource", "r", "LockMode", "Exclusive"))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, res.ReturnStatus, int32(-999))
	eq(t, len(res.Messages), 1)
	eq(t, []any{res.Messages[0].Number, res.Messages[0].Class, res.Messages[0].Message},
		[]any{int32(15626), uint8(10), "You attempted to acquire a transactional application lock without an active transaction."})
	if err := a.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	rc, _ := getLock(t, a, ctx, "Resource", "r", "LockMode", "Exclusive")
	eq(t, rc, int32(0))
	if err := b.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	rc, _ = getLock(t, b, ctx, "Resource", "r", "LockMode", "Exclusive", "LockTimeout", int64(0))
	eq(t, rc, int32(-1))
	// b waits; a's commit releases the lock and b is granted after waiting (1).
	got := make(chan int32)
	go func() {
		rc, _ := getLock(t, b, ctx, "Resource", "r", "LockMode", "Exclusive", "LockTimeout", int64(5000))
		got <- rc
	}()
	time.Sleep(20 * time.Millisecond)
	if err := a.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	eq(t, <-got, int32(1))
	// Rollback releases too.
	if err := b.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	rc, _ = getLock(t, a, ctx, "Resource", "r", "LockMode", "Exclusive", "LockTimeout", int64(0))
	eq(t, rc, int32(0))
	// Releasing outside a transaction or a lock not held.
	_, err = b.Call(ctx, "sp_releaseapplock", named("Resource", "r"))
	wantErr(t, err, 3918, "The statement or function must be executed in the context of a user transaction.")
	_, err = a.Call(ctx, "sp_releaseapplock", named("Resource", "other"))
	wantErr(t, err, 1223, "Cannot release the application lock (Database Principal: 'public', Resource: 'other') because it is not currently held.")
	res, err = a.Call(ctx, "sp_releaseapplock", named("Resource", "r", "LockOwner", "transaction"))
	eq(t, []any{res.ReturnStatus, err == nil}, []any{int32(0), true})
}

func TestAppLockParameterErrors(t *testing.T) {
	s := openTest(t).NewSession()
	ctx := context.Background()
	cases := []struct {
		args []any
		num  int32
		msg  string
		info bool
	}{
		{[]any{"Resource", "r", "LockMode", "Bogus", "LockOwner", "Session"}, 15625, "Option 'Bogus' not recognized for '@LockMode' parameter.", true},
		{[]any{"Resource", "r", "LockMode", "Shared", "LockOwner", "Bogus"}, 15625, "Option 'Bogus' not recognized for '@LockOwner' parameter.", true},
		{[]any{"Resource", "r", "LockMode", "Shared", "LockOwner", "Session", "LockTimeout", int64(-5)}, 1227, "An invalid application lock time-out was passed to xp_userlock.", false},
		{[]any{"LockMode", "Shared", "LockOwner", "Session"}, 1224, "An invalid application lock resource was passed to xp_userlock.", false},
		{[]any{"Resource", "r", "LockMode", "Shared", "LockOwner", "Session", "DbPrincipal", "nobody"}, 1202, "The database-principal 'nobody' does not exist or user is not a member.", false},
	}
	for _, tc := range cases {
		res, err := s.Call(ctx, "sp_getapplock", named(tc.args...))
		eq(t, res.ReturnStatus, int32(-999))
		if tc.info {
			if err != nil || len(res.Messages) != 1 {
				t.Fatalf("%v: want one message, got %v %v", tc.args, err, res.Messages)
			}
			eq(t, []any{res.Messages[0].Number, res.Messages[0].Message}, []any{tc.num, tc.msg})
		} else {
			wantErr(t, err, tc.num, tc.msg)
		}
	}
	_, err := s.Call(ctx, "sp_getapplock", named("Resource", "r"))
	wantErr(t, err, 201, "Procedure or function 'sp_getapplock' expects parameter '@LockMode', which was not supplied.")
}

func TestAppLockCancelAndDeadlock(t *testing.T) {
	db := openTest(t)
	a, b := db.NewSession(), db.NewSession()
	ctx := context.Background()
	getLock(t, a, ctx, "Resource", "x", "LockMode", "Exclusive", "LockOwner", "Session")
	getLock(t, b, ctx, "Resource", "y", "LockMode", "Exclusive", "LockOwner", "Session")
	cctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	rc, _ := getLock(t, a, cctx, "Resource", "y", "LockMode", "Exclusive", "LockOwner", "Session")
	eq(t, rc, int32(-2))

	// a waits for y (held by b); b asking for x (held by a) closes the cycle: b is the victim.
	got := make(chan int32)
	go func() {
		rc, _ := getLock(t, a, ctx, "Resource", "y", "LockMode", "Exclusive", "LockOwner", "Session")
		got <- rc
	}()
	time.Sleep(20 * time.Millisecond)
	rc, _ = getLock(t, b, ctx, "Resource", "x", "LockMode", "Exclusive", "LockOwner", "Session")
	eq(t, rc, int32(-3))
	b.Close()
	eq(t, <-got, int32(1))
}

func TestAppLockConcurrentSessions(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := db.NewSession()
			defer s.Close()
			for j := 0; j < 20; j++ {
				if err := s.Begin(ctx); err != nil {
					t.Error(err)
					return
				}
				rc, err := getLock(t, s, ctx, "Resource", "apply", "LockMode", "Exclusive", "LockTimeout", int64(-1))
				if err != nil || rc < 0 {
					t.Errorf("getapplock: %d %v", rc, err)
					return
				}
				n := inside.Add(1)
				if n > maxInside.Load() {
					maxInside.Store(n)
				}
				time.Sleep(50 * time.Microsecond)
				inside.Add(-1)
				if err := s.Commit(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	eq(t, maxInside.Load(), int32(1))
}

func TestAppLockReentrant(t *testing.T) {
	db := openTest(t)
	a, b := db.NewSession(), db.NewSession()
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		rc, _ := getLock(t, a, ctx, "Resource", "r", "LockMode", "Exclusive", "LockOwner", "Session")
		eq(t, rc, int32(0))
	}
	release := func() *sqlval.Error {
		_, err := a.Call(ctx, "sp_releaseapplock", named("Resource", "r", "LockOwner", "Session"))
		return err
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	// Held twice, released once: still held.
	rc, _ := getLock(t, b, ctx, "Resource", "r", "LockMode", "Shared", "LockOwner", "Session", "LockTimeout", int64(0))
	eq(t, rc, int32(-1))
	if err := release(); err != nil {
		t.Fatal(err)
	}
	rc, _ = getLock(t, b, ctx, "Resource", "r", "LockMode", "Shared", "LockOwner", "Session", "LockTimeout", int64(0))
	eq(t, rc, int32(0))
	// The write lock and application locks of one session never block each other.
	if err := a.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	mustCall(t, a, "jobs.sp_add_job", "job_name", "J")
	rc, _ = getLock(t, a, ctx, "Resource", "r", "LockMode", "Exclusive", "LockTimeout", int64(0))
	eq(t, rc, int32(-1)) // b holds Shared
	b.Close()
	rc, _ = getLock(t, a, ctx, "Resource", "r", "LockMode", "Exclusive", "LockTimeout", int64(0))
	eq(t, rc, int32(0))
	if err := a.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestWriteLockDeadlock(t *testing.T) {
	db := openTest(t)
	a, b := db.NewSession(), db.NewSession()
	ctx := context.Background()
	for _, s := range []*Session{a, b} {
		if err := s.Begin(ctx); err != nil {
			t.Fatal(err)
		}
	}
	rc, _ := getLock(t, a, ctx, "Resource", "r", "LockMode", "Exclusive")
	eq(t, rc, int32(0))
	mustCall(t, b, "jobs.sp_add_job", "job_name", "B") // b holds the write lock
	got := make(chan int32)
	go func() {
		rc, _ := getLock(t, b, ctx, "Resource", "r", "LockMode", "Exclusive") // waits for a
		got <- rc
	}()
	time.Sleep(20 * time.Millisecond)
	// a now needs the write lock held by b, which waits for a: a is the deadlock victim.
	_, err := a.Call(ctx, "jobs.sp_add_job", named("job_name", "A"))
	if err == nil || err.Number != 1205 {
		t.Fatalf("want 1205, got %v", err)
	}
	eq(t, a.TranCount(), 0)
	eq(t, a.RolledBack(), true)
	eq(t, <-got, int32(1))
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	eq(t, rowsOf(t, rel(t, a, "jobs.jobs"), "job_name"), []string{"B"})
}
