package agent

import (
	"context"
	"crypto/sha1"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ejops/ejops/emulator/internal/jobstore"
	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// run is one job execution the agent is driving.
type run struct {
	id      sqlval.UUID
	rootKey int64
	jobID   sqlval.UUID
	jobName string
	created time.Time // the job execution's create_time
	version int64
	steps   []stepDef
	cur     int   // index of the current or last step; -1 before the first
	stepKey int64 // key of the current step row; 0 between steps
	targets []*target
	skipped bool // a finished step ended SucceededWithSkipped
	done    bool
}

// target is one child row of the current step: an enumeration row or a database.
type target struct {
	key       int64
	lifecycle string
	enum      bool   // server or pool enumeration row
	dbKey     string // serverKey/lower(database), for Skipped detection
	pool      string // poolKey; "" outside pools
	attempt   int64
	dur       time.Duration
	fail      *Failure
	missing   string // not "": the database does not exist, with this message
	execute   bool   // attempts run the step's T-SQL (Database.Execute)
	server    string // the database's server and name, as the target row names them
	database  string
	startedIn int64 // the Step (Agent.stepSeq) that started the latest attempt
	queued    bool  // ready but held back by the tier's cap on connections

	attemptEnd, timeoutAt, retryAt time.Time
}

func (r *run) step() *stepDef { return &r.steps[r.cur] }

// pickUp starts the runs that sp_start_job created and settles active rows nobody drives.
func (a *Agent) pickUp(ctx context.Context, now time.Time) error {
	active := a.db.ActiveExecutions()
	trees := map[sqlval.UUID][]jobstore.Execution{}
	var order []sqlval.UUID
	for _, e := range active {
		if _, ok := trees[e.ExecutionID]; !ok {
			order = append(order, e.ExecutionID)
		}
		trees[e.ExecutionID] = append(trees[e.ExecutionID], e)
	}
	for id, r := range a.runs {
		if _, ok := trees[id]; !ok {
			r.done = true // finished or removed behind the agent's back
			delete(a.runs, id)
		}
	}
	var errs []error
	needSteps := false
	for _, id := range order {
		if _, ok := a.runs[id]; ok {
			continue
		}
		rows := trees[id]
		if root := rows[0]; len(rows) == 1 && root.Parent == 0 && root.Lifecycle == jobstore.Created {
			if _, ok := a.steps[versionKey{root.JobID, root.JobVersion}]; !ok {
				needSteps = true
			}
		}
	}
	if needSteps {
		steps, err := loadSteps(a.db)
		if err != nil {
			return err
		}
		a.steps = steps
	}
	for _, id := range order {
		if _, ok := a.runs[id]; ok {
			continue
		}
		rows := trees[id]
		root := rows[0]
		if len(rows) != 1 || root.Parent != 0 || root.Lifecycle != jobstore.Created {
			// A tree that was running before the agent started: nobody can finish it.
			errs = append(errs, a.abandon(ctx, rows, now))
			continue
		}
		r := &run{id: id, rootKey: root.Key, jobID: root.JobID, version: root.JobVersion, cur: -1,
			created: root.CreateTime, steps: a.steps[versionKey{root.JobID, root.JobVersion}]}
		if len(r.steps) > 0 {
			r.jobName = r.steps[0].JobName
		}
		if len(r.steps) == 0 {
			errs = append(errs, a.update(ctx, root.Key, func(e *jobstore.Execution) {
				e.Lifecycle, e.StartTime, e.EndTime = jobstore.Failed, now, now
				e.LastMessage = fmt.Sprintf("Job version %d has no steps.", root.JobVersion)
			}))
			continue
		}
		if _, canceled := a.db.CancelRequested(id); !canceled {
			if err := a.update(ctx, root.Key, func(e *jobstore.Execution) {
				e.Lifecycle, e.StartTime = jobstore.InProgress, now
			}); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		a.log.Debug("execution picked up", "execution_id", id.String())
		a.runs[id] = r
	}
	return joinErrs(errs)
}

// abandon ends the active rows of a tree the agent has no memory of.
func (a *Agent) abandon(ctx context.Context, rows []jobstore.Execution, now time.Time) error {
	life, msg := jobstore.Failed, "The job execution was interrupted because the agent restarted."
	if _, ok := a.db.CancelRequested(rows[0].ExecutionID); ok {
		life, msg = jobstore.Canceled, cancelMessage
	}
	var errs []error
	for i := len(rows) - 1; i >= 0; i-- {
		errs = append(errs, a.update(ctx, rows[i].Key, func(e *jobstore.Execution) {
			e.Lifecycle, e.EndTime, e.LastMessage = life, now, msg
		}))
	}
	return joinErrs(errs)
}

const cancelMessage = "The job execution was canceled."

// update changes an execution row in the Step's batch.
func (a *Agent) update(_ context.Context, key int64, fn func(e *jobstore.Execution)) error {
	return a.batch.UpdateExecution(key, func(e *jobstore.Execution) error {
		fn(e)
		return nil
	})
}

// advance moves one run as far as it goes at now.
func (a *Agent) advance(ctx context.Context, r *run, now time.Time) error {
	for !r.done {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, ok := a.db.CancelRequested(r.id); ok {
			return a.cancel(ctx, r, now)
		}
		progressed, err := a.advanceTargets(ctx, r, now)
		if err != nil {
			return err
		}
		if r.stepKey != 0 && r.targetsDone() {
			if err := a.finishStep(ctx, r, now); err != nil {
				return err
			}
			progressed = true
		}
		if !r.done && r.stepKey == 0 {
			if err := a.nextStep(ctx, r, now); err != nil {
				return err
			}
			progressed = true
		}
		if !progressed {
			break
		}
	}
	return nil
}

func (r *run) targetsDone() bool {
	for _, t := range r.targets {
		if jobstore.IsActive(t.lifecycle) {
			return false
		}
	}
	return true
}

// cancel ends every active row of the run as Canceled, children first.
func (a *Agent) cancel(ctx context.Context, r *run, now time.Time) error {
	var errs []error
	set := func(key int64) {
		errs = append(errs, a.update(ctx, key, func(e *jobstore.Execution) {
			e.Lifecycle, e.EndTime, e.LastMessage = jobstore.Canceled, now, cancelMessage
			e.NextAttemptStartTime = time.Time{}
		}))
	}
	for _, t := range r.targets {
		if jobstore.IsActive(t.lifecycle) {
			t.lifecycle = jobstore.Canceled
			set(t.key)
		}
	}
	if r.stepKey != 0 {
		set(r.stepKey)
		r.stepKey = 0
	}
	set(r.rootKey)
	r.done = true
	a.log.Debug("execution canceled", "execution_id", r.id.String())
	return joinErrs(errs)
}

// nextStep starts the step after the current one, or ends the run after the last.
//
// The step row names its target group but has no target_type nor target_id: [D] the valid
// target_type values are SqlServer, SqlElasticPool and SqlDatabase, and target_id is the ID of a
// target group member ("jobs.job_executions (Azure Elastic Jobs) (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-catalog-views/jobs-job-executions-elastic-jobs-transact-sql);
// a step row is none of them, so both are NULL [I]. [U] The Azure Resource Manager API's
// JobExecutionTarget type also has a TargetGroup value, which the service may report here.
func (a *Agent) nextStep(ctx context.Context, r *run, now time.Time) error {
	r.cur++
	if r.cur >= len(r.steps) {
		life := jobstore.Succeeded
		if r.skipped {
			life = jobstore.SucceededWithSkipped
		}
		return a.finishRun(ctx, r, now, life, "")
	}
	s := r.step()
	key, err := a.batch.AddExecution(jobstore.Execution{
		Parent: r.rootKey, StepID: s.StepID, StepName: s.Name, Lifecycle: jobstore.InProgress,
		CreateTime: now, StartTime: now, CurrentAttempts: 1, CurrentAttemptStartTime: now,
		TargetGroupName: s.GroupName,
	})
	if err != nil {
		return err
	}
	r.stepKey = key
	r.targets = nil
	if r.cur == 0 {
		if err := a.update(ctx, r.rootKey, func(e *jobstore.Execution) { e.Lifecycle = jobstore.WaitingForChildJobExecutions }); err != nil {
			return err
		}
	}
	if !s.hasTargetGroup {
		msg := "The step's target group does not exist."
		if err := a.update(ctx, key, func(e *jobstore.Execution) {
			e.Lifecycle, e.EndTime, e.LastMessage = jobstore.Failed, now, msg
		}); err != nil {
			return err
		}
		r.stepKey = 0
		return a.finishRun(ctx, r, now, jobstore.Failed, fmt.Sprintf("Step %d (%s): %s", s.StepID, s.Name, msg))
	}
	if err := a.expand(ctx, r, now); err != nil {
		return err
	}
	if len(r.targets) > 0 {
		return a.update(ctx, key, func(e *jobstore.Execution) { e.Lifecycle = jobstore.WaitingForChildJobExecutions })
	}
	return nil
}

// dbRef is one database a step runs on.
type dbRef struct {
	server, database, pool string // as named by the member or the fleet
	targetID               sqlval.UUID
	db                     *fleetDB // nil: not in the fleet (or no fleet)
}

// dbKey is the key of a database, unique across servers.
func dbKey(server, database string) string {
	return serverKey(server) + "/" + strings.ToLower(database)
}

// poolKey is the key of an elastic pool, unique across servers (the key of target.pool).
func poolKey(server, pool string) string {
	return serverKey(server) + "/" + strings.ToLower(pool)
}

// expand enumerates the step's target group at now and adds the target rows: one enumeration
// row per server or pool member, then one row per database left after the group's exclusions.
func (a *Agent) expand(ctx context.Context, r *run, now time.Time) error {
	if a.members == nil {
		m, err := loadMembers(a.db)
		if err != nil {
			return err
		}
		a.members = m
	}
	ix := a.fleet.Load().ix
	g := resolveGroup(a.members[r.step().GroupID], ix, func(m member) string { return a.refreshFailure(ix, m) })
	for _, e := range g.enums {
		if err := a.addEnumRow(r, e, g.ex, now); err != nil {
			return err
		}
	}
	for _, ref := range g.refs {
		if g.ex.excludes(ref) {
			continue
		}
		if err := a.addTargetRow(r, ref, ix, now); err != nil {
			return err
		}
	}
	return nil
}

// enumRow is the enumeration row of a server or pool member.
type enumRow struct {
	m    member
	life string
	msg  string
	dbs  []dbRef // the databases found, before exclusions
}

// exclusions are the Exclude members of a target group, by database, pool and server key.
type exclusions struct{ db, pool, server map[string]bool }

func (x exclusions) add(m member) {
	switch m.Type {
	case "SqlDatabase":
		x.db[dbKey(m.Server, m.Database)] = true
	case "SqlElasticPool":
		x.pool[poolKey(m.Server, m.Pool)] = true
	case "SqlServer":
		x.server[serverKey(m.Server)] = true
	}
}

func (x exclusions) excludes(ref dbRef) bool {
	return x.db[dbKey(ref.server, ref.database)] || x.server[serverKey(ref.server)] ||
		(ref.pool != "" && x.pool[poolKey(ref.server, ref.pool)])
}

// resolvedGroup is a target group resolved over the fleet: the enumeration rows of its server
// and pool members, every database found, once, in member order, and the exclusions.
type resolvedGroup struct {
	enums []enumRow
	refs  []dbRef
	seen  map[string]bool
	ex    exclusions
}

// resolveGroup resolves the members of a target group over the fleet index (nil: no fleet);
// refresh returns why a server or pool member cannot be enumerated, or "".
func resolveGroup(members []member, ix *fleetIndex, refresh func(member) string) *resolvedGroup {
	g := &resolvedGroup{seen: map[string]bool{},
		ex: exclusions{db: map[string]bool{}, pool: map[string]bool{}, server: map[string]bool{}}}
	for _, m := range members {
		if !m.Include {
			g.ex.add(m)
			continue
		}
		var si *serverIndex
		if ix != nil {
			si = ix.servers[serverKey(m.Server)]
		}
		switch m.Type {
		case "SqlDatabase":
			ref := dbRef{server: m.Server, database: m.Database, targetID: m.TargetID}
			if si != nil {
				if fd, ok := si.dbs[strings.ToLower(m.Database)]; ok {
					ref.db, ref.pool = &fd, fd.Pool
				}
			}
			g.add(ref)
		case "SqlServer", "SqlElasticPool":
			if msg := refresh(m); msg != "" {
				g.enums = append(g.enums, enumRow{m: m, life: jobstore.Failed, msg: msg})
				continue
			}
			g.enums = append(g.enums, g.enumerate(m, ix, si))
		default:
			g.enums = append(g.enums, enumRow{m: m, life: jobstore.Failed, msg: fmt.Sprintf("Target type '%s' is not supported by the emulator.", m.Type)})
		}
	}
	return g
}

// add records a database unless it was found already.
func (g *resolvedGroup) add(ref dbRef) {
	k := dbKey(ref.server, ref.database)
	if !g.seen[k] {
		g.seen[k] = true
		g.refs = append(g.refs, ref)
	}
}

// enumerate lists the databases of a server or pool member (master excepted); the row fails
// when the fleet has no such server or pool.
func (g *resolvedGroup) enumerate(m member, ix *fleetIndex, si *serverIndex) enumRow {
	e := enumRow{m: m, life: jobstore.Succeeded}
	var dbs []fleetDB
	switch {
	case ix == nil:
	case si == nil:
		e.life, e.msg = jobstore.Failed, fmt.Sprintf("Failed to enumerate databases: server '%s' was not found.", m.Server)
	case si.unreachable:
		e.life, e.msg = jobstore.Failed, "Failed to enumerate databases: "+NetworkError
	case m.Type == "SqlServer":
		dbs = si.all
	default:
		p, ok := si.pools[strings.ToLower(m.Pool)]
		if !ok {
			e.life, e.msg = jobstore.Failed, fmt.Sprintf("Failed to enumerate databases: elastic pool '%s' was not found on server '%s'.", m.Pool, m.Server)
		}
		dbs = p
	}
	for i := range dbs {
		fd := dbs[i]
		if strings.EqualFold(fd.Name, "master") {
			continue
		}
		ref := dbRef{server: m.Server, database: fd.Name, pool: fd.Pool, targetID: nameUUID(m.Server, fd.Name), db: &fd}
		e.dbs = append(e.dbs, ref)
		g.add(ref)
	}
	return e
}

// addEnumRow adds the finished enumeration row of a server or pool member, counting the
// databases left after the group's exclusions.
func (a *Agent) addEnumRow(r *run, e enumRow, ex exclusions, now time.Time) error {
	if e.life == jobstore.Succeeded && e.msg == "" {
		n := 0
		for _, ref := range e.dbs {
			if !ex.excludes(ref) {
				n++
			}
		}
		e.msg = fmt.Sprintf("Enumerated %d database(s).", n)
		if x := len(e.dbs) - n; x > 0 {
			e.msg = fmt.Sprintf("Enumerated %d database(s); %d more excluded by the target group.", n, x)
		}
	}
	s := r.step()
	key, err := a.batch.AddExecution(jobstore.Execution{
		Parent: r.stepKey, StepID: s.StepID, StepName: s.Name, Lifecycle: e.life,
		CreateTime: now, StartTime: now, EndTime: now, CurrentAttempts: 1, CurrentAttemptStartTime: now,
		LastMessage: e.msg, TargetType: e.m.Type, TargetID: e.m.TargetID, TargetGroupName: s.GroupName,
		TargetServer: e.m.Server, TargetElasticPool: e.m.Pool,
	})
	if err != nil {
		return err
	}
	r.targets = append(r.targets, &target{key: key, lifecycle: e.life, enum: true})
	return nil
}

// addTargetRow adds the Created row of one target database, with its outcome from the fleet; a
// database the fleet lacks will fail to open.
func (a *Agent) addTargetRow(r *run, ref dbRef, ix *fleetIndex, now time.Time) error {
	t := &target{lifecycle: jobstore.Created, dbKey: dbKey(ref.server, ref.database), server: ref.server, database: ref.database}
	if ref.pool != "" {
		t.pool = poolKey(ref.server, ref.pool)
	}
	switch {
	case ix.unreachable(ref.server):
		t.missing = NetworkError
	case ref.db != nil:
		t.dur, t.fail, t.execute = ix.duration(ref.db.Database), ref.db.Failure, ref.db.Execute
	case ix != nil && !strings.EqualFold(ref.database, "master"):
		t.missing = fmt.Sprintf("Msg 4060, Level 11, State 1: Cannot open database \"%s\" requested by the login. The login failed.", ref.database)
	}
	s := r.step()
	if t.missing == "" {
		if t.missing = a.loginFailure(ix, s, ref.db); t.missing != "" {
			t.dur = 0 // the login fails at once
		}
	}
	key, err := a.batch.AddExecution(jobstore.Execution{
		Parent: r.stepKey, StepID: s.StepID, StepName: s.Name, Lifecycle: jobstore.Created, CreateTime: now,
		TargetType: "SqlDatabase", TargetID: ref.targetID, TargetGroupName: s.GroupName,
		TargetServer: ref.server, TargetDatabase: ref.database, TargetElasticPool: ref.pool,
	})
	if err != nil {
		return err
	}
	t.key = key
	r.targets = append(r.targets, t)
	return nil
}

// NetworkError is the failure of a connection to an unreachable server (Server.Unreachable):
// [I] the text SQL Server's client drivers give when no server answers.
const NetworkError = "A network-related or instance-specific error occurred while establishing a connection to SQL Server. The server was not found or was not accessible."

// nameUUID derives a stable target id for an enumerated database.
func nameUUID(server, database string) sqlval.UUID {
	sum := sha1.Sum([]byte("ejops-target\x00" + dbKey(server, database)))
	var u sqlval.UUID
	copy(u[:], sum[:16])
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return u
}

// advanceTargets ends the attempts that are over and starts the ones that may start.
func (a *Agent) advanceTargets(ctx context.Context, r *run, now time.Time) (bool, error) {
	if r.stepKey == 0 {
		return false, nil
	}
	s := r.step()
	progressed := false
	running := map[string]int64{}
	for _, t := range r.targets {
		if t.lifecycle != jobstore.InProgress {
			continue
		}
		switch {
		case !t.attemptEnd.After(now) && !t.attemptEnd.After(t.timeoutAt):
			if err := a.endAttempt(ctx, r, t, now); err != nil {
				return progressed, err
			}
			progressed = true
		case !t.timeoutAt.After(now):
			t.lifecycle = jobstore.TimedOut
			msg := fmt.Sprintf("The step timed out after %d seconds.", int64(s.Timeout/time.Second))
			if err := a.update(ctx, t.key, func(e *jobstore.Execution) {
				e.Lifecycle, e.EndTime, e.LastMessage = jobstore.TimedOut, t.timeoutAt, msg
			}); err != nil {
				return progressed, err
			}
			progressed = true
		default:
			if t.pool != "" {
				running[t.pool]++
			}
		}
	}
	limited, free := false, 0 // free: connections left under the tier's cap
	if ix := a.fleet.Load().ix; ix != nil && ix.cap > 0 {
		limited, free = true, ix.cap-a.connections()
	}
	for _, t := range r.targets {
		ready := t.lifecycle == jobstore.Created || (t.lifecycle == jobstore.WaitingForRetry && !t.retryAt.After(now))
		if !ready || t.startedIn == a.stepSeq {
			continue
		}
		if t.pool != "" && s.MaxParallelism > 0 && running[t.pool] >= s.MaxParallelism {
			t.queued = false
			continue
		}
		if t.queued = limited && free <= 0; t.queued {
			continue
		}
		if t.lifecycle == jobstore.Created && a.runningElsewhere(r, s.StepID, t.dbKey) {
			t.lifecycle = jobstore.Skipped
			if err := a.update(ctx, t.key, func(e *jobstore.Execution) {
				e.Lifecycle, e.StartTime, e.EndTime = jobstore.Skipped, now, now
				e.LastMessage = "Skipped: another execution of this job step is already running on this target."
			}); err != nil {
				return progressed, err
			}
			progressed = true
			continue
		}
		first := t.lifecycle == jobstore.Created
		t.lifecycle = jobstore.InProgress
		t.attempt++
		t.startedIn = a.stepSeq
		t.attemptEnd, t.timeoutAt = now.Add(t.dur), now.Add(s.Timeout)
		if err := a.update(ctx, t.key, func(e *jobstore.Execution) {
			e.Lifecycle = jobstore.InProgress
			if first {
				e.StartTime = now
			}
			e.CurrentAttempts, e.CurrentAttemptStartTime, e.NextAttemptStartTime = t.attempt, now, time.Time{}
		}); err != nil {
			return progressed, err
		}
		if t.pool != "" {
			running[t.pool]++
		}
		free--
		progressed = true
	}
	return progressed, nil
}

// connections counts the attempts in progress over every run: the agent's open target
// connections.
func (a *Agent) connections() int {
	n := 0
	for _, r := range a.runs {
		for _, t := range r.targets {
			if t.lifecycle == jobstore.InProgress && !t.enum {
				n++
			}
		}
	}
	return n
}

// runningElsewhere reports whether another execution of the same job step is running on the
// database.
func (a *Agent) runningElsewhere(r *run, stepID int64, key string) bool {
	for _, o := range a.runs {
		if o == r || o.done || o.jobID != r.jobID || o.stepKey == 0 || o.step().StepID != stepID {
			continue
		}
		for _, t := range o.targets {
			if t.dbKey == key && (t.lifecycle == jobstore.InProgress || t.lifecycle == jobstore.WaitingForRetry) {
				return true
			}
		}
	}
	return false
}

// endAttempt records the outcome of an attempt that ran its course.
func (a *Agent) endAttempt(ctx context.Context, r *run, t *target, now time.Time) error {
	s := r.step()
	msg := t.missing
	if msg == "" && t.fail.fails(t.attempt) {
		n := t.fail.Number
		if n == 0 {
			n = 50000
		}
		msg = fmt.Sprintf("Msg %d, Level 16, State 1, Line 1: %s", n, t.fail.Message)
	}
	if msg == "" && t.execute {
		msg = a.execute(ctx, r, t)
	}
	switch {
	case msg == "":
		t.lifecycle = jobstore.Succeeded
		return a.update(ctx, t.key, func(e *jobstore.Execution) {
			e.Lifecycle, e.EndTime, e.LastMessage = jobstore.Succeeded, now, ""
		})
	case t.attempt < 1+s.RetryAttempts:
		t.lifecycle = jobstore.WaitingForRetry
		t.retryAt = now.Add(retryDelay(s, t.attempt))
		return a.update(ctx, t.key, func(e *jobstore.Execution) {
			e.Lifecycle, e.NextAttemptStartTime, e.LastMessage = jobstore.WaitingForRetry, t.retryAt, msg
		})
	default:
		t.lifecycle = jobstore.Failed
		return a.update(ctx, t.key, func(e *jobstore.Execution) {
			e.Lifecycle, e.EndTime, e.LastMessage = jobstore.Failed, now, msg
		})
	}
}

// retryDelay is the wait after failed attempt n (1-based): the initial interval times the
// multiplier to the power n-1, capped at the maximum interval.
func retryDelay(s *stepDef, n int64) time.Duration {
	sec := s.InitialRetry * math.Pow(math.Max(s.Multiplier, 1), float64(n-1))
	if math.IsNaN(sec) || sec > s.MaxRetry {
		sec = s.MaxRetry
	}
	sec = math.Max(0, math.Min(sec, float64(math.MaxInt64/int64(time.Second))))
	return time.Duration(sec * float64(time.Second))
}

// finishStep ends the step row with the outcome of its targets.
func (a *Agent) finishStep(ctx context.Context, r *run, now time.Time) error {
	s := r.step()
	var n, failed, timedOut, skipped, canceled int
	for _, t := range r.targets {
		n++
		switch t.lifecycle {
		case jobstore.Failed:
			failed++
		case jobstore.TimedOut:
			timedOut++
		case jobstore.Skipped:
			skipped++
		case jobstore.Canceled:
			canceled++
		}
	}
	life, msg := jobstore.Succeeded, ""
	switch {
	case failed > 0:
		life, msg = jobstore.Failed, fmt.Sprintf("The step failed on %d of %d target(s).", failed, n)
	case timedOut > 0:
		life, msg = jobstore.TimedOut, fmt.Sprintf("The step timed out on %d of %d target(s).", timedOut, n)
	case canceled > 0:
		life, msg = jobstore.Canceled, cancelMessage
	case skipped > 0:
		life, msg = jobstore.SucceededWithSkipped, fmt.Sprintf("The step was skipped on %d of %d target(s).", skipped, n)
	}
	if err := a.update(ctx, r.stepKey, func(e *jobstore.Execution) {
		e.Lifecycle, e.EndTime, e.LastMessage = life, now, msg
	}); err != nil {
		return err
	}
	r.stepKey = 0
	switch life {
	case jobstore.SucceededWithSkipped:
		r.skipped = true
	case jobstore.Failed, jobstore.TimedOut, jobstore.Canceled:
		return a.finishRun(ctx, r, now, life, fmt.Sprintf("Step %d (%s): %s", s.StepID, s.Name, msg))
	}
	return nil
}

func (a *Agent) finishRun(ctx context.Context, r *run, now time.Time, life, msg string) error {
	r.done = true
	a.log.Debug("execution finished", "execution_id", r.id.String(), "lifecycle", life)
	return a.update(ctx, r.rootKey, func(e *jobstore.Execution) {
		e.Lifecycle, e.EndTime, e.LastMessage = life, now, msg
	})
}
