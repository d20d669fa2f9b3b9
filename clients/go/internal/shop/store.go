// Package shop is the reference data source: a small shop's customer data in SQLite (Store)
// and privacyd's plugin protocol on top of it (Service, Server). Copy it to start your own.
package shop

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// schema is the shop's own data plus the erasures table, which is what makes Erase idempotent.
// Orders are keyed by email rather than by user: invoices must outlive the account.
const schema = `
CREATE TABLE IF NOT EXISTS users (
    id         INTEGER PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    id             INTEGER PRIMARY KEY,
    customer_email TEXT NOT NULL COLLATE NOCASE,
    customer_name  TEXT NOT NULL,
    total_cents    INTEGER NOT NULL,
    currency       TEXT NOT NULL,
    placed_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_customer_email ON orders (customer_email);
CREATE TABLE IF NOT EXISTS comments (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS comments_user_id ON comments (user_id);
CREATE TABLE IF NOT EXISTS erasures (
    privacy_request_id TEXT PRIMARY KEY,
    items_removed      INTEGER NOT NULL,
    items_retained     INTEGER NOT NULL,
    erased_at          TEXT NOT NULL
);
`

// Store is the shop's database. It is safe for concurrent use.
type Store struct {
	db *sql.DB
}

// Open opens (creating if missing) the SQLite file at path and brings its schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		// The driver reads everything after '?' as connection parameters.
		return nil, fmt.Errorf("open database: invalid path %q", path)
	}
	params := url.Values{
		// Write transactions start with BEGIN IMMEDIATE: they take the write lock before
		// reading, so two erasures with the same id cannot both see "not done yet" and then
		// fail on upgrading their locks. Read-only transactions stay deferred.
		"_txlock": {"immediate"},
		// WAL lets exports read while an erasure writes; the busy timeout makes writers wait
		// for each other instead of failing at once.
		"_journal_mode": {"WAL"},
		"_busy_timeout": {"5000"},
		"_foreign_keys": {"1"},
	}
	db, err := sql.Open("sqlite", path+"?"+params.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create schema in %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error {
	return s.db.Close()
}

// Profile is a customer account.
type Profile struct {
	ID        int64
	Email     string
	Name      string
	CreatedAt string
}

// Order is a purchase, with the billing name and email it was placed under.
type Order struct {
	ID            int64
	CustomerEmail string
	CustomerName  string
	TotalCents    int64
	Currency      string
	PlacedAt      string
}

// Comment is a product review.
type Comment struct {
	ID        int64
	Body      string
	CreatedAt string
}

// Visitor receives a subject's records during Export, one at a time, in export order; all
// three functions must be set. An error from one stops the export and is returned by Export.
type Visitor struct {
	Profile func(Profile) error
	Order   func(Order) error
	Comment func(Comment) error
}

// Export reads everything held about the subject with this email (matched
// case-insensitively): the profile, then the orders, then the comments, each in id order.
// It reads in one transaction, so an erasure running at the same time is seen entirely or
// not at all. An unknown subject visits nothing.
func (s *Store) Export(ctx context.Context, email string, v Visitor) error {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin export: %w", err)
	}
	defer tx.Rollback()

	var p Profile
	err = tx.QueryRowContext(ctx,
		`SELECT id, email, name, created_at FROM users WHERE email = ?`, email,
	).Scan(&p.ID, &p.Email, &p.Name, &p.CreatedAt)
	hasProfile := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read profile: %w", err)
	}
	if hasProfile {
		if err := v.Profile(p); err != nil {
			return err
		}
	}

	// Orders are looked up by email, not by profile: they stay after the profile is erased.
	err = eachRow(ctx, tx,
		`SELECT id, customer_email, customer_name, total_cents, currency, placed_at
		   FROM orders WHERE customer_email = ? ORDER BY id`,
		[]any{email},
		func(rows *sql.Rows) error {
			var o Order
			if err := rows.Scan(&o.ID, &o.CustomerEmail, &o.CustomerName, &o.TotalCents, &o.Currency, &o.PlacedAt); err != nil {
				return err
			}
			return v.Order(o)
		})
	if err != nil {
		return fmt.Errorf("read orders: %w", err)
	}

	if !hasProfile {
		return nil // comments belong to the profile
	}
	err = eachRow(ctx, tx,
		`SELECT id, body, created_at FROM comments WHERE user_id = ? ORDER BY id`,
		[]any{p.ID},
		func(rows *sql.Rows) error {
			var c Comment
			if err := rows.Scan(&c.ID, &c.Body, &c.CreatedAt); err != nil {
				return err
			}
			return v.Comment(c)
		})
	if err != nil {
		return fmt.Errorf("read comments: %w", err)
	}
	return nil
}

