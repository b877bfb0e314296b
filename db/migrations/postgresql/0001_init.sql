-- PostgreSQL twin of ../0001_init.sql: players, their lifetime stats, every finished stint.
-- Runs inside one transaction opened by the migrator: no BEGIN/COMMIT here.
-- Times are unix milliseconds in bigint columns, as in SQLite, so both stores read alike.

-- Identity, not a reused sequence value: ids appear in logs, tokens and the audit trail.
CREATE TABLE players (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username        text,                       -- NULL for guests
  device_id       text UNIQUE,                -- NULL for password accounts
  password_hash   text,                       -- Argon2id encoded string; NULL for guests
  display_name    text NOT NULL,
  created_ms      bigint NOT NULL,
  last_login_ms   bigint NOT NULL,
  banned_until_ms bigint NOT NULL DEFAULT 0,  -- 0 = never banned; a past value = ban expired
  ban_reason      text NOT NULL DEFAULT '',
  CHECK (username IS NOT NULL OR device_id IS NOT NULL),
  CHECK ((username IS NULL) = (password_hash IS NULL))
);

-- "Alice" and "alice" are one name (SQLite: COLLATE NOCASE). Usernames are ASCII by the
-- store's rules, so lower() folds them the same way; login looks up lower(username) too.
CREATE UNIQUE INDEX players_username ON players (lower(username));

-- One row per player who finished at least one stint; written with the match_results rows.
CREATE TABLE player_stats (
  player_id      bigint PRIMARY KEY REFERENCES players (id) ON DELETE CASCADE,
  total_score    bigint NOT NULL DEFAULT 0,
  games_played   bigint NOT NULL DEFAULT 0,
  best_score     bigint NOT NULL DEFAULT 0,
  last_played_ms bigint NOT NULL DEFAULT 0
);

-- Matches the leaderboard ORDER BY (total_score DESC, games_played, player_id).
CREATE INDEX player_stats_leaderboard ON player_stats (total_score DESC, games_played);

CREATE TABLE match_results (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  player_id  bigint NOT NULL REFERENCES players (id) ON DELETE CASCADE,
  room_type  text NOT NULL,
  room_id    bigint NOT NULL,  -- the process-local RoomId's bit pattern
  score      bigint NOT NULL,
  started_ms bigint NOT NULL,
  ended_ms   bigint NOT NULL
);

-- A player's history, newest last; also serves the ON DELETE CASCADE lookup.
CREATE INDEX match_results_by_player ON match_results (player_id, ended_ms);
