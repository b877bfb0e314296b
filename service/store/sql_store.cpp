#include "store/sql_store.hpp"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <exception>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <variant>

#include "base/log.hpp"
#include "base/text.hpp"
#include "store/kdf_pool.hpp"
#include "store/validation.hpp"
#include "store/worker_pool.hpp"

namespace rookery::store {
namespace {

using sql::Query;
using namespace rules;

// Column layouts every dialect's SQL returns (see sql.hpp):
//   player:  id, username, device_id, display_name, banned_until_ms, ban_reason, password_hash
//   summary: the first six player columns, created_ms, last_login_ms, total_score,
//            games_played, best_score, last_played_ms
//   admin:   id, username, role, created_ms, last_login_ms

// Reads the player columns of the current row.
void read_player(const sql::Rows& row, Player& out) {
  out.id = row.int64(0);
  out.username = row.text(1);
  out.guest = row.is_null(1);
  out.display_name = row.text(3);
  out.banned_until_ms = row.int64(4);
  out.ban_reason = row.text(5);
}

// Reads the summary columns of the current row.
void read_summary(const sql::Rows& row, Player& player, Stats& stats, int64_t& created_ms,
                  int64_t& last_login_ms) {
  read_player(row, player);
  created_ms = row.int64(6);
  last_login_ms = row.int64(7);
  stats = Stats{player.id,    player.display_name, row.int64(8),
                row.int64(9), row.int64(10),       row.int64(11)};
}

// Reads the admin columns of the current row.
AdminUser read_admin(const sql::Rows& row) {
  return AdminUser{row.int64(0), row.text(1), row.text(2), row.int64(3), row.int64(4)};
}

// The id from an INSERT ... RETURNING id.
int64_t returned_id(sql::Rows& row) {
  if (!row.next()) throw std::runtime_error("INSERT returned no id");
  return row.int64(0);
}

// Lets a player (already read into `out`) in: banned players are refused and not touched.
Status admit(sql::Connection& db, int64_t now_ms, Player& out) {
  if (out.banned_until_ms > now_ms) return Status::banned;
  db.run(Query::touch_login, out.id, now_ms);
  return Status::ok;
}

// A request built from two callables, with the Result execute() fills and complete() hands on.
template <class Result, class Exec, class Done>
class Op final : public Request {
 public:
  Op(Exec exec, Done done) : exec_(std::move(exec)), done_(std::move(done)) {}
  Status execute(sql::Connection& db, int64_t now_ms) override {
    return exec_(db, now_ms, result_);
  }
  void complete(Status status) override {
    if (status == Status::failed || status == Status::overloaded) {
      result_ = Result{};  // never hand out half-read data
    }
    done_(status, std::move(result_));
  }

 private:
  Exec exec_;
  Done done_;
  Result result_{};
};

// What a read hands the KDF pool for a password login.
struct Account {
  bool found = false;
  Player player;
  std::string hash;
};

// What a read hands the KDF pool for an admin login.
struct AdminAccount {
  bool found = false;
  int64_t id = 0;
  std::string hash;
};

constexpr bool kRead = true, kWrite = false;

}  // namespace

// ---------------------------------------------------------------------------------------------

struct SqlStore::Impl {
  Impl(const StoreOptions& o, Dialect d);
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

  // Queues one request. `exec(Connection&, now_ms, Result&) -> Status` runs in a batch
  // transaction (on a reader connection if `read_only` and the dialect has readers);
  // `done(Status, Result)` runs after it ended, or with overloaded if the queue is full.
  template <class Result, class Exec, class Done>
  void enqueue(bool read_only, Exec exec, Done done) {
    auto request = std::make_unique<Op<Result, Exec, Done>>(std::move(exec), std::move(done));
    request->read_only = read_only;
    if (std::unique_ptr<Request> refused = executor->submit(std::move(request))) {
      std::shared_ptr<Request> answer(std::move(refused));
      reply([answer] { answer->complete(Status::overloaded); });
    }
  }

  // Runs `answer` on the reply thread: even a refused call calls back on a store thread, and
  // never on the caller's (which may hold a lock the callback wants).
  void reply(std::function<void()> answer) {
    if (!replies.post(answer)) answer();  // stopping: only the destructor's drain gets here
  }

  // Answers `status` without touching the database.
  template <class Result>
  void reject(Status status, std::function<void(Status, Result)> finish) {
    reply([status, finish = std::move(finish)] { finish(status, Result{}); });
  }
  void reject(Status status, std::function<void(Status)> finish) {
    reply([status, finish = std::move(finish)] { finish(status); });
  }

