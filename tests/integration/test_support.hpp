// Shared pieces of the integration tests: the fixture (one temporary directory and the servers
// started in it), connection helpers, message predicates and a SpellTraction board model.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "client/client.hpp"
#include "relay.pb.h"
#include "server_process.hpp"
#include "spelltraction.pb.h"

namespace rookery::itest {

using client::Client;
using client::describe;
using client::Unmatched;
using Envelope = proto::Envelope;

// Generous: a busy 2-core machine running two suites at once must still pass.
inline constexpr std::chrono::milliseconds kWait = 15s;
inline constexpr std::chrono::milliseconds kLongWait = 30s;

enum class Via { tcp, ws };

inline const char* via_name(Via via) {
  return via == Via::tcp ? "tcp" : "ws";
}

/// gtest prints a Via parameter by name.
inline void PrintTo(Via via, std::ostream* os) {
  *os << via_name(via);
}

/// Test-name suffix for suites parameterised by transport ("tcp", "ws").
inline std::string via_param_name(const ::testing::TestParamInfo<Via>& param) {
  return via_name(param.param);
}

/// Asserts the Envelope carries message `Kind` (e.g. LoginOk), printing it otherwise.
#define ASSERT_MSG(env, Kind) \
  ASSERT_EQ((env).msg_case(), ::rookery::proto::Envelope::k##Kind) << describe(env)
#define EXPECT_MSG(env, Kind) \
  EXPECT_EQ((env).msg_case(), ::rookery::proto::Envelope::k##Kind) << describe(env)
/// Asserts the Envelope is an Error with `Code` (e.g. BAD_CREDENTIALS).
#define ASSERT_ERROR(env, Code)                                               \
  do {                                                                        \
    ASSERT_MSG(env, Error);                                                   \
    ASSERT_EQ((env).error().code(), ::rookery::proto::Code) << describe(env); \
  } while (false)

/// `bytes` with the TCP frame header (u32 little-endian length) in front, for send_raw.
inline std::string tcp_frame(const std::string& bytes, std::optional<uint32_t> length = {}) {
  const uint32_t len = length.value_or(static_cast<uint32_t>(bytes.size()));
  std::string out;
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  return out + bytes;
}

// --- predicates for wait_for ---

inline auto is_state() {
  return [](const Envelope& e) { return e.has_state(); };
}
inline auto is_error(proto::ErrorCode code) {
  return [code](const Envelope& e) { return e.has_error() && e.error().code() == code; };
}
inline auto is_player_left(uint64_t player, const std::string& reason) {
  return [player, reason](const Envelope& e) {
    return e.has_event() && e.event().has_player_left() &&
           e.event().player_left().player_id() == player &&
           e.event().player_left().reason() == reason;
  };
}
inline auto is_player_reconnected(uint64_t player) {
  return [player](const Envelope& e) {
    return e.has_event() && e.event().has_player_reconnected() &&
           e.event().player_reconnected().player_id() == player;
  };
}
inline auto is_player_joined(uint64_t player) {
  return [player](const Envelope& e) {
    return e.has_event() && e.event().has_player_joined() &&
           e.event().player_joined().member().player_id() == player;
  };
}
/// A State that acknowledges inputs of `seat` up to at least `seq`.
inline auto is_acked(uint32_t seat, uint32_t seq) {
  return [seat, seq](const Envelope& e) {
    if (!e.has_state()) return false;
    for (const auto& ack : e.state().acks()) {
      if (ack.seat() == seat && ack.seq() >= seq) return true;
    }
    return false;
  };
}
/// A relay State that carries the input `data` (sent by anyone).
inline auto is_relayed(const std::string& data) {
  return [data](const Envelope& e) {
    if (!e.has_state()) return false;
    proto::relay::Frame frame;
    if (!frame.ParseFromString(e.state().payload())) return false;
    for (const auto& in : frame.inputs()) {
      if (in.data() == data) return true;
    }
    return false;
  };
}

/// The fixture: a fresh temporary directory per test, servers started in it, and at the end
/// every server stopped (its stderr printed if the test failed) and the directory removed.
class IntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "rookery-it-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << "mkdtemp failed";
    dir_ = pattern;
  }

  void TearDown() override {
    for (auto& s : servers_) s->stop(10s);
    if (HasFailure()) {
      std::cerr << "--- test directory kept: " << dir_ << "\n";
      for (const auto& s : servers_) {
        std::string err = s->stderr_text();
        constexpr size_t kTail = 20000;
        if (err.size() > kTail) err = "...\n" + err.substr(err.size() - kTail);
        std::cerr << "--- rookery stderr (" << s->stderr_path() << ") ---\n" << err << "\n";
      }
    } else {
      std::error_code ec;
      fs::remove_all(dir_, ec);
      drop_test_database(dir_);
    }
  }

  /// Starts a server (test defaults + `flags`) on this test's database; it is stopped at the end.
  /// `prefix` runs it under a command that execs it (e.g. prlimit).
  ServerProcess& start_server(const std::vector<std::string>& flags = {},
                              std::vector<std::string> prefix = {}) {
    servers_.push_back(std::make_unique<ServerProcess>(dir_, static_cast<int>(servers_.size())));
    servers_.back()->set_prefix(std::move(prefix));
    servers_.back()->start(flags);
    return *servers_.back();
  }

  /// A connection to `server` over `via`, nothing sent yet.
  static std::unique_ptr<Client> connect(const ServerProcess& server, Via via,
                                         client::Options options = {}) {
    return via == Via::tcp ? Client::connect_tcp("127.0.0.1", server.tcp_port(), options)
                           : Client::connect_ws("127.0.0.1", server.ws_port(), options);
  }

  /// Connects, says Hello and logs in as the guest `device` (asserting each reply).
  static std::unique_ptr<Client> guest(const ServerProcess& server, Via via,
                                       const std::string& device, client::Options options = {}) {
    auto c = connect(server, via, options);
    const Envelope welcome = c->hello();
    EXPECT_MSG(welcome, Welcome);
    const Envelope ok = c->login_guest(device, device.substr(0, 32));
    EXPECT_MSG(ok, LoginOk);
    return c;
  }

  fs::path dir_;
  std::vector<std::unique_ptr<ServerProcess>> servers_;
};

// --- SpellTraction ---

namespace spell = proto::spelltraction;

/// A client-side picture of a SpellTraction room, built from the snapshot and State deltas.
struct SpellModel {
  std::string board;
  int attractor_cell = -1;
  std::map<uint32_t, std::string> letters;  // by seat
  std::map<uint32_t, uint32_t> scores;      // by seat

