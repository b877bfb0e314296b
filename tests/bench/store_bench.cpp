// store_bench: throughput of one store (SQLite file or PostgreSQL URL) for the three writes the
// game server makes most: password registrations, password logins and match saves (one
// record_matches call with one finished stint). Each phase submits all its requests at once,
// like a burst of clients, and is timed until flush() returns (every request committed and
// answered). Bounded: fixed request counts. Prints one JSON line.
//   store_bench --db DB [--registrations N] [--logins N] [--matches N] [--kdf-threads N]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.hpp"
#include "store/store.hpp"

namespace {

using namespace rookery;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string db;
  int registrations = 200;
  int logins = 200;
  int matches = 20000;
  uint32_t kdf_threads = 2;
};

// Per second, from a count and the time since `start`.
double rate(int count, Clock::time_point start) {
  return count / std::chrono::duration<double>(Clock::now() - start).count();
}

// Counts answers that were not ok (a benchmark of failures would be meaningless).
struct Failures {
  std::atomic<int> count{0};
  void note(store::Status s) { count += s == store::Status::ok ? 0 : 1; }
};

bool parse(int argc, char** argv, Args& a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--db") {
      a.db = value;
    } else if (flag == "--registrations") {
      a.registrations = std::atoi(value);
    } else if (flag == "--logins") {
      a.logins = std::atoi(value);
    } else if (flag == "--matches") {
      a.matches = std::atoi(value);
    } else if (flag == "--kdf-threads") {
      a.kdf_threads = static_cast<uint32_t>(std::atoi(value));
    } else {
      return false;
    }
  }
  return !a.db.empty() && a.registrations > 0 && a.logins > 0 && a.matches > 0 &&
         a.kdf_threads > 0 && argc % 2 == 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!parse(argc, argv, a)) {
    std::fprintf(stderr,
                 "usage: store_bench --db DB [--registrations N] [--logins N] [--matches N] "
                 "[--kdf-threads N]\n");
    return 2;
  }
  log::configure(log::Level::warn, log::Format::text);
  store::StoreOptions options;
  options.path = a.db;
  options.kdf_threads = a.kdf_threads;
  options.kdf_queue_max = static_cast<uint32_t>(a.registrations + a.logins);
  options.queue_max = static_cast<uint32_t>(a.matches + a.registrations + 16);
  try {
    auto db = store::open_store(options);
    Failures failures;
    std::vector<PlayerId> ids(static_cast<size_t>(a.registrations));

    auto start = Clock::now();
    for (int i = 0; i < a.registrations; ++i) {
      db->register_password("bench" + std::to_string(i), "password-" + std::to_string(i), "",
                            [&, i](store::Status s, store::Player p) {
                              failures.note(s);
                              ids[static_cast<size_t>(i)] = p.id;
                            });
    }
    db->flush();
    const double registrations = rate(a.registrations, start);

    start = Clock::now();
    for (int i = 0; i < a.logins; ++i) {
      const int n = i % a.registrations;
      db->login_password("bench" + std::to_string(n), "password-" + std::to_string(n),
                         [&](store::Status s, const store::Player&) { failures.note(s); });
    }
    db->flush();
    const double logins = rate(a.logins, start);

    start = Clock::now();
    for (int i = 0; i < a.matches; ++i) {
      const PlayerId player = ids[static_cast<size_t>(i % a.registrations)];
      db->record_matches({store::MatchResult{player, "spelltraction", static_cast<uint64_t>(i),
                                             i % 50, 1000 + i, 2000 + i}},
                         [&](store::Status s) { failures.note(s); });
    }
    db->flush();
    const double matches = rate(a.matches, start);
    const store::StoreMetrics m = db->metrics();

    std::printf(
        "{\"store\": \"%s\", \"registrations_per_s\": %.1f, \"logins_per_s\": %.1f, "
        "\"match_saves_per_s\": %.0f, \"transactions\": %llu, \"failures\": %d}\n",
        store::is_postgres_url(a.db) ? "postgresql" : "sqlite", registrations, logins, matches,
        static_cast<unsigned long long>(m.transactions), failures.count.load());
    return failures.count.load() == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "store_bench: %s\n", e.what());
    return 1;
  }
}
