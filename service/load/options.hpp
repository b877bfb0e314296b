// rookery-load options: parsed once in the parent, inherited by every worker through fork().
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace rookery::load {

enum class Scenario : uint8_t { idle, spelltraction, relay, churn };

const char* to_string(Scenario s);

/// A bad flag or value; what() says which.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Options {
  Scenario scenario = Scenario::idle;
  std::string host = "127.0.0.1";
  uint16_t port = 12122;
  bool websocket = false;            // --transport ws
  uint32_t connections = 100;        // clients in total, over every worker process
  double rate = -1;                  // inputs per second per client; <0: the scenario's default
  uint32_t room_size = 0;            // clients per room; 0: the scenario's default
  std::string room_type;             // empty: the scenario's default
  double duration_s = 10;            // measured phase, after the ramp (and the warm-up)
  double warmup_s = 0;               // seconds between the ramp settling and the measured phase
  double ramp = 1000;                // new connections per second, all workers together
  double ramp_timeout_s = 0;         // 0: connections / ramp + 30
  double hard_cap_s = 0;             // 0: ramp timeout + duration + 30
  uint32_t processes = 0;            // 0: enough for <= kMaxPerProcess sockets each
  std::vector<uint32_t> source_ips;  // IPv4, host byte order; empty: the kernel chooses
  bool json = false;                 // final summary as JSON on stdout
  bool quiet = false;                // no progress lines
  bool assert_clean = false;         // exit 1 unless zero errors and every client got state
  double ping_interval_s = 5;        // a client pings when it sent nothing for this long
  double hold_s = 2;                 // churn: seconds in the room per cycle
  double churn_pause_s = 0.2;        // churn: seconds between disconnect and the next connect
  bool cluster = false;              // spelltraction: --targets cluster (else random)
  uint32_t payload_bytes = 16;       // relay: bytes per input
  double connect_timeout_s = 10;     // connect + handshake
  double request_timeout_s = 30;     // each of login, join, leave
  uint32_t max_inflight = 512;       // per worker: connections between connect and joined
  std::string device_prefix;         // guest device ids are PREFIX-<index>; empty: random per run
  uint64_t seed = 0;                 // 0: from the clock

  /// The resolved server address (filled by the parent before forking).
  std::string resolved_address;

  /// Effective values (scenario defaults applied).
  double input_rate() const;
  uint32_t effective_room_size() const;
  std::string effective_room_type() const;
  /// True: rooms are formed as CreateRoom + JoinRoom groups of room_size; false: JoinOrCreate.
  bool grouped() const { return scenario != Scenario::churn; }
};

/// Most sockets one worker process holds (the open-file hard limit is 20,000 on the target
/// machine: leave room for pipes and the process's own files).
constexpr uint32_t kMaxPerProcess = 19000;

/// Parses argv (argv[0] skipped). Throws UsageError. Sets `help` for --help.
Options parse_options(int argc, char** argv, bool& help);

/// The --help text.
const char* usage_text();

/// "127.0.0.2-127.0.0.40" or "127.0.0.2,127.0.0.5" (or a mix) to addresses, host order.
std::vector<uint32_t> parse_ip_list(const std::string& text);

}  // namespace rookery::load
