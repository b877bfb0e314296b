-- The admin console: its users, its audit trail, and the indexes behind player search.
-- Runs inside one transaction opened by the migrator: no BEGIN/COMMIT here.

-- People who may use the admin API and console. A separate table from players: a game account
-- never gains admin rights, and "alice" the admin and "alice" the player are unrelated.
CREATE TABLE admin_users (
  id            INTEGER PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE COLLATE NOCASE,  -- "Alice" and "alice" are one name
  password_hash TEXT NOT NULL,                        -- Argon2id encoded string, like players
  role          TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  created_ms    INTEGER NOT NULL,                     -- unix ms
  last_login_ms INTEGER NOT NULL DEFAULT 0            -- 0 = never logged in
) STRICT;

-- One row per mutating admin action, successful or not. Append-only for the store.
CREATE TABLE admin_audit (
  id     INTEGER PRIMARY KEY,
  at_ms  INTEGER NOT NULL,               -- unix ms
  actor  TEXT NOT NULL,                  -- admin username, or "env"/"cli" for the tools
  action TEXT NOT NULL,                  -- e.g. "player.ban", "room.close"
  target TEXT NOT NULL DEFAULT '',       -- e.g. "player:42", "room:7"
  detail TEXT NOT NULL DEFAULT '',       -- free text: reason, message
  ok     INTEGER NOT NULL CHECK (ok IN (0, 1))
) STRICT;

-- Time-range reads and age-based pruning of the audit log (paging walks the primary key).
CREATE INDEX admin_audit_at ON admin_audit (at_ms);

-- Player search: a case-insensitive prefix LIKE on display_name can use the LIKE optimization
-- only with a NOCASE index (username already has one: its UNIQUE COLLATE NOCASE constraint).
CREATE INDEX players_by_display_name ON players (display_name COLLATE NOCASE);

-- Player search with an empty query lists the most recently seen players from this index
-- instead of sorting the whole table.
CREATE INDEX players_by_last_login ON players (last_login_ms);
