-- PostgreSQL twin of ../0002_admin.sql: admin users, the audit trail, player search indexes.
-- Runs inside one transaction opened by the migrator: no BEGIN/COMMIT here.

-- People who may use the admin API and console; separate from players, as in SQLite.
CREATE TABLE admin_users (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username      text NOT NULL,
  password_hash text NOT NULL,                  -- Argon2id encoded string, like players
  role          text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  created_ms    bigint NOT NULL,                -- unix ms
  last_login_ms bigint NOT NULL DEFAULT 0       -- 0 = never logged in
);

-- "Alice" and "alice" are one admin name (ASCII by the store's rules).
CREATE UNIQUE INDEX admin_users_username ON admin_users (lower(username));

-- One row per mutating admin action, successful or not. Append-only for the store.
CREATE TABLE admin_audit (
  id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at_ms  bigint NOT NULL,
  actor  text NOT NULL,
  action text NOT NULL,
  target text NOT NULL DEFAULT '',
  detail text NOT NULL DEFAULT '',
  ok     boolean NOT NULL
);

-- Time-range reads and age-based pruning of the audit log (paging walks the primary key).
CREATE INDEX admin_audit_at ON admin_audit (at_ms);

-- Player search matches an ASCII-case-insensitive prefix of display_name: lower() under the
-- "C" collation folds ASCII only (as SQLite's NOCASE does), and a "C" btree serves LIKE 'x%'.
CREATE INDEX players_by_display_name ON players ((lower(display_name COLLATE "C")) COLLATE "C");

-- ... and of username (lower(username) already has the unique index, not usable for LIKE).
CREATE INDEX players_by_username_prefix ON players ((lower(username)) text_pattern_ops);

-- An empty search lists the most recently seen players from this index.
CREATE INDEX players_by_last_login ON players (last_login_ms);
