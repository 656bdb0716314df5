package serve

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"riverqueue.com/riverui"
	"riverqueue.com/riverui/uiendpoints"
)

// A JobStore=postgres://… (or postgresql://) setting names a PostgreSQL
// database: every advmail serve on every machine that names it joins one
// queue. River's pgx driver runs the queue; the named locks live in the
// advmail_lock table; each job-section run also holds a session advisory
// lock on its LockKey while it runs (see advisoryLock).

const (
	// pgConnectTimeout bounds one connection attempt when the DSN sets
	// no connect_timeout.
	pgConnectTimeout = 10 * time.Second
	// pgMigrateWait bounds the wait for another node's migrations.
	pgMigrateWait = 2 * time.Minute
	// pgLockWait bounds taking or releasing one advisory lock.
	pgLockWait = 10 * time.Second
	// lockSnooze is how long a job that finds its LockKey's advisory
	// lock held waits before it is tried again.
	lockSnooze = 5 * time.Second
)

// pgStore is the PostgreSQL side of a Store.
type pgStore struct {
	pool   *pgxpool.Pool
	driver *riverpgxv5.Driver
}

// engine is the part of a River client the server uses, whatever the
// driver of the store (River's Client is generic over its transaction
// type: *sql.Tx for SQLite, pgx.Tx for PostgreSQL).
type engine interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
}

// isPostgres reports whether a JobStore setting names a PostgreSQL store.
func isPostgres(setting string) bool {
	low := strings.ToLower(strings.TrimSpace(setting))
	return strings.HasPrefix(low, "postgres://") || strings.HasPrefix(low, "postgresql://")
}

// redactDSN returns dsn with its password hidden, for logs and Store.Path.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparsable DSN)"
	}
	return u.Redacted()
}

// openPGStore connects to the PostgreSQL store named by dsn and brings
// River's schema and the lock table up to date.
func openPGStore(ctx context.Context, dsn string) (*Store, error) {
	dsn = strings.TrimSpace(dsn)
	shown := redactDSN(dsn)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors may quote the DSN: show the redacted one.
		return nil, fmt.Errorf("serve: JobStore=%s: not a valid PostgreSQL DSN", shown)
	}
	if cfg.ConnConfig.ConnectTimeout <= 0 {
		cfg.ConnConfig.ConnectTimeout = pgConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("serve: open job store %s: %w", shown, err)
	}
	pctx, cancel := context.WithTimeout(ctx, pgConnectTimeout+5*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("serve: open job store %s: %w", shown, err)
	}
	s := &Store{Path: shown, pg: &pgStore{pool: pool, driver: riverpgxv5.New(pool)}}
	if err := s.pg.migrate(ctx, shown); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// migrationLock is the advisory lock key under which a node migrates, so
// that nodes starting together migrate one after the other.
var migrationLock = lockID("advmail:migrate")