// eachRow runs a query and calls fn for each row as it is read, so memory stays small however
// much a subject has.
func eachRow(ctx context.Context, tx *sql.Tx, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Erasure is what an erasure did.
type Erasure struct {
	// Removed counts the rows deleted: comments and the profile. On a replay, the first
	// call's count.
	Removed int64
	// Retained counts the orders kept for tax law. On a replay, the first call's count.
	Retained int64
	// Replayed is set when an earlier call with the same privacy request id did the erasure:
	// Removed and Retained are that call's answer.
	Replayed bool
	// Leftovers counts the rows a replay deleted because they were still there (data the
	// first call missed). They are not part of the answer. Always 0 when !Replayed.
	Leftovers int64
}

// Erase deletes the subject's comments and profile and keeps their orders, in one
// transaction, which is not committed if ctx is done by then: the caller has given up and
// will retry, so nothing may be half-reported.
//
// The answer is recorded once per privacy request id. A second call with the same id returns
// the first call's counts, unchanged, as the contract requires (privacyd shows the answer it
// recorded, and after a crash that is the repeated call's), but it still deletes whatever of
// the subject's comments and profile is there (after a correct first call, nothing), so that
// processing a request again after a fixed bug leaves only the retained orders.
func (s *Store) Erase(ctx context.Context, privacyRequestID, email string) (Erasure, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Erasure{}, fmt.Errorf("begin erasure: %w", err)
	}
	defer tx.Rollback() // undoes everything unless Commit ran

	var e Erasure
	err = tx.QueryRowContext(ctx,
		`SELECT items_removed, items_retained FROM erasures WHERE privacy_request_id = ?`, privacyRequestID,
	).Scan(&e.Removed, &e.Retained)
	switch {
	case err == nil:
		e.Replayed = true
	case errors.Is(err, sql.ErrNoRows):
	default:
		return Erasure{}, fmt.Errorf("look up erasure: %w", err)
	}

	removed, err := deleteSubject(ctx, tx, email)
	if err != nil {
		return Erasure{}, err
	}
	if e.Replayed {
		// The stored answer stands: the record is neither updated nor added to.
		e.Leftovers = removed
	} else {
		e.Removed = removed
		if err := tx.QueryRowContext(ctx,
			`SELECT COUNT(*) FROM orders WHERE customer_email = ?`, email,
		).Scan(&e.Retained); err != nil {
			return Erasure{}, fmt.Errorf("count orders: %w", err)
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO erasures (privacy_request_id, items_removed, items_retained, erased_at) VALUES (?, ?, ?, ?)`,
			privacyRequestID, e.Removed, e.Retained, now(),
		); err != nil {
			return Erasure{}, fmt.Errorf("record erasure: %w", err)
		}
	}

	// The statements above honour ctx too, but one may have finished just before the
	// deadline: look once more, as late as possible. (database/sql's Commit checks again.)
	if err := ctx.Err(); err != nil {
		return Erasure{}, fmt.Errorf("erasure not committed: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Erasure{}, fmt.Errorf("commit erasure: %w", err)
	}
	return e, nil
}

// deleteSubject deletes the comments and the profile of the subject with this email, and
// returns how many rows it deleted.
func deleteSubject(ctx context.Context, tx *sql.Tx, email string) (int64, error) {
	// Comments first: they reference the profile.
	comments, err := tx.ExecContext(ctx,
		`DELETE FROM comments WHERE user_id IN (SELECT id FROM users WHERE email = ?)`, email)
	if err != nil {
		return 0, fmt.Errorf("delete comments: %w", err)
	}
	profiles, err := tx.ExecContext(ctx, `DELETE FROM users WHERE email = ?`, email)
	if err != nil {
		return 0, fmt.Errorf("delete profile: %w", err)
	}
	var removed int64
	for _, r := range []sql.Result{comments, profiles} {
		n, err := r.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("count deleted rows: %w", err)
		}
		removed += n
	}
	return removed, nil
}

// Seed inserts a demo customer with this email (a profile, 2 orders and 3 comments) unless a
// profile with the email exists. It reports whether it inserted anything.
func (s *Store) Seed(ctx context.Context, email string) (bool, error) {
	if !strings.Contains(email, "@") {
		return false, errors.New("seed: not an email address")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin seed: %w", err)
	}
	defer tx.Rollback()

	var exists bool
	if err := tx.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM users WHERE email = ?)`, email,
	).Scan(&exists); err != nil {
		return false, fmt.Errorf("seed: look up profile: %w", err)
	}
	if exists {
		return false, nil
	}

	name := nameFromEmail(email)
	// Fixed dates keep demo exports the same from run to run.
	res, err := tx.ExecContext(ctx,
		`INSERT INTO users (email, name, created_at) VALUES (?, ?, ?)`, email, name, "2023-04-12T09:30:00Z")
	if err != nil {
		return false, fmt.Errorf("seed profile: %w", err)
	}
	userID, err := res.LastInsertId()
	if err != nil {
		return false, fmt.Errorf("seed profile id: %w", err)
	}
	orders := []struct {
		cents    int64
		placedAt string
	}{
		{4990, "2024-02-03T14:05:00Z"},
		{12950, "2024-11-28T19:42:00Z"},
	}
	for _, o := range orders {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO orders (customer_email, customer_name, total_cents, currency, placed_at) VALUES (?, ?, ?, 'EUR', ?)`,
			email, name, o.cents, o.placedAt,
		); err != nil {
			return false, fmt.Errorf("seed order: %w", err)
		}
	}
	comments := []struct{ body, createdAt string }{
		{"Great kettle: boils fast and is quiet.", "2024-02-10T08:15:00Z"},
		{"The lid could close more firmly.", "2024-03-01T17:20:00Z"},
		{"Customer service replaced a broken handle within a week.", "2024-12-05T11:00:00Z"},
	}
	for _, c := range comments {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO comments (user_id, body, created_at) VALUES (?, ?, ?)`, userID, c.body, c.createdAt,
		); err != nil {
			return false, fmt.Errorf("seed comment: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit seed: %w", err)
	}
	return true, nil
}

// nameFromEmail makes a demo name from an address's local part: "jane.doe@…" gives "Jane Doe".
func nameFromEmail(email string) string {
	local, _, _ := strings.Cut(email, "@")
	words := strings.FieldsFunc(local, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for i, w := range words {
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		words[i] = string(r)
	}
	if len(words) == 0 {
		return "Demo Customer"
	}
	return strings.Join(words, " ")
}

// IsBusy reports whether err is SQLite saying another connection holds a lock it needed:
// worth retrying, unlike most database errors.
func IsBusy(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff { // the primary code, without the extended bits
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

func now() string {
	return time.Now().UTC().Format(time.RFC3339)
}
