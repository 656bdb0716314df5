package serve

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver "sqlite"
)

// Store is the job store: the SQLite database River and the named locks
// live in.
type Store struct {
	// Path is the database file (a postgres:// store: its DSN without
	// the password).
	Path   string
	db     *sql.DB
	driver *riversqlite.Driver
	pg     *pgStore // a postgres:// store (store_pg.go)
}

// DefaultStorePath returns the default store file: jobs.db in the advmail
// folder of $XDG_STATE_HOME (on Linux and the BSDs ~/.local/state when
// unset), else of os.UserConfigDir.
func DefaultStorePath() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "advmail", "jobs.db"), nil
	}
	switch goruntime.GOOS {
	case "windows", "darwin", "ios", "plan9":
	default:
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, ".local", "state", "advmail", "jobs.db"), nil
		}
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("serve: no folder for the job store (set [advmail] JobStore=sqlite:PATH): %w", err)
	}
	return filepath.Join(d, "advmail", "jobs.db"), nil
}

// StorePath resolves a JobStore setting to a SQLite file: "" is the
// default file, "sqlite:PATH" names one. A postgres:// store has no file
// (OpenStore opens it).
func StorePath(setting string) (string, error) {
	setting = strings.TrimSpace(setting)
	low := strings.ToLower(setting)
	switch {
	case setting == "":
		return DefaultStorePath()
	case strings.HasPrefix(low, "postgres://"), strings.HasPrefix(low, "postgresql://"):
		return "", errors.New("serve: JobStore=postgres://… is a PostgreSQL store, not a file")
	case strings.HasPrefix(low, "sqlite:"):
		p := strings.TrimSpace(setting[len("sqlite:"):])
		p = strings.TrimPrefix(p, "//")
		if p == "" {
			return "", errors.New("serve: JobStore=sqlite: names no file")
		}
		return filepath.Abs(p)
	}
	return "", fmt.Errorf("serve: JobStore=%s: want sqlite:PATH", setting)
}

// checkLocalPath refuses a store on a network share: SQLite's locking is
// not reliable there, and one job per mailbox depends on it.
func checkLocalPath(path string) error {
	if isUNC(path) {
		return fmt.Errorf("serve: job store %s is on a network share (UNC path); use a local disk", path)
	}
	dir := filepath.Dir(path)
	for {
		if _, err := os.Stat(dir); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
	fs, network, err := fsType(dir)
	if err != nil {
		return fmt.Errorf("serve: job store %s: %w", path, err)
	}
	if network {
		return fmt.Errorf("serve: job store %s is on a network file system (%s); use a local disk", path, fs)
	}
	return nil
}

// isUNC reports whether path is a Windows UNC path (\\server\share).
func isUNC(path string) bool {
	return strings.HasPrefix(path, `\\`) || (goruntime.GOOS == "windows" && strings.HasPrefix(path, "//"))
}

// OpenStore opens (creating it when missing) the store named by the
// JobStore setting and brings River's schema up to date.
func OpenStore(ctx context.Context, setting string) (*Store, error) {
	if isPostgres(setting) {
		return openPGStore(ctx, setting)
	}
	path, err := StorePath(setting)
	if err != nil {
		return nil, err
	}
	if err := checkLocalPath(path); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("serve: job store: %w", err)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(20000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("serve: open job store %s: %w", path, err)
	}
	// River's SQLite driver wants one connection: SQLite runs one writer.
	db.SetMaxOpenConns(1)
	s := &Store{Path: path, db: db, driver: riversqlite.New(db)}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// migrate runs River's migrations and creates the lock table; a second
// process migrating at the same moment is retried.
func (s *Store) migrate(ctx context.Context) error {
	var err error
	for try := 0; try < 5; try++ {
		if err = s.migrateOnce(ctx); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(200*(try+1)) * time.Millisecond):
		}
	}
	return err
}

func (s *Store) migrateOnce(ctx context.Context) error {
	m, err := rivermigrate.New(s.driver, nil)
	if err != nil {
		return fmt.Errorf("serve: job store migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("serve: migrate job store %s: %w", s.Path, err)
	}
	_, err = s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS advmail_lock (
		name TEXT PRIMARY KEY,
		owner TEXT NOT NULL,
		expires_at INTEGER NOT NULL)`)
	if err != nil {
		return fmt.Errorf("serve: job store %s: lock table: %w", s.Path, err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	if s.pg != nil {
		s.pg.pool.Close()
		return nil
	}
	return s.db.Close()
}

// Lock takes the named lock for owner until expires; it reports false
// when it is held and has not expired (by owner too, as LockByName).
func (s *Store) Lock(ctx context.Context, name, owner string, expires time.Time) (bool, error) {
	if s.pg != nil {
		return s.pg.lock(ctx, name, owner, expires)
	}
	now := time.Now().UnixMilli()
	res, err := s.db.ExecContext(ctx, `INSERT INTO advmail_lock(name, owner, expires_at) VALUES (?, ?, ?)
		ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
		WHERE advmail_lock.expires_at < ?`,
		name, owner, expires.UnixMilli(), now)
	if err != nil {
		return false, fmt.Errorf("lock %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("lock %s: %w", name, err)
	}
	return n == 1, nil
}

// Unlock releases the named lock when owner holds it.
func (s *Store) Unlock(ctx context.Context, name, owner string) (bool, error) {
	if s.pg != nil {
		return s.pg.unlock(ctx, name, owner)
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM advmail_lock WHERE name = ? AND owner = ?`, name, owner)
	if err != nil {
		return false, fmt.Errorf("unlock %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("unlock %s: %w", name, err)
	}
	return n == 1, nil
}

// UnlockAll releases every lock owner holds.
func (s *Store) UnlockAll(ctx context.Context, owner string) error {
	if s.pg != nil {
		return s.pg.unlockAll(ctx, owner)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM advmail_lock WHERE owner = ?`, owner); err != nil {
		return fmt.Errorf("release locks of %s: %w", owner, err)
	}
	return nil
}