  // Waits until no tracked request with an id <= `last` is outstanding.
  void wait_for(uint64_t last) {
    std::unique_lock lock(ops_mu);
    ops_cv.wait(lock, [&] { return outstanding.empty() || *outstanding.begin() > last; });
  }

  StoreOptions options;
  std::string dialect;

  std::mutex ops_mu;
  std::condition_variable ops_cv;
  std::set<uint64_t> outstanding;  // ids of public requests whose callback has not returned
  uint64_t next_op = 1;

  // Threads last, so each starts after what it uses and stops before it goes.
  WorkerPool replies;
  std::unique_ptr<BatchExecutor> executor;
  std::unique_ptr<KdfPool> kdf;
};

SqlStore::Impl::Impl(const StoreOptions& o, Dialect d)
    : options(o), dialect(std::move(d.name)), replies(this, "store-reply", 0) {
  if (options.kdf_threads == 0) throw std::runtime_error("store kdf_threads must be at least 1");
  if (options.kdf_queue_max == 0) {
    throw std::runtime_error("store kdf_queue_max must be at least 1");
  }
  replies.start(1);
  ExecutorOptions eo;
  eo.batch_max = options.batch_max;
  eo.queue_max = options.queue_max;
  eo.read_connections = d.read_connections;
  eo.reconnect_max = std::chrono::milliseconds(std::max<uint32_t>(d.reconnect_max_ms, 100));
  executor = std::make_unique<BatchExecutor>(eo, std::move(d.connect), this);
  kdf = std::make_unique<KdfPool>(this, options.kdf_threads, options.kdf_queue_max,
                                  [this](std::function<void()> answer) {
                                    executor->count_overloaded();
                                    reply(std::move(answer));
                                  });
}

SqlStore::Impl::~Impl() {
  // Login chains hop connection -> KDF -> connection, so stop nothing until every request has
  // finished.
  {
    std::unique_lock lock(ops_mu);
    ops_cv.wait(lock, [this] { return outstanding.empty(); });
  }
  kdf->stop();
  executor->stop();
  replies.stop();
}

// ---------------------------------------------------------------------------------------------

SqlStore::SqlStore(const StoreOptions& options, Dialect dialect)
    : impl_(std::make_unique<Impl>(options, std::move(dialect))) {}

SqlStore::~SqlStore() = default;

void SqlStore::login_guest(std::string device_id, std::string display_name, NewGuest create,
                           PlayerCallback done) {
  auto finish = impl_->track(std::move(done));
  if (!valid_device_id(device_id) || (!display_name.empty() && !valid_display_name(display_name))) {
    impl_->reject(Status::invalid, std::move(finish));
    return;
  }
  impl_->enqueue<Player>(
      kWrite,
      [device_id = std::move(device_id), display_name = std::move(display_name), create](
          sql::Connection& db, int64_t now_ms, Player& out) {
        {
          auto row = db.query(Query::player_by_device, device_id);
          if (row->next()) {
            read_player(*row, out);
            return admit(db, now_ms, out);
          }
        }
        if (create == NewGuest::refused) return Status::not_found;
        // The name given now is used only when the account is created.
        {
          auto row = db.query(Query::insert_guest, device_id, display_name, now_ms);
          out.id = returned_id(*row);
        }
        out.display_name = display_name;
        if (out.display_name.empty()) {
          // The default name embeds the id, which exists only after the insert.
          out.display_name = "guest-" + std::to_string(out.id);
          db.run(Query::set_display_name, out.id, out.display_name);
        }
        out.guest = true;
        out.created = true;
        return Status::ok;
      },
      std::move(finish));
}

void SqlStore::register_password(std::string username, std::string secret, std::string display_name,
                                 PlayerCallback done, StillWanted wanted) {
  auto finish = impl_->track(std::move(done));
  if (display_name.empty()) display_name = username;
  if (!valid_username(username) || !valid_password(secret) || !valid_display_name(display_name)) {
    impl_->reject(Status::invalid, std::move(finish));
    return;
  }
  Impl* impl = impl_.get();
  // Hash on the KDF pool first, then insert on the writer: one statement in one transaction,
  // so an account is either saved whole or not at all.
  impl->kdf->hash(
      std::move(secret),
      [impl, username = std::move(username), display_name = std::move(display_name),
       finish = std::move(finish)](Status st, std::string hash) mutable {
        if (st != Status::ok) {
          finish(st, Player{});
          return;
        }
        impl->enqueue<Player>(
            kWrite,
            [username = std::move(username), hash = std::move(hash),
             display_name = std::move(display_name)](sql::Connection& db, int64_t now_ms,
                                                     Player& out) {
              try {
                auto row = db.query(Query::insert_account, username, hash, display_name, now_ms);
                out.id = returned_id(*row);
              } catch (const sql::Error& e) {
                // The only unique column this insert sets is username (in any case).
                if (e.kind() == sql::Error::Kind::unique_violation) return Status::username_taken;
                throw;
              }
              out.username = username;
              out.display_name = display_name;
              out.created = true;
              return Status::ok;
            },
            std::move(finish));
      },
      std::move(wanted));
}

void SqlStore::login_password(std::string username, std::string secret, PlayerCallback done,
                              StillWanted wanted) {
  auto finish = impl_->track(std::move(done));
  if (!valid_username(username) || !valid_password(secret)) {
    impl_->reject(Status::invalid, std::move(finish));
    return;
  }
  Impl* impl = impl_.get();
  // Three hops: read the row, verify on the KDF pool, record the login on the writer (which
  // also re-checks a ban that landed in between).
  impl->enqueue<Account>(
      kRead,
      [username = std::move(username)](sql::Connection& db, int64_t, Account& out) {
        auto row = db.query(Query::player_by_username, username);
        if (row->next()) {
          out.found = true;
          read_player(*row, out.player);
          out.hash = row->text(6);
        }
        return Status::ok;
      },
      [impl, secret = std::move(secret), finish = std::move(finish), wanted = std::move(wanted)](
          Status status, Account account) mutable {
        if (status != Status::ok) {
          finish(status, Player{});
          return;
        }
        const PlayerId id = account.player.id;
        impl->kdf->verify(
            account.found, std::move(account.hash), std::move(secret),
            [impl, id, finish = std::move(finish)](Status verified) mutable {
              if (verified != Status::ok) {
                finish(verified, Player{});
                return;
              }
              impl->enqueue<Player>(
                  kWrite,
                  [id](sql::Connection& db, int64_t now_ms, Player& out) {
                    {
                      auto row = db.query(Query::player_by_id, id);
                      if (!row->next()) {
                        return Status::bad_credentials;  // deleted meanwhile
                      }
                      read_player(*row, out);
                    }
                    return admit(db, now_ms, out);
                  },
                  std::move(finish));
            },
            std::move(wanted));
      });
}

void SqlStore::record_matches(std::vector<MatchResult> results, StatusCallback done) {
  auto finish = impl_->track(std::move(done));
  for (const MatchResult& r : results) {
    if (r.player_id <= 0 || r.room_type.empty() || r.room_type.size() > kRoomTypeMax ||
        !base::valid_text(r.room_type)) {
      impl_->reject(Status::invalid, std::move(finish));
      return;
    }
  }
  impl_->enqueue<std::monostate>(
      kWrite,
      [results = std::move(results)](sql::Connection& db, int64_t, std::monostate&) {
        try {
          for (const MatchResult& r : results) {
            // room_id is stored as its int64 bit pattern (SQL integers are signed).
            const auto room = static_cast<int64_t>(r.room_id);
            if (r.continues) {
              // A later checkpoint of the same stint: one row per stint, one game played.
              db.run(Query::update_match, r.score, r.ended_ms, r.player_id, room, r.started_ms);
              db.run(Query::add_gain_to_stats, r.player_id, r.score - r.recorded_score, r.score,
                     r.ended_ms);
            } else {
              db.run(Query::insert_match, r.player_id, r.room_type, room, r.score, r.started_ms,
                     r.ended_ms);
              db.run(Query::add_to_stats, r.player_id, r.score, r.ended_ms);
            }
          }
        } catch (const sql::Error& e) {
          // All or nothing: the savepoint undoes the rows already written by this request.
          if (e.kind() == sql::Error::Kind::foreign_key_violation) return Status::not_found;
          throw;
        }
        return Status::ok;
      },
      [finish = std::move(finish)](Status status, std::monostate) { finish(status); });
}

void SqlStore::get_stats(PlayerId player, StatsCallback done) {
  impl_->enqueue<Stats>(
      kRead,
      [player](sql::Connection& db, int64_t, Stats& out) {
        auto row = db.query(Query::stats_of, player);
        if (!row->next()) return Status::not_found;
        out = Stats{row->int64(0), row->text(1),  row->int64(2),
                    row->int64(3), row->int64(4), row->int64(5)};
        return Status::ok;
      },
      impl_->track(std::move(done)));
}

void SqlStore::top_players(uint32_t limit, TopCallback done) {
  limit = std::min(limit, kMaxTopPlayers);
  impl_->enqueue<std::vector<Stats>>(
      kRead,
      [limit](sql::Connection& db, int64_t now_ms, std::vector<Stats>& out) {
        auto row = db.query(Query::leaderboard, limit, now_ms);
        while (row->next()) {
          out.push_back(Stats{row->int64(0), row->text(1), row->int64(2), row->int64(3),
                              row->int64(4), row->int64(5)});
        }
        return Status::ok;
      },
      impl_->track(std::move(done)));
}

void SqlStore::find_player(PlayerId player, PlayerCallback done) {
  impl_->enqueue<Player>(
      kRead,
      [player](sql::Connection& db, int64_t, Player& out) {
        auto row = db.query(Query::player_by_id, player);
        if (!row->next()) return Status::not_found;
        read_player(*row, out);
        return Status::ok;
      },
      impl_->track(std::move(done)));
}

void SqlStore::ban(PlayerId player, int64_t until_ms, std::string reason, StatusCallback done) {
  auto finish = impl_->track(std::move(done));
  if (until_ms < 0 || reason.size() > kBanReasonMax || !base::valid_text(reason)) {
    impl_->reject(Status::invalid, std::move(finish));
    return;
  }
  impl_->enqueue<std::monostate>(
      kWrite,
      [player, until_ms, reason = std::move(reason)](sql::Connection& db, int64_t,
                                                     std::monostate&) {
        auto row = db.query(Query::set_ban, player, until_ms, reason);
        return row->next() ? Status::ok : Status::not_found;
      },
      [finish = std::move(finish)](Status status, std::monostate) { finish(status); });
}

void SqlStore::flush() {
  if (current_store_owner() == impl_.get()) {
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

void SqlStore::create_admin(std::string username, std::string secret, std::string role,
                            AdminStatusCallback done) {
  auto finish = impl_->track(std::move(done));
  if (!valid_username(username) || !valid_password(secret) || !valid_role(role)) {
    impl_->reject(Status::invalid, std::move(finish));
    return;
  }
  Impl* impl = impl_.get();
  // As register_password: hash on the KDF pool, then insert on the writer.
  impl->kdf->hash(
      std::move(secret), [impl, username = std::move(username), role = std::move(role),
                          finish = std::move(finish)](Status st, std::string hash) mutable {
        if (st != Status::ok) {
          finish(st);
          return;
        }
        impl->enqueue<std::monostate>(
            kWrite,
            [username = std::move(username), hash = std::move(hash), role = std::move(role)](
                sql::Connection& db, int64_t now_ms, std::monostate&) {
              try {
                auto row = db.query(Query::insert_admin, username, hash, role, now_ms);
                returned_id(*row);
              } catch (const sql::Error& e) {
                // The only unique column of admin_users is username (in any case).
                if (e.kind() == sql::Error::Kind::unique_violation) return Status::username_taken;
                throw;
              }
              return Status::ok;
            },
            [finish = std::move(finish)](Status status, std::monostate) { finish(status); });
      });
}

void SqlStore::verify_admin(std::string username, std::string secret, AdminCallback done) {
  auto finish = impl_->track(std::move(done));
  if (!valid_username(username) || !valid_password(secret)) {
    impl_->reject(Status::invalid, std::move(finish));
    return;
  }
  Impl* impl = impl_.get();
  // The login_password hops: read the hash, verify on the KDF pool (an unknown name against
  // the dummy hash), record the login on the writer.
  impl->enqueue<AdminAccount>(
      kRead,
      [username = std::move(username)](sql::Connection& db, int64_t, AdminAccount& out) {
        auto row = db.query(Query::admin_hash, username);
        if (row->next()) {
          out.found = true;
          out.id = row->int64(0);
          out.hash = row->text(1);
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
        impl->kdf->verify(account.found, std::move(account.hash), std::move(secret),
                          [impl, id, finish = std::move(finish)](Status verified) mutable {
                            if (verified != Status::ok) {
                              finish(verified, AdminUser{});
                              return;
                            }
                            impl->enqueue<AdminUser>(
                                kWrite,
                                [id](sql::Connection& db, int64_t now_ms, AdminUser& out) {
                                  auto row = db.query(Query::touch_admin_login, id, now_ms);
                                  if (!row->next()) {
                                    return Status::bad_credentials;  // deleted meanwhile
                                  }
                                  out = read_admin(*row);
                                  return Status::ok;
                                },
                                std::move(finish));
                          });
      });
}

void SqlStore::list_admins(AdminListCallback done) {
  impl_->enqueue<std::vector<AdminUser>>(
      kRead,
      [](sql::Connection& db, int64_t, std::vector<AdminUser>& out) {
        auto row = db.query(Query::admins);
        while (row->next()) out.push_back(read_admin(*row));
        return Status::ok;
      },
      impl_->track(std::move(done)));
}

void SqlStore::count_admins(CountCallback done) {
  impl_->enqueue<int64_t>(
      kRead,
      [](sql::Connection& db, int64_t, int64_t& out) {
        auto row = db.query(Query::admin_count);
        out = row->next() ? row->int64(0) : 0;
        return Status::ok;
      },
      impl_->track(std::move(done)));
}

void SqlStore::append_audit(AuditEntry entry, AdminStatusCallback done) {
  auto finish = impl_->track(std::move(done));
  if (entry.actor.empty() || entry.action.empty() || entry.at_ms < 0) {
    impl_->reject(Status::invalid, std::move(finish));
    return;
  }
  entry.actor = base::clean_text(entry.actor, kAuditActorMax);
  entry.action = base::clean_text(entry.action, kAuditActionMax);
  entry.target = base::clean_text(entry.target, kAuditTargetMax);
  entry.detail = base::clean_text(entry.detail, kAuditDetailMax);
  impl_->enqueue<std::monostate>(
      kWrite,
      [entry = std::move(entry)](sql::Connection& db, int64_t now_ms, std::monostate&) {
        db.run(Query::insert_audit, entry.at_ms == 0 ? now_ms : entry.at_ms, entry.actor,
               entry.action, entry.target, entry.detail, entry.ok);
        return Status::ok;
      },
      [finish = std::move(finish)](Status status, std::monostate) { finish(status); });
}

void SqlStore::list_audit(uint32_t limit, int64_t before_id, AuditCallback done) {
  auto finish = impl_->track(std::move(done));
  if (before_id < 0) {
    impl_->reject(Status::invalid, std::move(finish));
    return;
  }
  limit = std::min(limit, kMaxAuditPage);
  const int64_t below = before_id == 0 ? std::numeric_limits<int64_t>::max() : before_id;
  impl_->enqueue<std::vector<AuditEntry>>(
      kRead,
      [limit, below](sql::Connection& db, int64_t, std::vector<AuditEntry>& out) {
        auto row = db.query(Query::audit_page, below, limit);
        while (row->next()) {
          out.push_back(AuditEntry{row->int64(0), row->int64(1), row->text(2), row->text(3),
                                   row->text(4), row->text(5), row->int64(6) != 0});
        }
        return Status::ok;
      },
      std::move(finish));
}

void SqlStore::search_players(std::string query, uint32_t limit, SearchCallback done) {
  auto finish = impl_->track(std::move(done));
  const size_t first = query.find_first_not_of(' ');
  query = first == std::string::npos ? std::string() : query.substr(first);
  query.erase(query.find_last_not_of(' ') + 1);
  if (query.size() > kMaxSearchQuery || !base::valid_text(query)) {
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
      kRead,
      [limit, id, pattern = query.empty() ? std::string() : like_prefix(query)](
          sql::Connection& db, int64_t, std::vector<PlayerSummary>& out) {
        auto row = pattern.empty() ? db.query(Query::recently_seen, limit)
                                   : (id ? db.query(Query::search, *id, pattern, limit)
                                         : db.query(Query::search, nullptr, pattern, limit));
        while (row->next()) {
          PlayerSummary& s = out.emplace_back();
          read_summary(*row, s.player, s.stats, s.created_ms, s.last_login_ms);
        }
        return Status::ok;
      },
      std::move(finish));
}

void SqlStore::player_detail(PlayerId player, DetailCallback done) {
  impl_->enqueue<PlayerDetail>(
      kRead,
      [player](sql::Connection& db, int64_t, PlayerDetail& out) {
        {
          auto row = db.query(Query::summary_by_id, player);
          if (!row->next()) return Status::not_found;
          read_summary(*row, out.player, out.stats, out.created_ms, out.last_login_ms);
        }
        auto row = db.query(Query::recent_matches, player, kRecentMatches);
        while (row->next()) {
          // room_id went in as its int64 bit pattern (record_matches).
          out.recent_matches.push_back(MatchResult{row->int64(0), row->text(1),
                                                   static_cast<uint64_t>(row->int64(2)),
                                                   row->int64(3), row->int64(4), row->int64(5)});
        }
        return Status::ok;
      },
      impl_->track(std::move(done)));
}

StoreMetrics SqlStore::metrics() const {
  return impl_->executor->metrics();
}

size_t SqlStore::queue_depth() const {
  return impl_->executor->depth() + impl_->kdf->pending();
}

bool SqlStore::healthy() const {
  return impl_->executor->healthy();
}

}  // namespace rookery::store