  /// Applies a Joined.snapshot or State.payload; false if it does not parse.
  bool apply(const std::string& payload, spell::Frame* out = nullptr) {
    spell::Frame frame;
    if (!frame.ParseFromString(payload)) return false;
    if (frame.full()) *this = SpellModel{};
    if (!frame.board().empty()) board = frame.board();
    if (frame.has_attractor()) attractor_cell = frame.attractor().cell();
    for (const auto& p : frame.players()) {
      letters[p.seat()] = p.letters();
      scores[p.seat()] = p.score();
    }
    for (const uint32_t seat : frame.gone()) {
      letters.erase(seat);
      scores.erase(seat);
    }
    if (out != nullptr) *out = std::move(frame);
    return true;
  }

  /// True if some seat holds the letter on `cell` (scoring it changes a score).
  bool is_scorable(int cell) const {
    if (cell < 0 || cell >= static_cast<int>(board.size())) return false;
    const char letter = board[static_cast<size_t>(cell)];
    for (const auto& [seat, held] : letters) {
      if (held.find(letter) != std::string::npos) return true;
    }
    return false;
  }

  /// The first scorable cell, or -1.
  int scorable_cell() const {
    for (int cell = 0; cell < static_cast<int>(board.size()); ++cell) {
      if (is_scorable(cell)) return cell;
    }
    return -1;
  }
};

/// Move payload to the centre of `cell` (row * 4 + column; cells are 100 x 100).
inline std::string move_to_cell(int cell) {
  spell::Move move;
  move.set_x((cell % 4) * 100 + 50);
  move.set_y((cell / 4) * 100 + 50);
  return move.SerializeAsString();
}

/// What play_until_scored saw when a letter was scored on the targeted cell.
struct ScoredResult {
  int cell = -1;
  spell::Scored scored;
  SpellModel before;  // the model just before that State
  SpellModel after;   // and just after it
};

/// Drives `a` and `b` (both seated in the same SpellTraction room; `model` built from the
/// later joiner's snapshot, which `b` is) until a letter some seat holds is scored: both move to
/// the centre of a scorable cell and `b` reads States until that cell scores. Re-targets if a
/// score elsewhere changed the letters. Fails the test on timeout.
inline ScoredResult play_until_scored(Client& a, Client& b, SpellModel& model,
                                      std::chrono::milliseconds timeout) {
  ScoredResult result;
  const auto deadline = Clock::now() + timeout;
  uint32_t seq = 0;
  int target = -1;
  while (Clock::now() < deadline) {
    if (!model.is_scorable(target)) {
      target = model.scorable_cell();
      if (target < 0) {
        ADD_FAILURE() << "no cell holds a letter any player has; board " << model.board;
        return result;
      }
      ++seq;
      a.input(seq, move_to_cell(target));
      b.input(seq, move_to_cell(target));
    }
    auto env = b.receive(500ms);
    if (!env) {
      if (b.closed()) {
        ADD_FAILURE() << "connection closed while playing: " << b.close_reason();
        return result;
      }
      continue;
    }
    if (env->has_error()) {
      ADD_FAILURE() << "error while playing: " << describe(*env);
      return result;
    }
    if (!env->has_state()) continue;
    const SpellModel before = model;
    spell::Frame frame;
    if (!model.apply(env->state().payload(), &frame)) {
      ADD_FAILURE() << "State payload is not a spelltraction Frame";
      return result;
    }
    for (const auto& s : frame.scored()) {
      if (static_cast<int>(s.cell()) == target && s.seats_size() > 0) {
        result.cell = target;
        result.scored = s;
        result.before = before;
        result.after = model;
        return result;
      }
    }
    a.drain(0ms);  // `a` only moves; keep its socket from filling up
  }
  ADD_FAILURE() << "no letter scored within " << timeout.count() << " ms; target cell " << target
                << ", attractor " << model.attractor_cell << ", board " << model.board;
  return result;
}

}  // namespace rookery::itest
