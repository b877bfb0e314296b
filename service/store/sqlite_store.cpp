#include "store/sqlite_store.hpp"

#include <chrono>

#include <pthread.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "store/migrations.hpp"
#include "store/password.hpp"
#include "store/sqlite_db.hpp"

namespace rookery::store {
namespace {

// ---------------------------------------------------------------------------------------------
// Input rules. Checked before any work is queued, so bad input never reaches SQL or the KDF.

constexpr size_t kUsernameMin = 3, kUsernameMax = 32;
constexpr size_t kPasswordMin = 8, kPasswordMax = 256;  // the cap bounds KDF input per request
constexpr size_t kDisplayNameMax = 32;
constexpr size_t kDeviceIdMin = 8, kDeviceIdMax = 128;
constexpr size_t kBanReasonMax = 256;
constexpr size_t kRoomTypeMax = 64;

bool valid_username(std::string_view s) {
  if (s.size() < kUsernameMin || s.size() > kUsernameMax) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

bool valid_password(std::string_view s) {
  return s.size() >= kPasswordMin && s.size() <= kPasswordMax;
}

// Visible ASCII: device ids are UUIDs, hex or base64 in practice; this keeps logs and SQL clean.
bool valid_device_id(std::string_view s) {
  if (s.size() < kDeviceIdMin || s.size() > kDeviceIdMax) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// Length of the well-formed UTF-8 character at s[i] if it is not a control character (C0, DEL,
// C1), else 0. Also 0 for overlong forms, surrogates and code points past U+10FFFF.
size_t text_char_length(std::string_view s, size_t i) {
  static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  const auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) return lead < 0x20 || lead == 0x7f ? 0 : 1;
  size_t length = 0;
  uint32_t cp = 0;
  if ((lead & 0xe0) == 0xc0) {
    length = 2, cp = lead & 0x1fu;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, cp = lead & 0x0fu;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, cp = lead & 0x07u;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(s[i + k]);
    if ((next & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (next & 0x3fu);
  }
  const bool overlong = cp < kMinForLength[length];
  const bool surrogate = cp >= 0xd800 && cp <= 0xdfff;
  const bool c1_control = cp >= 0x80 && cp < 0xa0;
  if (overlong || surrogate || c1_control || cp > 0x10ffff) return 0;
  return length;
}

// Well-formed UTF-8 without control characters: text shown to other players goes into protobuf
// string fields (which must be UTF-8) and onto screens (where controls are mischief).
bool valid_text(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t length = text_char_length(s, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

// `s` made valid_text and at most `max_bytes` long, for the audit log, which must record an
// action rather than refuse it: tab, CR and LF become a space, other controls and bytes of
// broken UTF-8 become '?', and the text is cut before the first character that does not fit.
std::string clean_text(std::string_view s, size_t max_bytes) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const size_t length = text_char_length(s, i);
    const size_t needed = length == 0 ? 1 : length;
    if (out.size() + needed > max_bytes) break;
    if (length > 0) {
      out.append(s.substr(i, length));
    } else {
      out += s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ? ' ' : '?';
    }
    i += needed;
  }
  return out;
}

bool valid_display_name(std::string_view s) {
  return !s.empty() && s.size() <= kDisplayNameMax && valid_text(s);
}

bool valid_role(std::string_view role) {
  return admin_role_rank(role) > 0;
}

// A LIKE pattern matching strings that start with `prefix`: %, _ and the escape character \ are
// escaped, so they match themselves (the statements say ESCAPE '\').
std::string like_prefix(std::string_view prefix) {
  std::string out;
  out.reserve(prefix.size() + 1);
  for (const char c : prefix) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  out += '%';
  return out;
}

// ---------------------------------------------------------------------------------------------
// SQL: every statement the store runs, prepared once at open.

constexpr std::string_view kPlayerColumns =
    "SELECT id, username, device_id, display_name, banned_until_ms, ban_reason, password_hash "
    "FROM players ";

// The first six columns line up with kPlayerColumns, so read_player() reads both.
constexpr std::string_view kSummaryColumns =
    "SELECT p.id, p.username, p.device_id, p.display_name, p.banned_until_ms, p.ban_reason, "
    "p.created_ms, p.last_login_ms, coalesce(s.total_score, 0), coalesce(s.games_played, 0), "
    "coalesce(s.best_score, 0), coalesce(s.last_played_ms, 0) "
    "FROM players p LEFT JOIN player_stats s ON s.player_id = p.id ";

constexpr std::string_view kAdminColumns = "id, username, role, created_ms, last_login_ms";

struct Statements {
  explicit Statements(sqlite3* db)
      : begin(db, "BEGIN IMMEDIATE"),
        commit(db, "COMMIT"),
        rollback(db, "ROLLBACK"),
        savepoint(db, "SAVEPOINT request"),
        release(db, "RELEASE request"),
        rollback_to(db, "ROLLBACK TO request"),
        player_by_id(db, std::string(kPlayerColumns) + "WHERE id = ?1"),
        player_by_device(db, std::string(kPlayerColumns) + "WHERE device_id = ?1"),
        player_by_username(db, std::string(kPlayerColumns) + "WHERE username = ?1"),
        insert_guest(db,
                     "INSERT INTO players (device_id, display_name, created_ms, last_login_ms) "
                     "VALUES (?1, ?2, ?3, ?3) RETURNING id"),
        set_display_name(db, "UPDATE players SET display_name = ?2 WHERE id = ?1"),
        insert_account(db,
                       "INSERT INTO players (username, password_hash, display_name, created_ms, "
                       "last_login_ms) VALUES (?1, ?2, ?3, ?4, ?4) RETURNING id"),
        touch_login(db, "UPDATE players SET last_login_ms = ?2 WHERE id = ?1"),
        set_ban(db,
                "UPDATE players SET banned_until_ms = ?2, ban_reason = ?3 WHERE id = ?1 "
                "RETURNING id"),
        insert_match(db,
                     "INSERT INTO match_results (player_id, room_type, room_id, score, "
                     "started_ms, ended_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
        add_to_stats(db,
                     "INSERT INTO player_stats (player_id, total_score, games_played, best_score, "
                     "last_played_ms) VALUES (?1, ?2, 1, ?2, ?3) "
                     "ON CONFLICT (player_id) DO UPDATE SET "
                     "total_score = total_score + excluded.total_score, "
                     "games_played = games_played + 1, "
                     "best_score = max(best_score, excluded.best_score), "
                     "last_played_ms = max(last_played_ms, excluded.last_played_ms)"),
        stats_of(db,
                 "SELECT p.id, p.display_name, coalesce(s.total_score, 0), "
                 "coalesce(s.games_played, 0), coalesce(s.best_score, 0), "
                 "coalesce(s.last_played_ms, 0) "
                 "FROM players p LEFT JOIN player_stats s ON s.player_id = p.id WHERE p.id = ?1"),
        // Ties: fewer games for the same total ranks higher, then the older account.
        // Currently banned players are left off the board.
        leaderboard(db,
                    "SELECT s.player_id, p.display_name, s.total_score, s.games_played, "
                    "s.best_score, s.last_played_ms "
                    "FROM player_stats s JOIN players p ON p.id = s.player_id "
                    "WHERE p.banned_until_ms <= ?2 "
                    "ORDER BY s.total_score DESC, s.games_played, s.player_id LIMIT ?1"),
        // Admin users and audit (0002_admin).
        insert_admin(db,
                     "INSERT INTO admin_users (username, password_hash, role, created_ms) "
                     "VALUES (?1, ?2, ?3, ?4) RETURNING id"),
        admin_hash(db, "SELECT id, password_hash FROM admin_users WHERE username = ?1"),
        touch_admin_login(db, "UPDATE admin_users SET last_login_ms = ?2 WHERE id = ?1 RETURNING " +
                                  std::string(kAdminColumns)),
        admins(db, "SELECT " + std::string(kAdminColumns) + " FROM admin_users ORDER BY id"),
        admin_count(db, "SELECT count(*) FROM admin_users"),
        insert_audit(db,
                     "INSERT INTO admin_audit (at_ms, actor, action, target, detail, ok) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
        audit_page(db,
                   "SELECT id, at_ms, actor, action, target, detail, ok FROM admin_audit "
                   "WHERE id < ?1 ORDER BY id DESC LIMIT ?2"),
        // Player search. ?1 is an exact id or NULL; ?2 a like_prefix() pattern. Both LIKEs can
        // use a NOCASE index (players_by_display_name, username's UNIQUE index).
        search(db, std::string(kSummaryColumns) +
                       "WHERE p.id = ?1 OR p.display_name LIKE ?2 ESCAPE '\\' "
                       "OR p.username LIKE ?2 ESCAPE '\\' "
                       "ORDER BY p.id = ?1 DESC, p.last_login_ms DESC, p.id DESC LIMIT ?3"),
        recently_seen(
            db, std::string(kSummaryColumns) + "ORDER BY p.last_login_ms DESC, p.id DESC LIMIT ?1"),
        summary_by_id(db, std::string(kSummaryColumns) + "WHERE p.id = ?1"),
        recent_matches(db,
                       "SELECT player_id, room_type, room_id, score, started_ms, ended_ms "
                       "FROM match_results WHERE player_id = ?1 "
                       "ORDER BY ended_ms DESC, id DESC LIMIT ?2") {}

  sqlite::Stmt begin, commit, rollback, savepoint, release, rollback_to;
  sqlite::Stmt player_by_id, player_by_device, player_by_username;
  sqlite::Stmt insert_guest, set_display_name, insert_account, touch_login, set_ban;
  sqlite::Stmt insert_match, add_to_stats, stats_of, leaderboard;
  sqlite::Stmt insert_admin, admin_hash, touch_admin_login, admins, admin_count;
  sqlite::Stmt insert_audit, audit_page;
  sqlite::Stmt search, recently_seen, summary_by_id, recent_matches;
};

// Reads the kPlayerColumns of the current row.
void read_player(const sqlite::Cursor& row, Player& out) {
  out.id = row.int64(0);
  out.username = row.text(1);
  out.guest = row.is_null(1);
  out.display_name = row.text(3);
  out.banned_until_ms = row.int64(4);
  out.ban_reason = row.text(5);
}

// Reads the kSummaryColumns of the current row.
void read_summary(const sqlite::Cursor& row, Player& player, Stats& stats, int64_t& created_ms,
                  int64_t& last_login_ms) {
  read_player(row, player);
  created_ms = row.int64(6);
  last_login_ms = row.int64(7);
  stats = Stats{player.id,    player.display_name, row.int64(8),
                row.int64(9), row.int64(10),       row.int64(11)};
}

// Reads the kAdminColumns of the current row.
AdminUser read_admin(const sqlite::Cursor& row) {
  return AdminUser{row.int64(0), row.text(1), row.text(2), row.int64(3), row.int64(4)};
}

// The id from an INSERT ... RETURNING id.
int64_t returned_id(sqlite::Cursor& row) {
  if (!row.next()) throw std::runtime_error("INSERT returned no id");
  return row.int64(0);
}

// Lets a player (already read into `out`) in: banned players are refused and not touched.
Status admit(Statements& sql, int64_t now_ms, Player& out) {
  if (out.banned_until_ms > now_ms) return Status::banned;
  sql.touch_login.run(out.id, now_ms);
  return Status::ok;
}

// ---------------------------------------------------------------------------------------------
// Requests: what the writer thread runs.

class Request {
 public:
  virtual ~Request() = default;
  /// Runs inside the batch transaction on the writer thread. Any status but ok undoes this
  /// request's writes (its savepoint); a thrown exception counts as Status::failed.
  virtual Status execute(Statements& sql, int64_t now_ms) = 0;
  /// Runs after the transaction ended: `status` is execute()'s, or failed if the commit failed.
  virtual void complete(Status status) = 0;
};

// A request built from two callables, with the Result execute() fills and complete() hands on.
template <class Result, class Exec, class Done>
class Op final : public Request {
 public:
  Op(Exec exec, Done done) : exec_(std::move(exec)), done_(std::move(done)) {}
  Status execute(Statements& sql, int64_t now_ms) override { return exec_(sql, now_ms, result_); }
  void complete(Status status) override {
    if (status == Status::failed) result_ = Result{};  // never hand out half-read data
    done_(status, std::move(result_));
  }

 private:
  Exec exec_;
  Done done_;
  Result result_{};
};

// Marks threads owned by a store, so flush() can refuse to wait for its own thread.
thread_local const void* t_owner = nullptr;

void name_thread(const char* name) {
#ifdef __linux__
  pthread_setname_np(pthread_self(), name);  // shows in top -H and gdb; failure is harmless
#else
  (void)name;
#endif
}

// A few threads running posted tasks in order of arrival; used for password hashing.
class WorkerPool {
 public:
  explicit WorkerPool(const void* owner) : owner_(owner) {}
  ~WorkerPool() { stop(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void start(uint32_t threads) {
    for (uint32_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
  }

  /// Queues `task`; it must not throw (a throw is logged and dropped).
  void post(std::function<void()> task) {
    {
      std::lock_guard lock(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }

  size_t pending() const {
    std::lock_guard lock(mu_);
    return tasks_.size();
  }

  /// Runs what is queued, then joins the threads.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }

 private:
  void run() {
    t_owner = owner_;
    name_thread("store-kdf");
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      try {
        task();
      } catch (const std::exception& e) {
        log::error("store: KDF task threw", {{"error", e.what()}});
      }
    }
  }

  const void* owner_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Calls a user callback; a throw must not kill a store thread.
template <class F, class... Args>
void call_safely(const F& f, Args&&... args) {
  if (!f) return;
  try {
    f(std::forward<Args>(args)...);
  } catch (const std::exception& e) {
    log::error("store: callback threw", {{"error", e.what()}});
  } catch (...) {
    log::error("store: callback threw", {{"error", "unknown exception"}});
  }
}

}  // namespace

bool valid_admin_username(std::string_view username) {
  return valid_username(username);
}

// ---------------------------------------------------------------------------------------------

struct SqliteStore::Impl {
  explicit Impl(const StoreOptions& o);
  ~Impl();

  // Registers a public request for flush(); the returned callback runs `done` and ends it.
  // Every public method wraps its callback here first, and every path calls the result once.
  template <class... Args>
  std::function<void(Args...)> track(std::function<void(Args...)> done) {
    uint64_t id = 0;
    {
      std::lock_guard lock(ops_mu);
      id = next_op++;
      outstanding.insert(id);
    }
    return [this, id, done = std::move(done)](Args... args) {
      call_safely(done, std::move(args)...);
      {
        std::lock_guard lock(ops_mu);
        outstanding.erase(id);
      }
      ops_cv.notify_all();
    };
  }

  // Queues one request for the writer. `exec(Statements&, now_ms, Result&) -> Status` runs in
  // the batch transaction; `done(Status, Result)` runs after it ended.
  template <class Result, class Exec, class Done>
  void enqueue(Exec exec, Done done) {
    auto request = std::make_unique<Op<Result, Exec, Done>>(std::move(exec), std::move(done));
    {
      std::lock_guard lock(queue_mu);
      queue.push_back(std::move(request));
    }
    queue_cv.notify_one();
  }

  // Answers `status` through the writer, so even a rejected call calls back on a store thread.
  template <class Result>
  void reject(Status status, std::function<void(Status, Result)> finish) {
    enqueue<std::monostate>(
        [status](Statements&, int64_t, std::monostate&) { return status; },
        [finish = std::move(finish)](Status s, std::monostate) { finish(s, Result{}); });
  }
  void reject(Status status, std::function<void(Status)> finish) {
    enqueue<std::monostate>([status](Statements&, int64_t, std::monostate&) { return status; },
                            [finish = std::move(finish)](Status s, std::monostate) { finish(s); });
  }

  // Waits until no tracked request with an id <= `last` is outstanding.
  void wait_for(uint64_t last) {
    std::unique_lock lock(ops_mu);
    ops_cv.wait(lock, [&] { return outstanding.empty() || *outstanding.begin() > last; });
  }

  // Hash that unknown usernames are verified against, so they cost as much as known ones.
  const std::string& dummy_hash() {
    std::call_once(dummy_once, [this] { dummy = password::hash("rookery-timing-equaliser"); });
    return dummy;
  }

  // Hashes `secret` on the KDF pool (the writer never waits for Argon2id), then calls
  // next(ok, hash), or next(failed, "") if hashing threw.
  void hash_on_kdf(std::string secret, std::function<void(Status, std::string)> next) {
    kdf.post([secret = std::move(secret), next = std::move(next)] {
      std::string hash;
      try {
        hash = password::hash(secret);
      } catch (const std::exception& e) {
        log::error("store: password hashing failed", {{"error", e.what()}});
        next(Status::failed, {});
        return;
      }
      next(Status::ok, std::move(hash));
    });
  }

  // Verifies `secret` on the KDF pool against `hash`, or against the dummy hash when no account
  // was found (an unknown name must cost one verify too: timing must not reveal which names
  // exist). next(ok) on a match, next(bad_credentials) otherwise, next(failed) if it threw.
  void verify_on_kdf(bool found, std::string hash, std::string secret,
                     std::function<void(Status)> next) {
    kdf.post(
        [this, found, hash = std::move(hash), secret = std::move(secret), next = std::move(next)] {
          bool match = false;
          try {
            match = password::verify(found ? hash : dummy_hash(), secret) && found;
          } catch (const std::exception& e) {
            log::error("store: password verify failed", {{"error", e.what()}});
            next(Status::failed);
            return;
          }
          next(match ? Status::ok : Status::bad_credentials);
        });
  }

  void writer_loop();
  void run_batch(std::vector<std::unique_ptr<Request>>& batch);
  Status run_one(Request& request, int64_t now_ms);

  StoreOptions options;
  sqlite::Connection db;
  std::unique_ptr<Statements> sql;

  mutable std::mutex metrics_mu;  // writer updates once per batch; scrapes copy
  StoreMetrics metrics;
  mutable std::mutex queue_mu;
  std::condition_variable queue_cv;
  std::deque<std::unique_ptr<Request>> queue;
  bool stopping = false;

  std::mutex ops_mu;
  std::condition_variable ops_cv;
  std::set<uint64_t> outstanding;  // ids of public requests whose callback has not returned
  uint64_t next_op = 1;

  std::once_flag dummy_once;
  std::string dummy;

  WorkerPool kdf{this};
  std::thread writer;
};

SqliteStore::Impl::Impl(const StoreOptions& o) : options(o) {
  if (options.path.empty()) throw std::runtime_error("store path is empty");
  if (options.batch_max == 0) throw std::runtime_error("store batch_max must be at least 1");
  if (options.kdf_threads == 0) throw std::runtime_error("store kdf_threads must be at least 1");
  password::ensure_sodium();
  if (options.busy_timeout_ms > 600'000) {
    throw std::runtime_error("store busy_timeout_ms must be at most 600000");
  }
  db = sqlite::open(options.path, options.synchronous, static_cast<int>(options.busy_timeout_ms));
  MigrationReport report;
  try {
    report = apply_migrations(db.get(), embedded_migrations());
  } catch (const std::exception& e) {
    throw std::runtime_error("database '" + options.path + "': " + e.what());
  }
  sql = std::make_unique<Statements>(db.get());
  log::info("store: opened", {{"path", options.path},
                              {"schema_version", std::to_string(report.to_version)},
                              {"migrations_applied", std::to_string(report.applied.size())},
                              {"synchronous", options.synchronous}});
  // Threads last, so every failure above leaves none behind (if the writer fails to start,
  // WorkerPool's destructor joins the KDF threads).
  kdf.start(options.kdf_threads);
  // Make the dummy hash now: built on first use, it would make the first unknown-user login
  // slower than a real one.
  kdf.post([this] { dummy_hash(); });
  writer = std::thread([this] { writer_loop(); });
}

SqliteStore::Impl::~Impl() {
  // Login chains hop writer -> KDF -> writer, so stop nothing until every request has finished.
  {
    std::unique_lock lock(ops_mu);
    ops_cv.wait(lock, [this] { return outstanding.empty(); });
  }
  kdf.stop();
  {
    std::lock_guard lock(queue_mu);
    stopping = true;
  }
  queue_cv.notify_one();
  if (writer.joinable()) writer.join();
}

void SqliteStore::Impl::writer_loop() {
  t_owner = this;
  name_thread("store-writer");
  std::vector<std::unique_ptr<Request>> batch;
  for (;;) {
    {
      std::unique_lock lock(queue_mu);
      queue_cv.wait(lock, [this] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping, and everything queued has run
      const size_t n = std::min<size_t>(queue.size(), options.batch_max);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    run_batch(batch);
    batch.clear();
  }
}

// One transaction for the whole batch: one fsync for up to batch_max requests is what makes
// "ok means committed" affordable.
void SqliteStore::Impl::run_batch(std::vector<std::unique_ptr<Request>>& batch) {
  std::vector<Status> statuses(batch.size(), Status::failed);
  bool committed = false;
  const int64_t now_ms = unix_millis();
  const auto started = std::chrono::steady_clock::now();
  try {
    sql->begin.run();
    for (size_t i = 0; i < batch.size(); ++i) statuses[i] = run_one(*batch[i], now_ms);
    sql->commit.run();
    committed = true;
  } catch (const std::exception& e) {
    log::error("store: transaction failed, its requests report failed",
               {{"error", e.what()}, {"requests", std::to_string(batch.size())}});
    if (sqlite3_get_autocommit(db.get()) == 0) {
      try {
        sql->rollback.run();
      } catch (const std::exception& rollback_error) {
        log::error("store: rollback failed", {{"error", rollback_error.what()}});
      }
    }
  }
  {
    std::lock_guard lock(metrics_mu);
    if (committed) {
      ++metrics.transactions;
      metrics.commit_duration.observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    } else {
      ++metrics.errors;
    }
    for (const Status st : statuses) metrics.errors += st == Status::failed ? 1 : 0;
  }
  // Only now may callers hear "ok": the COMMIT above returned.
  for (size_t i = 0; i < batch.size(); ++i) {
    try {
      batch[i]->complete(committed ? statuses[i] : Status::failed);
    } catch (const std::exception& e) {
      log::error("store: completing a request threw", {{"error", e.what()}});
    }
  }
}

// A savepoint per request keeps one bad request (a constraint, a bad id) from poisoning the
// others in its batch. Throws only if the transaction itself is lost.
Status SqliteStore::Impl::run_one(Request& request, int64_t now_ms) {
  sql->savepoint.run();
  Status status = Status::failed;
  try {
    status = request.execute(*sql, now_ms);
  } catch (const std::exception& e) {
    log::error("store: request failed", {{"error", e.what()}});
  }
  if (sqlite3_get_autocommit(db.get()) != 0) {
    // Some errors (disk full, I/O) make SQLite roll back the whole transaction by itself.
    throw std::runtime_error("SQLite rolled back the transaction after a request error");
  }
  if (status != Status::ok) sql->rollback_to.run();
  sql->release.run();
  return status;
}

// ---------------------------------------------------------------------------------------------

SqliteStore::SqliteStore(const StoreOptions& options) : impl_(std::make_unique<Impl>(options)) {}

SqliteStore::~SqliteStore() = default;

void SqliteStore::login_guest(std::string device_id, std::string display_name,
                              PlayerCallback done) {
  auto finish = impl_->track(std::move(done));
  if (!valid_device_id(device_id) || (!display_name.empty() && !valid_display_name(display_name))) {
    impl_->reject(Status::invalid, std::move(finish));
    return;
  }
  impl_->enqueue<Player>(
      [device_id = std::move(device_id), display_name = std::move(display_name)](
          Statements& sql, int64_t now_ms, Player& out) {
        {
          sqlite::Cursor row = sql.player_by_device.query(device_id);
          if (row.next()) {
            read_player(row, out);
            return admit(sql, now_ms, out);
          }
        }
        // The name given now is used only when the account is created.
        {
          sqlite::Cursor row = sql.insert_guest.query(device_id, display_name, now_ms);
          out.id = returned_id(row);
        }
        out.display_name = display_name;
        if (out.display_name.empty()) {
          // The default name embeds the id, which exists only after the insert.
          out.display_name = "guest-" + std::to_string(out.id);
          sql.set_display_name.run(out.id, out.display_name);
        }
        out.guest = true;
        out.created = true;
        return Status::ok;
      },
      std::move(finish));
}

void SqliteStore::register_password(std::string username, std::string secret,
                                    std::string display_name, PlayerCallback done) {
  auto finish = impl_->track(std::move(done));
  if (display_name.empty()) display_name = username;
  if (!valid_username(username) || !valid_password(secret) || !valid_display_name(display_name)) {
    impl_->reject(Status::invalid, std::move(finish));
    return;
  }
  Impl* impl = impl_.get();
  // Hash on the KDF pool first, then insert on the writer.
  impl->hash_on_kdf(
      std::move(secret),
      [impl, username = std::move(username), display_name = std::move(display_name),
       finish = std::move(finish)](Status st, std::string hash) mutable {
        if (st != Status::ok) {
          finish(st, Player{});
          return;
        }
        impl->enqueue<Player>(
            [username = std::move(username), hash = std::move(hash),
             display_name = std::move(display_name)](Statements& sql, int64_t now_ms, Player& out) {
              try {
                sqlite::Cursor row = sql.insert_account.query(username, hash, display_name, now_ms);
                out.id = returned_id(row);
              } catch (const sqlite::Error& e) {
                // The only UNIQUE column this insert sets is username (NOCASE).
                if (e.code() == SQLITE_CONSTRAINT_UNIQUE) return Status::username_taken;
                throw;
              }
              out.username = username;
              out.display_name = display_name;
              out.created = true;
              return Status::ok;
            },
            std::move(finish));
      });
}

namespace {

// What the writer hands the KDF pool for a password login.
struct Account {
  bool found = false;
  Player player;
  std::string hash;
};

}  // namespace

void SqliteStore::login_password(std::string username, std::string secret, PlayerCallback done) {
  auto finish = impl_->track(std::move(done));
  if (!valid_username(username) || !valid_password(secret)) {
    impl_->reject(Status::invalid, std::move(finish));
    return;
  }
  Impl* impl = impl_.get();
  // Three hops: fetch the row on the writer, verify on the KDF pool, record the login on the
  // writer (which also re-checks a ban that landed in between).
  impl->enqueue<Account>(
      [username = std::move(username)](Statements& sql, int64_t, Account& out) {
        sqlite::Cursor row = sql.player_by_username.query(username);
        if (row.next()) {
          out.found = true;
          read_player(row, out.player);
          out.hash = row.text(6);
        }
        return Status::ok;
      },
      [impl, secret = std::move(secret), finish = std::move(finish)](Status status,
                                                                     Account account) mutable {
        if (status != Status::ok) {
          finish(status, Player{});
          return;
        }
        const PlayerId id = account.player.id;
        impl->verify_on_kdf(account.found, std::move(account.hash), std::move(secret),
                            [impl, id, finish = std::move(finish)](Status verified) mutable {
                              if (verified != Status::ok) {
                                finish(verified, Player{});
                                return;
                              }
                              impl->enqueue<Player>(
                                  [id](Statements& sql, int64_t now_ms, Player& out) {
                                    {
                                      sqlite::Cursor row = sql.player_by_id.query(id);
                                      if (!row.next())
                                        return Status::bad_credentials;  // deleted meanwhile
                                      read_player(row, out);
                                    }
                                    return admit(sql, now_ms, out);
                                  },
                                  std::move(finish));
                            });
      });
}

void SqliteStore::record_matches(std::vector<MatchResult> results, StatusCallback done) {
  auto finish = impl_->track(std::move(done));
  for (const MatchResult& r : results) {
    if (r.player_id <= 0 || r.room_type.empty() || r.room_type.size() > kRoomTypeMax ||
        !valid_text(r.room_type)) {
      impl_->reject(Status::invalid, std::move(finish));
      return;
    }
  }
  impl_->enqueue<std::monostate>(
      [results = std::move(results)](Statements& sql, int64_t, std::monostate&) {
        try {
          for (const MatchResult& r : results) {
            // room_id is stored as its int64 bit pattern (SQLite integers are signed).
            sql.insert_match.run(r.player_id, r.room_type, static_cast<int64_t>(r.room_id), r.score,
                                 r.started_ms, r.ended_ms);
            sql.add_to_stats.run(r.player_id, r.score, r.ended_ms);
          }
        } catch (const sqlite::Error& e) {
          // All or nothing: the savepoint undoes the rows already written by this request.
          if (e.code() == SQLITE_CONSTRAINT_FOREIGNKEY) return Status::not_found;
          throw;
        }
        return Status::ok;
      },
      [finish = std::move(finish)](Status status, std::monostate) { finish(status); });
}

void SqliteStore::get_stats(PlayerId player, StatsCallback done) {
  impl_->enqueue<Stats>(
      [player](Statements& sql, int64_t, Stats& out) {
        sqlite::Cursor row = sql.stats_of.query(player);
        if (!row.next()) return Status::not_found;
        out.player_id = row.int64(0);
        out.display_name = row.text(1);
        out.total_score = row.int64(2);
        out.games_played = row.int64(3);
        out.best_score = row.int64(4);
        out.last_played_ms = row.int64(5);
        return Status::ok;
      },
      impl_->track(std::move(done)));
}

void SqliteStore::top_players(uint32_t limit, TopCallback done) {
  limit = std::min(limit, kMaxTopPlayers);
  impl_->enqueue<std::vector<Stats>>(
      [limit](Statements& sql, int64_t now_ms, std::vector<Stats>& out) {
        sqlite::Cursor row = sql.leaderboard.query(limit, now_ms);
        while (row.next()) {
          out.push_back(Stats{row.int64(0), row.text(1), row.int64(2), row.int64(3), row.int64(4),
                              row.int64(5)});
        }
        return Status::ok;
      },
      impl_->track(std::move(done)));
}

void SqliteStore::find_player(PlayerId player, PlayerCallback done) {
  impl_->enqueue<Player>(
      [player](Statements& sql, int64_t, Player& out) {
        sqlite::Cursor row = sql.player_by_id.query(player);
        if (!row.next()) return Status::not_found;
        read_player(row, out);
        return Status::ok;
      },
      impl_->track(std::move(done)));
}

void SqliteStore::ban(PlayerId player, int64_t until_ms, std::string reason, StatusCallback done) {
  auto finish = impl_->track(std::move(done));
  if (until_ms < 0 || reason.size() > kBanReasonMax || !valid_text(reason)) {
    impl_->reject(Status::invalid, std::move(finish));
    return;
  }
  impl_->enqueue<std::monostate>(
      [player, until_ms, reason = std::move(reason)](Statements& sql, int64_t, std::monostate&) {
        sqlite::Cursor row = sql.set_ban.query(player, until_ms, reason);
        return row.next() ? Status::ok : Status::not_found;
      },
      [finish = std::move(finish)](Status status, std::monostate) { finish(status); });
}

void SqliteStore::flush() {
  if (t_owner == impl_.get()) {
    log::error("store: flush() called from a store thread; skipped, it would wait for itself");
    return;
  }
  uint64_t last = 0;
  {
    std::lock_guard lock(impl_->ops_mu);
    last = impl_->next_op - 1;
  }
  impl_->wait_for(last);
}

// ---------------------------------------------------------------------------------------------
// AdminStore

void SqliteStore::create_admin(std::string username, std::string secret, std::string role,
                               AdminStatusCallback done) {
  auto finish = impl_->track(std::move(done));
  if (!valid_username(username) || !valid_password(secret) || !valid_role(role)) {
    impl_->reject(Status::invalid, std::move(finish));
    return;
  }
  Impl* impl = impl_.get();
  // As register_password: hash on the KDF pool, then insert on the writer.
  impl->hash_on_kdf(
      std::move(secret), [impl, username = std::move(username), role = std::move(role),
                          finish = std::move(finish)](Status st, std::string hash) mutable {
        if (st != Status::ok) {
          finish(st);
          return;
        }
        impl->enqueue<std::monostate>(
            [username = std::move(username), hash = std::move(hash), role = std::move(role)](
                Statements& sql, int64_t now_ms, std::monostate&) {
              try {
                sqlite::Cursor row = sql.insert_admin.query(username, hash, role, now_ms);
                returned_id(row);
              } catch (const sqlite::Error& e) {
                // The only UNIQUE column of admin_users is username (NOCASE).
                if (e.code() == SQLITE_CONSTRAINT_UNIQUE) return Status::username_taken;
                throw;
              }
              return Status::ok;
            },
            [finish = std::move(finish)](Status status, std::monostate) { finish(status); });
      });
}

namespace {

// What the writer hands the KDF pool for an admin login.
struct AdminAccount {
  bool found = false;
  int64_t id = 0;
  std::string hash;
};

}  // namespace

void SqliteStore::verify_admin(std::string username, std::string secret, AdminCallback done) {
  auto finish = impl_->track(std::move(done));
  if (!valid_username(username) || !valid_password(secret)) {
    impl_->reject(Status::invalid, std::move(finish));
    return;
  }
  Impl* impl = impl_.get();
  // The login_password hops: fetch the hash on the writer, verify on the KDF pool (an unknown
  // name against the dummy hash), record the login on the writer.
  impl->enqueue<AdminAccount>(
      [username = std::move(username)](Statements& sql, int64_t, AdminAccount& out) {
        sqlite::Cursor row = sql.admin_hash.query(username);
        if (row.next()) {
          out.found = true;
          out.id = row.int64(0);
          out.hash = row.text(1);
        }
        return Status::ok;
      },
      [impl, secret = std::move(secret), finish = std::move(finish)](Status status,
                                                                     AdminAccount account) mutable {
        if (status != Status::ok) {
          finish(status, AdminUser{});
          return;
        }
        const int64_t id = account.id;
        impl->verify_on_kdf(account.found, std::move(account.hash), std::move(secret),
                            [impl, id, finish = std::move(finish)](Status verified) mutable {
                              if (verified != Status::ok) {
                                finish(verified, AdminUser{});
                                return;
                              }
                              impl->enqueue<AdminUser>(
                                  [id](Statements& sql, int64_t now_ms, AdminUser& out) {
                                    sqlite::Cursor row = sql.touch_admin_login.query(id, now_ms);
                                    if (!row.next())
                                      return Status::bad_credentials;  // deleted meanwhile
                                    out = read_admin(row);
                                    return Status::ok;
                                  },
                                  std::move(finish));
                            });
      });
}

void SqliteStore::list_admins(AdminListCallback done) {
  impl_->enqueue<std::vector<AdminUser>>(
      [](Statements& sql, int64_t, std::vector<AdminUser>& out) {
        sqlite::Cursor row = sql.admins.query();
        while (row.next()) out.push_back(read_admin(row));
        return Status::ok;
      },
      impl_->track(std::move(done)));
}

void SqliteStore::count_admins(CountCallback done) {
  impl_->enqueue<int64_t>(
      [](Statements& sql, int64_t, int64_t& out) {
        sqlite::Cursor row = sql.admin_count.query();
        out = row.next() ? row.int64(0) : 0;
        return Status::ok;
      },
      impl_->track(std::move(done)));
}

void SqliteStore::append_audit(AuditEntry entry, AdminStatusCallback done) {
  auto finish = impl_->track(std::move(done));
  if (entry.actor.empty() || entry.action.empty() || entry.at_ms < 0) {
    impl_->reject(Status::invalid, std::move(finish));
    return;
  }
  entry.actor = clean_text(entry.actor, kAuditActorMax);
  entry.action = clean_text(entry.action, kAuditActionMax);
  entry.target = clean_text(entry.target, kAuditTargetMax);
  entry.detail = clean_text(entry.detail, kAuditDetailMax);
  impl_->enqueue<std::monostate>(
      [entry = std::move(entry)](Statements& sql, int64_t now_ms, std::monostate&) {
        sql.insert_audit.run(entry.at_ms == 0 ? now_ms : entry.at_ms, entry.actor, entry.action,
                             entry.target, entry.detail, entry.ok ? 1 : 0);
        return Status::ok;
      },
      [finish = std::move(finish)](Status status, std::monostate) { finish(status); });
}

void SqliteStore::list_audit(uint32_t limit, int64_t before_id, AuditCallback done) {
  auto finish = impl_->track(std::move(done));
  if (before_id < 0) {
    impl_->reject(Status::invalid, std::move(finish));
    return;
  }
  limit = std::min(limit, kMaxAuditPage);
  const int64_t below = before_id == 0 ? std::numeric_limits<int64_t>::max() : before_id;
  impl_->enqueue<std::vector<AuditEntry>>(
      [limit, below](Statements& sql, int64_t, std::vector<AuditEntry>& out) {
        sqlite::Cursor row = sql.audit_page.query(below, limit);
        while (row.next()) {
          out.push_back(AuditEntry{row.int64(0), row.int64(1), row.text(2), row.text(3),
                                   row.text(4), row.text(5), row.int64(6) != 0});
        }
        return Status::ok;
      },
      std::move(finish));
}

void SqliteStore::search_players(std::string query, uint32_t limit, SearchCallback done) {
  auto finish = impl_->track(std::move(done));
  const size_t first = query.find_first_not_of(' ');
  query = first == std::string::npos ? std::string() : query.substr(first);
  query.erase(query.find_last_not_of(' ') + 1);
  if (query.size() > kMaxSearchQuery || !valid_text(query)) {
    impl_->reject(Status::invalid, std::move(finish));
    return;
  }
  limit = std::min(limit, kMaxSearchResults);
  // An all-digit query may be an id; a number too big for one matches names only.
  std::optional<int64_t> id;
  if (!query.empty() &&
      std::all_of(query.begin(), query.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int64_t value = 0;
    const auto [end, error] = std::from_chars(query.data(), query.data() + query.size(), value);
    if (error == std::errc() && end == query.data() + query.size()) id = value;
  }
  impl_->enqueue<std::vector<PlayerSummary>>(
      [limit, id, pattern = query.empty() ? std::string() : like_prefix(query)](
          Statements& sql, int64_t, std::vector<PlayerSummary>& out) {
        sqlite::Cursor row = pattern.empty() ? sql.recently_seen.query(limit)
                                             : (id ? sql.search.query(*id, pattern, limit)
                                                   : sql.search.query(nullptr, pattern, limit));
        while (row.next()) {
          PlayerSummary& s = out.emplace_back();
          read_summary(row, s.player, s.stats, s.created_ms, s.last_login_ms);
        }
        return Status::ok;
      },
      std::move(finish));
}

void SqliteStore::player_detail(PlayerId player, DetailCallback done) {
  impl_->enqueue<PlayerDetail>(
      [player](Statements& sql, int64_t, PlayerDetail& out) {
        {
          sqlite::Cursor row = sql.summary_by_id.query(player);
          if (!row.next()) return Status::not_found;
          read_summary(row, out.player, out.stats, out.created_ms, out.last_login_ms);
        }
        sqlite::Cursor row = sql.recent_matches.query(player, kRecentMatches);
        while (row.next()) {
          // room_id went in as its int64 bit pattern (record_matches).
          out.recent_matches.push_back(MatchResult{row.int64(0), row.text(1),
                                                   static_cast<uint64_t>(row.int64(2)),
                                                   row.int64(3), row.int64(4), row.int64(5)});
        }
        return Status::ok;
      },
      impl_->track(std::move(done)));
}

StoreMetrics SqliteStore::metrics() const {
  std::lock_guard lock(impl_->metrics_mu);
  return impl_->metrics;
}

size_t SqliteStore::queue_depth() const {
  size_t writer_depth = 0;
  {
    std::lock_guard lock(impl_->queue_mu);
    writer_depth = impl_->queue.size();
  }
  return writer_depth + impl_->kdf.pending();
}

}  // namespace rookery::store
