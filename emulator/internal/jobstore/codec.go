package jobstore

import (
	"encoding/binary"
	"errors"
	"math"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// The state file stores jobs and execution rows in a compact binary form, one blob per object.
// Objects are immutable, so a blob is encoded once and reused by every later save (blobCache).

type enc struct{ b []byte }

func (e *enc) u(v uint64)         { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) i(v int64)          { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) s(v string)         { e.u(uint64(len(v))); e.b = append(e.b, v...) }
func (e *enc) id(v sqlval.UUID)   { e.b = append(e.b, v[:]...) }
func (e *enc) f(v float64)        { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *enc) t(v time.Time)      { e.i(v.Unix()); e.u(uint64(v.Nanosecond())) }
func (e *enc) flag(set bool) bool { e.bool(set); return set }

func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *enc) ps(p *string) {
	if e.flag(p != nil) {
		e.s(*p)
	}
}

func (e *enc) pi(p *int64) {
	if e.flag(p != nil) {
		e.i(*p)
	}
}

func (e *enc) pid(p *sqlval.UUID) {
	if e.flag(p != nil) {
		e.id(*p)
	}
}

func (e *enc) pt(p *time.Time) {
	if e.flag(p != nil) {
		e.t(*p)
	}
}

var errCorrupt = errors.New("corrupt record")

// dec reads what enc wrote; after the first problem every read returns zero and err is set.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail() { d.err, d.b = errCorrupt, nil }

func (d *dec) u() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) i() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) bytes(n uint64) []byte {
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *dec) s() string { return string(d.bytes(d.u())) }

func (d *dec) id() (v sqlval.UUID) {
	copy(v[:], d.bytes(16))
	return v
}

