-- Players, their lifetime stats, and every finished stint in a room.
-- Runs inside one transaction opened by the migrator: no BEGIN/COMMIT here.

-- AUTOINCREMENT: ids appear in logs, tokens and the audit trail, so a deleted id is never reused.
CREATE TABLE players (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  username        TEXT UNIQUE COLLATE NOCASE,  -- NULL for guests; "Alice" and "alice" are one name
  device_id       TEXT UNIQUE,                 -- NULL for password accounts
  password_hash   TEXT,                        -- Argon2id encoded string; NULL for guests
  display_name    TEXT NOT NULL,
  created_ms      INTEGER NOT NULL,            -- unix ms
  last_login_ms   INTEGER NOT NULL,
  banned_until_ms INTEGER NOT NULL DEFAULT 0,  -- 0 = never banned; a past value = ban expired
  ban_reason      TEXT NOT NULL DEFAULT '',
  CHECK (username IS NOT NULL OR device_id IS NOT NULL),
  CHECK ((username IS NULL) = (password_hash IS NULL))
) STRICT;

-- One row per player who finished at least one stint; written with the match_results rows.
CREATE TABLE player_stats (
  player_id      INTEGER PRIMARY KEY REFERENCES players (id) ON DELETE CASCADE,
  total_score    INTEGER NOT NULL DEFAULT 0,
  games_played   INTEGER NOT NULL DEFAULT 0,
  best_score     INTEGER NOT NULL DEFAULT 0,
  last_played_ms INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Matches the leaderboard ORDER BY (total_score DESC, games_played, player_id), so the top N
-- is read straight off the index.
CREATE INDEX player_stats_leaderboard ON player_stats (total_score DESC, games_played);

CREATE TABLE match_results (
  id         INTEGER PRIMARY KEY,
  player_id  INTEGER NOT NULL REFERENCES players (id) ON DELETE CASCADE,
  room_type  TEXT NOT NULL,
  room_id    INTEGER NOT NULL,  -- the process-local RoomId; unique only together with started_ms
  score      INTEGER NOT NULL,
  started_ms INTEGER NOT NULL,
  ended_ms   INTEGER NOT NULL
) STRICT;

-- A player's history, newest last; also serves the ON DELETE CASCADE lookup.
CREATE INDEX match_results_by_player ON match_results (player_id, ended_ms);
