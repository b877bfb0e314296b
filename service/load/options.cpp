#include "load/options.hpp"

#include <arpa/inet.h>

#include <cmath>
#include <cstdlib>
#include <string_view>

namespace rookery::load {
namespace {

double to_double(std::string_view flag, const std::string& v, double lo, double hi) {
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || end == nullptr || *end != '\0' || !std::isfinite(d) || d < lo || d > hi) {
    throw UsageError(std::string(flag) + ": '" + v + "' is not a number in [" + std::to_string(lo) +
                     ", " + std::to_string(hi) + "]");
  }
  return d;
}

uint64_t to_uint(std::string_view flag, const std::string& v, uint64_t lo, uint64_t hi) {
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || v[0] == '-' || end == nullptr || *end != '\0' || n < lo || n > hi) {
    throw UsageError(std::string(flag) + ": '" + v + "' is not an integer in [" +
                     std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return n;
}

uint32_t parse_ipv4(const std::string& s) {
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) {
    throw UsageError("--source-ips: '" + s + "' is not an IPv4 address");
  }
  return ntohl(a.s_addr);
}

}  // namespace

const char* to_string(Scenario s) {
  switch (s) {
    case Scenario::idle:
      return "idle";
    case Scenario::spelltraction:
      return "spelltraction";
    case Scenario::relay:
      return "relay";
    case Scenario::churn:
      return "churn";
  }
  return "idle";
}

double Options::input_rate() const {
  if (rate >= 0) return rate;
  switch (scenario) {
    case Scenario::spelltraction:
    case Scenario::relay:
      return 10;
    case Scenario::idle:
    case Scenario::churn:
      return 0;
  }
  return 0;
}

uint32_t Options::effective_room_size() const {
  if (room_size > 0) return room_size;
  return effective_room_type() == "relay" ? 64 : 100;
}

std::string Options::effective_room_type() const {
  if (!room_type.empty()) return room_type;
  return scenario == Scenario::relay ? "relay" : "spelltraction";
}

std::vector<uint32_t> parse_ip_list(const std::string& text) {
  std::vector<uint32_t> out;
  size_t at = 0;
  while (at <= text.size()) {
    size_t comma = text.find(',', at);
    if (comma == std::string::npos) comma = text.size();
    const std::string part = text.substr(at, comma - at);
    at = comma + 1;
    if (part.empty()) continue;
    const size_t dash = part.find('-');
    if (dash == std::string::npos) {
      out.push_back(parse_ipv4(part));
      continue;
    }
    const uint32_t lo = parse_ipv4(part.substr(0, dash));
    const uint32_t hi = parse_ipv4(part.substr(dash + 1));
    if (hi < lo || hi - lo > 65535) throw UsageError("--source-ips: bad range '" + part + "'");
    for (uint32_t a = lo; a <= hi; ++a) out.push_back(a);
  }
  if (out.empty()) throw UsageError("--source-ips: no address");
  return out;
}

Options parse_options(int argc, char** argv, bool& help) {
  Options o;
  help = false;
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (word == "-h" || word == "--help") {
      help = true;
      return o;
    }
    if (!word.starts_with("--")) throw UsageError("unexpected argument '" + word + "'");
    std::string value;
    bool has_value = false;
    if (const size_t eq = word.find('='); eq != std::string::npos) {
      value = word.substr(eq + 1);
      word = word.substr(0, eq);
      has_value = true;
    }
    auto need = [&]() -> const std::string& {
      if (!has_value) {
        if (i + 1 >= argc) throw UsageError(word + " needs a value");
        value = argv[++i];
        has_value = true;
      }
      return value;
    };
    if (word == "--json") {
      o.json = true;
    } else if (word == "--quiet") {
      o.quiet = true;
    } else if (word == "--assert") {
      o.assert_clean = true;
    } else if (word == "--scenario") {
      const auto& v = need();
      if (v == "idle") {
        o.scenario = Scenario::idle;
      } else if (v == "spelltraction") {
        o.scenario = Scenario::spelltraction;
      } else if (v == "relay") {
        o.scenario = Scenario::relay;
      } else if (v == "churn") {
        o.scenario = Scenario::churn;
      } else {
        throw UsageError("--scenario: '" + v + "' is not idle, spelltraction, relay or churn");
      }
    } else if (word == "--host") {
      o.host = need();
    } else if (word == "--port") {
      o.port = static_cast<uint16_t>(to_uint(word, need(), 1, 65535));
    } else if (word == "--transport") {
      const auto& v = need();
      if (v != "tcp" && v != "ws") throw UsageError("--transport: '" + v + "' is not tcp or ws");
      o.websocket = v == "ws";
    } else if (word == "--connections") {
      o.connections = static_cast<uint32_t>(to_uint(word, need(), 1, 1'000'000));
    } else if (word == "--rate") {
      o.rate = to_double(word, need(), 0, 1000);
    } else if (word == "--room-size") {
      o.room_size = static_cast<uint32_t>(to_uint(word, need(), 1, 100000));
    } else if (word == "--room-type") {
      o.room_type = need();
    } else if (word == "--duration") {
      o.duration_s = to_double(word, need(), 0, 86400);
    } else if (word == "--warmup") {
      o.warmup_s = to_double(word, need(), 0, 3600);
    } else if (word == "--ramp") {
      o.ramp = to_double(word, need(), 1, 1e6);
    } else if (word == "--ramp-timeout") {
      o.ramp_timeout_s = to_double(word, need(), 1, 86400);
    } else if (word == "--hard-cap") {
      o.hard_cap_s = to_double(word, need(), 1, 86400);
    } else if (word == "--processes") {
      o.processes = static_cast<uint32_t>(to_uint(word, need(), 1, 256));
    } else if (word == "--source-ips") {
      o.source_ips = parse_ip_list(need());
    } else if (word == "--ping-interval") {
      o.ping_interval_s = to_double(word, need(), 0.01, 3600);
    } else if (word == "--hold-time") {
      o.hold_s = to_double(word, need(), 0, 3600);
    } else if (word == "--churn-pause") {
      o.churn_pause_s = to_double(word, need(), 0, 3600);
    } else if (word == "--targets") {
      const auto& v = need();
      if (v != "random" && v != "cluster") {
        throw UsageError("--targets: '" + v + "' is not random or cluster");
      }
      o.cluster = v == "cluster";
    } else if (word == "--payload-bytes") {
      o.payload_bytes = static_cast<uint32_t>(to_uint(word, need(), 1, 4096));
    } else if (word == "--connect-timeout") {
      o.connect_timeout_s = to_double(word, need(), 0.1, 600);
    } else if (word == "--request-timeout") {
      o.request_timeout_s = to_double(word, need(), 0.1, 600);
    } else if (word == "--max-inflight") {
      o.max_inflight = static_cast<uint32_t>(to_uint(word, need(), 1, 100000));
    } else if (word == "--device-prefix") {
      o.device_prefix = need();
      if (o.device_prefix.empty() || o.device_prefix.size() > 100) {
        throw UsageError("--device-prefix: 1..100 bytes");
      }
    } else if (word == "--seed") {
      o.seed = to_uint(word, need(), 0, UINT64_MAX);
    } else {
      throw UsageError("unknown flag " + word + " (see --help)");
    }
  }
  if (o.room_size > 0 &&
      (o.effective_room_type() == "spelltraction" || o.effective_room_type() == "relay")) {
    // The server refuses larger rooms; say so before connecting anyone.
    const uint32_t limit = o.effective_room_type() == "relay" ? 64 : 100;
    if (o.room_size > limit) {
      throw UsageError("--room-size " + std::to_string(o.room_size) + " is above the server's " +
                       "default maximum for " + o.effective_room_type() + " (" +
                       std::to_string(limit) + "); raise it on the server and pass --room-type " +
                       "explicitly to skip this check");
    }
  }
  return o;
}