func (d *dec) f() float64 {
	b := d.bytes(8)
	if b == nil {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}

func (d *dec) t() time.Time {
	sec, ns := d.i(), d.u()
	if ns >= 1e9 {
		d.fail()
		return time.Time{}
	}
	return time.Unix(sec, int64(ns)).UTC()
}

func (d *dec) bool() bool {
	b := d.bytes(1)
	if b == nil || b[0] > 1 {
		d.fail()
		return false
	}
	return b[0] == 1
}

func (d *dec) ps() *string {
	if !d.bool() {
		return nil
	}
	v := d.s()
	return &v
}

func (d *dec) pi() *int64 {
	if !d.bool() {
		return nil
	}
	v := d.i()
	return &v
}

func (d *dec) pid() *sqlval.UUID {
	if !d.bool() {
		return nil
	}
	v := d.id()
	return &v
}

func (d *dec) pt() *time.Time {
	if !d.bool() {
		return nil
	}
	v := d.t()
	return &v
}

// count reads a length that cannot exceed the bytes left (every element takes at least one).
func (d *dec) count() int {
	n := d.u()
	if n > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(n)
}

func (e *enc) step(s *step) {
	e.s(s.Name)
	e.s(s.CommandType)
	e.ps(s.CommandSource)
	e.s(s.Command)
	e.ps(s.CredentialName)
	e.id(s.TargetGroupID)
	e.pi(s.InitialRetrySeconds)
	e.pi(s.MaximumRetrySeconds)
	e.f(s.BackoffMultiplier)
	e.i(s.RetryAttempts)
	e.pi(s.TimeoutSeconds)
	e.ps(s.OutputType)
	e.ps(s.OutputCredential)
	e.pid(s.OutputSubscriptionID)
	e.ps(s.OutputResourceGroup)
	e.ps(s.OutputServer)
	e.ps(s.OutputDatabase)
	e.ps(s.OutputSchema)
	e.ps(s.OutputTable)
	e.pi(s.MaxParallelism)
}

func (d *dec) step() *step {
	return (&step{
		Name: d.s(), CommandType: d.s(), CommandSource: d.ps(), Command: d.s(), CredentialName: d.ps(),
		TargetGroupID: d.id(), InitialRetrySeconds: d.pi(), MaximumRetrySeconds: d.pi(), BackoffMultiplier: d.f(),
		RetryAttempts: d.i(), TimeoutSeconds: d.pi(), OutputType: d.ps(), OutputCredential: d.ps(),
		OutputSubscriptionID: d.pid(), OutputResourceGroup: d.ps(), OutputServer: d.ps(), OutputDatabase: d.ps(),
		OutputSchema: d.ps(), OutputTable: d.ps(), MaxParallelism: d.pi(),
	}).seal()
}

// encodeJob encodes a job with its versions; steps shared between versions are stored once.
func encodeJob(j *job) []byte {
	e := &enc{b: make([]byte, 0, 256)}
	e.id(j.ID)
	e.i(j.Seq)
	e.s(j.Name)
	e.s(j.Description)
	e.bool(j.Enabled)
	e.s(j.IntervalType)
	e.i(j.IntervalCount)
	e.t(j.StartTime)
	e.t(j.EndTime)
	e.pt(j.DeletedAt)
	e.pid(j.LastExecution)
	index := map[*step]int{}
	var uniq []*step
	for _, v := range j.Versions {
		for _, s := range v.Steps {
			if _, ok := index[s]; !ok {
				index[s] = len(uniq)
				uniq = append(uniq, s)
			}
		}
	}
	e.u(uint64(len(uniq)))
	for _, s := range uniq {
		e.step(s)
	}
	e.u(uint64(len(j.Versions)))
	for _, v := range j.Versions {
		e.u(uint64(len(v.Steps)))
		for _, s := range v.Steps {
			e.u(uint64(index[s]))
		}
	}
	return e.b
}

func decodeJob(b []byte) (*job, error) {
	d := &dec{b: b}
	j := &job{ID: d.id(), Seq: d.i(), Name: d.s(), Description: d.s(), Enabled: d.bool(), IntervalType: d.s(),
		IntervalCount: d.i(), StartTime: d.t(), EndTime: d.t(), DeletedAt: d.pt(), LastExecution: d.pid()}
	uniq := make([]*step, d.count())
	for i := range uniq {
		uniq[i] = d.step()
	}
	j.Versions = make([]*jobVersion, d.count())
	for i := range j.Versions {
		steps := make([]*step, d.count())
		for k := range steps {
			x := d.u()
			if x >= uint64(len(uniq)) {
				d.fail()
				break
			}
			steps[k] = uniq[x]
		}
		j.Versions[i] = &jobVersion{Steps: steps}
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	return j, d.err
}

func encodeExec(x *Execution) []byte {
	e := &enc{b: make([]byte, 0, 160)}
	e.i(x.Key)
	e.i(x.Parent)
	e.id(x.ExecutionID)
	e.id(x.JobID)
	e.i(x.JobVersion)
	e.i(x.StepID)
	e.s(x.StepName)
	e.s(x.Lifecycle)
	e.t(x.CreateTime)
	e.t(x.StartTime)
	e.t(x.EndTime)
	e.i(x.CurrentAttempts)
	e.t(x.CurrentAttemptStartTime)
	e.t(x.NextAttemptStartTime)
	e.s(x.LastMessage)
	e.s(x.TargetType)
	e.id(x.TargetID)
	e.s(x.TargetGroupName)
	e.id(x.TargetSubscription)
	e.s(x.TargetResourceGroup)
	e.s(x.TargetServer)
	e.s(x.TargetDatabase)
	e.s(x.TargetElasticPool)
	return e.b
}

func decodeExec(b []byte) (*Execution, error) {
	d := &dec{b: b}
	x := &Execution{Key: d.i(), Parent: d.i(), ExecutionID: d.id(), JobID: d.id(), JobVersion: d.i(), StepID: d.i(),
		StepName: d.s(), Lifecycle: d.s(), CreateTime: d.t(), StartTime: d.t(), EndTime: d.t(),
		CurrentAttempts: d.i(), CurrentAttemptStartTime: d.t(), NextAttemptStartTime: d.t(), LastMessage: d.s(),
		TargetType: d.s(), TargetID: d.id(), TargetGroupName: d.s(), TargetSubscription: d.id(),
		TargetResourceGroup: d.s(), TargetServer: d.s(), TargetDatabase: d.s(), TargetElasticPool: d.s()}
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	return x, d.err
}

// blobCache keeps the encoded form of immutable objects between saves, keyed by pointer. Each
// save keeps only the entries still in use.
type blobCache struct {
	jobs  map[*job][]byte
	execs map[*Execution][]byte
}

// encode returns the blobs of all jobs and execution rows of st, reusing cached ones.
func (c *blobCache) encode(st *state) (jobs, execs [][]byte) {
	nj := make(map[*job][]byte, st.Jobs.len())
	jobs = make([][]byte, 0, st.Jobs.len())
	st.Jobs.each(func(_ sqlval.UUID, j *job) bool {
		b, ok := c.jobs[j]
		if !ok {
			b = encodeJob(j)
		}
		nj[j] = b
		jobs = append(jobs, b)
		return true
	})
	ne := make(map[*Execution][]byte, st.Execs.len())
	execs = make([][]byte, 0, st.Execs.len())
	st.Execs.each(func(_ int64, x *Execution) bool {
		b, ok := c.execs[x]
		if !ok {
			b = encodeExec(x)
		}
		ne[x] = b
		execs = append(execs, b)
		return true
	})
	c.jobs, c.execs = nj, ne
	return jobs, execs
}