// migrate runs River's migrations and creates the lock table, holding
// the migration advisory lock.
func (p *pgStore) migrate(ctx context.Context, shown string) error {
	ctx, cancel := context.WithTimeout(ctx, pgMigrateWait)
	defer cancel()
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("serve: migrate job store %s: %w", shown, err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("serve: migrate job store %s: wait for other nodes: %w", shown, err)
	}
	defer func() {
		uctx, ucancel := context.WithTimeout(context.Background(), pgLockWait)
		defer ucancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, migrationLock); err != nil {
			// Ending the session releases the lock.
			conn.Hijack().Close(uctx)
		}
	}()
	m, err := rivermigrate.New(p.driver, nil)
	if err != nil {
		return fmt.Errorf("serve: job store migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("serve: migrate job store %s: %w", shown, err)
	}
	_, err = conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS advmail_lock (
		name TEXT PRIMARY KEY,
		owner TEXT NOT NULL,
		expires_at BIGINT NOT NULL)`)
	if err != nil {
		return fmt.Errorf("serve: job store %s: lock table: %w", shown, err)
	}
	return nil
}

// lock, unlock and unlockAll are Store.Lock, Unlock and UnlockAll on
// PostgreSQL.
func (p *pgStore) lock(ctx context.Context, name, owner string, expires time.Time) (bool, error) {
	tag, err := p.pool.Exec(ctx, `INSERT INTO advmail_lock(name, owner, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
		WHERE advmail_lock.expires_at < $4`,
		name, owner, expires.UnixMilli(), time.Now().UnixMilli())
	if err != nil {
		return false, fmt.Errorf("lock %s: %w", name, err)
	}
	return tag.RowsAffected() == 1, nil
}

func (p *pgStore) unlock(ctx context.Context, name, owner string) (bool, error) {
	tag, err := p.pool.Exec(ctx, `DELETE FROM advmail_lock WHERE name = $1 AND owner = $2`, name, owner)
	if err != nil {
		return false, fmt.Errorf("unlock %s: %w", name, err)
	}
	return tag.RowsAffected() == 1, nil
}

func (p *pgStore) unlockAll(ctx context.Context, owner string) error {
	if _, err := p.pool.Exec(ctx, `DELETE FROM advmail_lock WHERE owner = $1`, owner); err != nil {
		return fmt.Errorf("release locks of %s: %w", owner, err)
	}
	return nil
}

// newClient builds a River client on the store's driver. On PostgreSQL
// the client also fences each run with an advisory lock on its LockKey.
func (s *Store) newClient(cfg *river.Config) (engine, error) {
	if s.pg == nil {
		c, err := river.NewClient(s.driver, cfg)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	cfg.Middleware = append(cfg.Middleware, &advisoryLock{pool: s.pg.pool, snooze: lockSnooze})
	c, err := river.NewClient(s.pg.driver, cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// uiEndpoints returns River UI's endpoints for the client c.
func uiEndpoints(c engine) (uiendpoints.Bundle, error) {
	switch c := c.(type) {
	case *river.Client[*sql.Tx]:
		return riverui.NewEndpoints(c, nil), nil
	case *river.Client[pgx.Tx]:
		return riverui.NewEndpoints(c, nil), nil
	}
	return nil, fmt.Errorf("serve: no job UI for a %T client", c)
}

// lockID maps a lock name to a PostgreSQL advisory lock key: the 64-bit
// FNV-1a hash of the name.
func lockID(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}

// lockKeyID is the advisory lock key of a LockKey.
func lockKeyID(key string) int64 { return lockID("advmail:lockkey:" + key) }

// advisoryLock is River worker middleware: a job-section run holds a
// session advisory lock on its LockKey, on a connection of its own, while
// it runs, as a second fence beside River's unique inserts (a run whose
// node is cut off but still alive keeps it until its session ends). A run
// that finds the lock held is not run now: it is snoozed.
type advisoryLock struct {
	river.MiddlewareDefaults
	pool   *pgxpool.Pool
	snooze time.Duration
}

// Work implements rivertype.WorkerMiddleware.
func (m *advisoryLock) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	key, ok := runLockKey(job)
	if !ok {
		return doInner(ctx)
	}
	l, err := tryAdvisoryLock(ctx, m.pool, key)
	if errors.Is(err, errLockHeld) {
		return river.JobSnooze(m.snooze)
	}
	if err != nil {
		return err
	}
	defer l.release()
	return doInner(ctx)
}

// runLockKey returns the LockKey of a job-section run.
func runLockKey(job *rivertype.JobRow) (string, bool) {
	if job.Kind != kindJob {
		return "", false
	}
	var a jobArgs
	if err := json.Unmarshal(job.EncodedArgs, &a); err != nil || a.LockKey == "" {
		return "", false
	}
	return a.LockKey, true
}

// errLockHeld reports that another session holds an advisory lock.
var errLockHeld = errors.New("advisory lock held by another session")

// pgLock is a held session advisory lock and its connection.
type pgLock struct {
	conn *pgxpool.Conn
	id   int64
	key  string
}

// tryAdvisoryLock takes the session advisory lock of LockKey key on a
// connection of its own, without waiting: errLockHeld when another
// session holds it.
func tryAdvisoryLock(ctx context.Context, pool *pgxpool.Pool, key string) (*pgLock, error) {
	ctx, cancel := context.WithTimeout(ctx, pgLockWait)
	defer cancel()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("advisory lock %s: %w", key, err)
	}
	id := lockKeyID(key)
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, id).Scan(&got); err != nil {
		conn.Release()
		return nil, fmt.Errorf("advisory lock %s: %w", key, err)
	}
	if !got {
		conn.Release()
		return nil, fmt.Errorf("advisory lock %s: %w", key, errLockHeld)
	}
	return &pgLock{conn: conn, id: id, key: key}, nil
}

// release releases the lock and returns its connection to the pool; when
// the unlock fails the connection is closed, which ends the session and
// its locks.
func (l *pgLock) release() {
	ctx, cancel := context.WithTimeout(context.Background(), pgLockWait)
	defer cancel()
	var ok bool
	if err := l.conn.QueryRow(ctx, `SELECT pg_advisory_unlock($1)`, l.id).Scan(&ok); err != nil || !ok {
		l.conn.Hijack().Close(ctx)
		return
	}
	l.conn.Release()
}