const char* usage_text() {
  return R"(rookery-load: load generator for the Rookery game server (real protocol, TCP or WebSocket)

Usage: rookery-load [flags]

Scenarios (--scenario):
  idle           log in as guest, join a room, ping every --ping-interval seconds
  spelltraction  as idle, then send SpellTraction Move inputs at --rate per client; latency is
                 Input{seq} sent -> first State whose acks hold that seq for the client's seat
  relay          as spelltraction in relay rooms, --payload-bytes per input (the echo latency)
  churn          connect, log in, JoinOrCreate, stay --hold-time, leave, disconnect, repeat

Flags (defaults in brackets):
  --scenario NAME        idle | spelltraction | relay | churn [idle]
  --host HOST            server host [127.0.0.1]
  --port PORT            game port: raw TCP, or the WebSocket port with --transport ws [12122]
  --transport T          tcp | ws [tcp]
  --connections N        clients in total [100]
  --rate HZ              inputs per second per client [10 for spelltraction/relay, else 0]
  --room-size N          clients per room: the first of each group sends CreateRoom
                         (max_players N), the others JoinRoom [100; relay 64]
  --room-type TYPE       room type to create or join [spelltraction; relay for relay]
  --targets T            spelltraction moves: random points, or cluster (the room's players head
                         for one cell, changed every 5 s, so letters get scored) [random]
  --payload-bytes N      relay input payload size [16]
  --duration S           seconds measured after the ramp has settled [10]
  --warmup S             seconds between the ramp settling and the measured window, so the
                         joins' bursts (snapshots, join events) are not measured [0]
  --ramp N               new connections per second, all processes together [1000]
  --ramp-timeout S       the measured phase starts after this even if some clients are not in
                         rooms yet [connections / ramp + 30]
  --hard-cap S           the whole run is killed after this [ramp-timeout + warmup +
                         duration + 30]
  --processes N          worker processes (one thread each) [enough for <= 19,000 sockets each]
  --source-ips LIST      bind client sockets to these source addresses, round-robin, e.g.
                         127.0.0.2-127.0.0.40 or 127.0.0.2,127.0.0.3 [kernel's choice]
  --ping-interval S      ping when nothing was sent for this long [5]
  --hold-time S          churn: seconds in the room per cycle [2]
  --churn-pause S        churn: seconds between disconnect and reconnect [0.2]
  --connect-timeout S    connect (+ WebSocket handshake) deadline [10]
  --request-timeout S    login / join / leave reply deadline [30]
  --max-inflight N       per process: clients between connect and Joined at once [512]
  --device-prefix P      guest device ids are P-<client index> [random per run]
  --seed N               random seed [clock]
  --json                 print the final summary as JSON on stdout (progress stays on stderr)
  --quiet                no progress lines
  --assert               exit 1 unless: no connect failure, no drop, no error received, no
                         timeout, and every client got state (its Joined snapshot, and for input
                         scenarios a State acking one of its inputs)
  -h, --help             this text

A progress line is printed to stderr each second. Every run ends by itself: ramp (bounded by
--ramp-timeout), --warmup, --duration of measurement, then stop; --hard-cap kills whatever is
left.
)";
}

}  // namespace rookery::load
