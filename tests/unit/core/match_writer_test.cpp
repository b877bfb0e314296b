// The match writer against a scripted store: a burst takes one queue slot, an overloaded store
// loses nothing (the batch waits for the next retry, in order), a failed batch is reported.
#include "core/match_writer.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <thread>

namespace rookery::core {
namespace {

using store::MatchResult;
using store::Status;

// Answers record_matches from a script (then ok); holds answers back while `hold` is set, as a
// busy store would. Every other call is a test failure: the writer only records matches.
class ScriptedStore : public store::PlayerStore {
 public:
  std::deque<Status> script;
  std::vector<std::vector<MatchResult>> calls;  // every batch submitted
  std::vector<MatchResult> saved;               // what an ok answer committed
  bool hold = false;
  std::vector<std::function<void()>> held;

  void record_matches(std::vector<MatchResult> results, StatusCallback done) override {
    calls.push_back(results);
    Status st = Status::ok;
    if (!script.empty()) {
      st = script.front();
      script.pop_front();
    }
    auto answer = [this, st, results = std::move(results), done = std::move(done)] {
      if (st == Status::ok) saved.insert(saved.end(), results.begin(), results.end());
      done(st);
    };
    if (hold) {
      held.push_back(std::move(answer));
    } else {
      answer();
    }
  }
  void release() {
    hold = false;
    auto answers = std::move(held);
    held.clear();
    for (auto& a : answers) a();
  }

  void login_guest(std::string, std::string, NewGuest, PlayerCallback) override { unused(); }
  void register_password(std::string, std::string, std::string, PlayerCallback,
                         StillWanted) override {
    unused();
  }
  void login_password(std::string, std::string, PlayerCallback, StillWanted) override { unused(); }
  void get_stats(PlayerId, StatsCallback) override { unused(); }
  void top_players(uint32_t, TopCallback) override { unused(); }
  void find_player(PlayerId, PlayerCallback) override { unused(); }
  void ban(PlayerId, int64_t, std::string, StatusCallback) override { unused(); }
  void flush() override {}
  size_t queue_depth() const override { return held.size(); }
  store::StoreMetrics metrics() const override { return {}; }

 private:
  static void unused() { ADD_FAILURE() << "the match writer called another store method"; }
};

MatchResult result(PlayerId player, int64_t score) {
  MatchResult r;
  r.player_id = player;
  r.room_type = "spelltraction";
  r.room_id = 7;
  r.score = score;
  return r;
}

struct MatchWriterTest : ::testing::Test {
  ScriptedStore store;
  std::vector<std::pair<Status, size_t>> failures;
  MatchWriter writer{store, [this](Status st, size_t n) { failures.emplace_back(st, n); }};
};

TEST_F(MatchWriterTest, ABurstTakesOneSlotAtTheStore) {
  store.hold = true;
  for (PlayerId p = 1; p <= 15000; ++p) writer.add({result(p, p)});
  // One batch at the store; the other 14,999 results wait in memory, not in the store's queue.
  EXPECT_EQ(store.calls.size(), 1u);
  EXPECT_EQ(store.queue_depth(), 1u);
  EXPECT_EQ(writer.pending(), 15000u);
  store.release();  // the first answer sends everything that gathered, as one batch
  ASSERT_EQ(store.calls.size(), 2u);
  EXPECT_EQ(store.calls[1].size(), 14999u);
  store.release();
  EXPECT_EQ(store.saved.size(), 15000u);
  EXPECT_EQ(writer.pending(), 0u);
  for (size_t i = 0; i < store.saved.size(); ++i) {
    ASSERT_EQ(store.saved[i].player_id, static_cast<PlayerId>(i + 1)) << "out of order";
  }
}

TEST_F(MatchWriterTest, AnOverloadedStoreLosesNothingAndKeepsTheOrder) {
  store.script = {Status::overloaded, Status::overloaded};
  writer.add({result(1, 10)});  // refused: waits for retry()
  writer.add({result(2, 20)});  // not sent: a retry is due first
  EXPECT_EQ(store.calls.size(), 1u);
  EXPECT_EQ(writer.pending(), 2u);
  writer.retry();  // refused again
  EXPECT_EQ(store.calls.size(), 2u);
  EXPECT_EQ(store.calls[1].size(), 2u);
  writer.retry();  // saved
  ASSERT_EQ(store.saved.size(), 2u);
  EXPECT_EQ(store.saved[0].player_id, 1);
  EXPECT_EQ(store.saved[1].player_id, 2);
  EXPECT_TRUE(failures.empty());
  EXPECT_EQ(writer.pending(), 0u);
}

TEST_F(MatchWriterTest, AFailedBatchIsReportedAndTheNextOnesGoOn) {
  store.script = {Status::failed};
  writer.add({result(1, 10), result(2, 20)});
  writer.add({result(3, 30)});
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].first, Status::failed);
  EXPECT_EQ(failures[0].second, 2u);
  ASSERT_EQ(store.saved.size(), 1u);
  EXPECT_EQ(store.saved[0].player_id, 3);
}

TEST_F(MatchWriterTest, FlushSendsWhatWasRefusedAndWaitsForTheAnswer) {
  store.script = {Status::overloaded};
  writer.add({result(1, 10)});
  EXPECT_EQ(writer.pending(), 1u);
  // At shutdown there is no housekeeping left: flush tries again itself.
  EXPECT_TRUE(writer.flush(std::chrono::steady_clock::now() + std::chrono::seconds(1)));
  EXPECT_EQ(store.saved.size(), 1u);
}

TEST_F(MatchWriterTest, FlushGivesUpAtItsDeadline) {
  store.hold = true;
  writer.add({result(1, 10)});
  EXPECT_FALSE(writer.flush(std::chrono::steady_clock::now() + std::chrono::milliseconds(50)));
  EXPECT_EQ(writer.pending(), 1u);
  store.release();
  EXPECT_EQ(writer.pending(), 0u);
}

}  // namespace
}  // namespace rookery::core
