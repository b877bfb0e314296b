// The worker: every client of the slice is a small `Conn` in one vector; one io_context thread
// drives them with non-blocking sockets. Reads of raw TCP go through one buffer per worker
// (readiness wait, then recv until drained), so an idle client holds no read buffer. Every
// per-client timer (send the next input, ping, timeouts, churn) lives in one timing wheel
// driven by a single 2 ms timer: no timer object per client.
#include "load/worker.hpp"

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "load/stats.hpp"
#include "load/wire.hpp"
#include "rookery.pb.h"

namespace rookery::load {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using boost::system::error_code;
using Socket = asio::basic_stream_socket<tcp, asio::io_context::executor_type>;
using WsStream = websocket::stream<Socket>;

constexpr size_t kReadBuffer = 256 * 1024;
constexpr int kMaxReadsPerWake = 16;
constexpr uint32_t kRing = 16;  // input send times remembered per client
constexpr uint32_t kMaxInboundFrame = 64 << 20;
constexpr size_t kMaxOutbound = 1 << 20;  // unsent bytes per client before it gives up
constexpr int64_t kSlotUs = 2000;         // timing wheel resolution
constexpr int64_t kSlots = 4096;          // ~8 s horizon; later deadlines re-check
constexpr int64_t kTickUs = 2000;

// The worker's only read buffer (raw TCP).
alignas(64) char g_read[kReadBuffer];

enum class Phase : uint8_t {
  fresh,         // not started yet
  connecting,    // TCP connect in progress
  ws_handshake,  // WebSocket upgrade in progress
  hello,         // Hello sent, waiting for Welcome
  login,         // Login sent, waiting for LoginOk
  joining,       // waiting for Joined (or for the group's room to exist)
  in_room,
  leaving,  // Leave sent (churn), waiting for Left
  pause,    // churn: disconnected, reconnecting soon
  failed,   // gave up (no retry outside churn)
};

const char* to_string(Phase p) {
  switch (p) {
    case Phase::fresh:
      return "fresh";
    case Phase::connecting:
      return "connect";
    case Phase::ws_handshake:
      return "ws_handshake";
    case Phase::hello:
      return "hello";
    case Phase::login:
      return "login";
    case Phase::joining:
      return "join";
    case Phase::in_room:
      return "in_room";
    case Phase::leaving:
      return "leave";
    case Phase::pause:
      return "pause";
    case Phase::failed:
      return "failed";
  }
  return "?";
}

struct WsLink {
  explicit WsLink(Socket s) : ws(std::move(s)) {}
  WsStream ws;
  beast::flat_buffer in;
  std::deque<std::string> out;
  bool writing = false;
};

struct Conn {
  explicit Conn(asio::io_context& io) : sock(io.get_executor()) {}

  Socket sock;
  std::shared_ptr<WsLink> ws;  // WebSocket mode only
  std::string tail;            // incomplete inbound frame (raw TCP)
  std::string outq;            // bytes the kernel did not take yet (raw TCP)
  uint64_t room_id = 0;
  int64_t started_us = 0;   // this connection attempt began
  int64_t deadline_us = 0;  // current phase's deadline
  int64_t next_input_us = 0;
  int64_t last_send_us = 0;
  int64_t leave_at_us = 0;
  int64_t entry_due_us = 0;  // when the pending wheel entry fires
  uint32_t local = 0;        // index in the worker's vector
  uint32_t global = 0;       // index over every worker
  uint32_t gen = 0;          // bumped when the socket closes: stale handlers check it
  uint32_t token = 0;        // bumped per wheel entry: stale entries check it
  uint32_t seq = 0;          // last input seq sent
  uint32_t acked = 0;        // newest seq acked for our seat
  uint32_t seat = 0;
  uint32_t fatal_code = 0;     // code of a fatal Error just received (the close follows)
  uint32_t states_window = 0;  // States received in the measured window
  uint32_t connects = 0;
  std::array<uint32_t, kRing> sent_us{};
  Phase phase = Phase::fresh;
  bool has_entry = false;
  bool waiting_write = false;
  bool counted_connected = false;
  bool counted_inflight = false;
  bool counted_in_room = false;
  bool settled = false;  // the first attempt has ended (joined or failed)
  bool ever_joined = false;
  bool got_state = false;  // idle/churn: a Joined snapshot; input scenarios: an acked input
  bool in_room_at_start = false;
  bool joined_late = false;
};

struct Group {
  uint64_t room_id = 0;
  int64_t creator = -1;           // local index of the client creating the room
  std::vector<uint32_t> waiters;  // logged in, waiting for room_id
};

int64_t mono_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t cpu_us_self() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1'000'000LL + ru.ru_utime.tv_usec +
         ru.ru_stime.tv_usec;
}

void write_all(int fd, const std::string& s) {
  size_t at = 0;
  while (at < s.size()) {
    const ssize_t n = ::write(fd, s.data() + at, s.size() - at);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // the parent is gone
    }
    at += static_cast<size_t>(n);
  }
}

class Worker {
 public:
  Worker(const Options& o, const WorkerPlan& plan)
      : o_(o),
        plan_(plan),
        timer_(io_),
        commands_(io_, plan.command_fd),
        rng_(plan.seed | 1),
        wheel_(static_cast<size_t>(kSlots)) {
    endpoint_ = tcp::endpoint(asio::ip::make_address(o.resolved_address), o.port);
    host_header_ = o.host + ":" + std::to_string(o.port);
    input_interval_us_ = o.input_rate() > 0 ? static_cast<int64_t>(1e6 / o.input_rate()) : 0;
    ping_us_ = static_cast<int64_t>(o.ping_interval_s * 1e6);
    room_size_ = o.effective_room_size();
    room_type_ = o.effective_room_type();
    has_inputs_ = input_interval_us_ > 0 &&
                  (o.scenario == Scenario::spelltraction || o.scenario == Scenario::relay);
    relay_payload_.assign(o.payload_bytes, 'r');
    conns_.reserve(plan.count);
    for (uint32_t i = 0; i < plan.count; ++i) {
      conns_.emplace_back(io_);
      conns_.back().local = i;
      conns_.back().global = plan.first + i;
    }
    if (o.grouped()) groups_.resize((plan.count + room_size_ - 1) / room_size_);
    proto::Envelope hello;
    hello.mutable_hello()->set_protocol_version(1);
    hello.mutable_hello()->set_client("rookery-load/0.1");
    hello_ = hello.SerializeAsString();
  }

  int run() {
    start_us_ = mono_us();
    wheel_tick_ = start_us_ / kSlotUs;
    next_report_us_ = start_us_ + 1'000'000;
    hard_cap_us_ = start_us_ + static_cast<int64_t>(plan_.hard_cap_s * 1e6);
    read_command();
    arm_tick();
    io_.run();
    return 0;
  }

 private:
  // --- time ---
  int64_t now() const { return now_us_; }
  uint32_t now32() const { return static_cast<uint32_t>(now_us_); }
  void refresh_now() { now_us_ = mono_us(); }

  uint64_t rand() {
    // xorshift64*
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    return rng_ * 0x2545F4914F6CDD1DULL;
  }

  // --- the wheel ---
  struct Entry {
    uint32_t conn;
    uint32_t token;
  };

  void schedule(Conn& c, int64_t due_us) {
    if (c.has_entry && c.entry_due_us <= due_us) return;  // an earlier entry will re-check
    c.has_entry = true;
    c.entry_due_us = due_us;
    ++c.token;
    int64_t slot = due_us / kSlotUs;
    if (slot <= wheel_tick_) slot = wheel_tick_ + 1;
    if (slot >= wheel_tick_ + kSlots) slot = wheel_tick_ + kSlots - 1;
    wheel_[static_cast<size_t>(slot % kSlots)].push_back(Entry{c.local, c.token});
  }

  void advance_wheel() {
    const int64_t target = now() / kSlotUs;
    while (wheel_tick_ < target) {
      ++wheel_tick_;
      auto& slot = wheel_[static_cast<size_t>(wheel_tick_ % kSlots)];
      if (slot.empty()) continue;
      scratch_.clear();
      scratch_.swap(slot);
      for (const Entry& e : scratch_) {
        Conn& c = conns_[e.conn];
        if (c.token != e.token || !c.has_entry) continue;
        c.has_entry = false;
        on_due(c);
      }
    }
  }

  void arm_tick() {
    timer_.expires_after(std::chrono::microseconds(kTickUs));
    timer_.async_wait([this](const error_code& ec) {
      if (ec) return;
      on_tick();
    });
  }

  void on_tick() {
    refresh_now();
    if (now() >= hard_cap_us_) {
      std::fprintf(stderr, "rookery-load worker %u: hard cap reached, exiting\n", plan_.index);
      stop();
      return;
    }
    ramp();
    advance_wheel();
    if (now() >= next_report_us_) {
      next_report_us_ += 1'000'000;
      if (next_report_us_ < now()) next_report_us_ = now() + 1'000'000;
      report();
    }
    arm_tick();
  }

  void ramp() {
    if (stopping_ || next_start_ >= conns_.size()) return;
    const double elapsed = static_cast<double>(now() - start_us_) / 1e6;
    const auto allowed =
        std::min<uint64_t>(conns_.size(), static_cast<uint64_t>(plan_.ramp * elapsed) + 1);
    while (next_start_ < allowed && cnt_.inflight < static_cast<int64_t>(o_.max_inflight)) {
      Conn& c = conns_[next_start_++];
      if (o_.scenario == Scenario::churn && !c.settled) {
        c.settled = true;
        ++cnt_.settled;
      }
      start_connect(c);
    }
  }

  // --- commands and reports ---
  void read_command() {
    commands_.async_read_some(asio::buffer(command_buf_), [this](const error_code& ec, size_t n) {
      if (ec) {
        stop();  // the parent went away (or closed the pipe): finish
        return;
      }
      for (size_t i = 0; i < n; ++i) {
        if (command_buf_[i] == 'M') start_window();
        if (command_buf_[i] == 'S') {
          stop();
          return;
        }
      }
      read_command();
    });
  }

  void start_window() {
    if (measuring_ || stopping_) return;
    refresh_now();
    measuring_ = true;
    window_start_us_ = now();
    cnt_.cpu_us = cpu_us_self();
    at_window_start_ = cnt_;
    lat_window_.clear();
    rtt_window_.clear();
    for (Conn& c : conns_) {
      c.states_window = 0;
      c.in_room_at_start = c.phase == Phase::in_room;
    }
  }

  void report() {
    cnt_.cpu_us = cpu_us_self();
    std::string line = "T";
    cnt_.encode(line, "");
    line += " lat=" + lat_interval_.encode();
    line += " rtt=" + rtt_interval_.encode();
    line += '\n';
    lat_interval_.clear();
    rtt_interval_.clear();
    write_all(plan_.report_fd, line);
  }

  void stop() {
    if (stopping_) return;
    stopping_ = true;
    refresh_now();
    if (!measuring_) start_window();  // stopped before the window: report an empty one
    const int64_t window_us = std::max<int64_t>(1, now() - window_start_us_);
    cnt_.cpu_us = cpu_us_self();
    std::string line = "F";
    cnt_.encode(line, "");
    at_window_start_.encode(line, "w0.");
    line += " window_us=" + std::to_string(window_us);
    line += " lat=" + lat_window_.encode();
    line += " rtt=" + rtt_window_.encode();
    line += " join=" + join_.encode();
    line += " drop_reasons=" + encode_tally(drop_reasons_);
    line += " errs=" + encode_tally(error_codes_);
    line += " cfail=" + encode_tally(connect_failures_);
    int64_t never_joined = 0;
    int64_t nostate = 0;
    int64_t late = 0;
    for (const Conn& c : conns_) {
      if (!c.ever_joined) ++never_joined;
      if (c.ever_joined && !c.got_state) ++nostate;
      if (c.joined_late) ++late;
    }
    line += " never_joined=" + std::to_string(never_joined);
    line += " nostate=" + std::to_string(nostate);
    line += " late=" + std::to_string(late);
    line += " rates=";
    if (o_.scenario != Scenario::churn) {
      char buf[32];
      bool first = true;
      for (const Conn& c : conns_) {
        if (!c.in_room_at_start) continue;
        const double hz =
            static_cast<double>(c.states_window) * 1e6 / static_cast<double>(window_us);
        std::snprintf(buf, sizeof buf, first ? "%.3f" : ",%.3f", hz);
        line += buf;
        first = false;
      }
    }
    line += '\n';
    write_all(plan_.report_fd, line);
    // The kernel closes every socket at exit; nothing else needs tearing down.
    std::fflush(stderr);
    ::_exit(0);
  }

  // --- connection lifecycle ---
  void start_connect(Conn& c) {
    refresh_now();
    ++c.gen;
    ++c.connects;
    c.tail.clear();
    c.outq.clear();
    c.ws.reset();
    c.room_id = 0;
    c.seq = 0;
    c.acked = 0;
    c.seat = 0;
    c.fatal_code = 0;
    c.waiting_write = false;
    c.phase = Phase::connecting;
    c.started_us = now();
    c.deadline_us = now() + static_cast<int64_t>(o_.connect_timeout_s * 1e6);
    schedule(c, c.deadline_us);
    ++cnt_.attempts;
    c.counted_inflight = true;
    ++cnt_.inflight;

    error_code ec;
    c.sock.open(endpoint_.protocol(), ec);
    if (ec) {
      connect_failed(c, "open_" + ec.message());
      return;
    }
    if (!o_.source_ips.empty() && endpoint_.address().is_v4()) {
      const int one = 1;
      // The port is picked at connect() from the 4-tuple, not reserved at bind(): each source
      // address then has the whole ephemeral range towards the server.
      ::setsockopt(c.sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      const uint32_t src = o_.source_ips[(c.global + c.connects) % o_.source_ips.size()];
      c.sock.bind(tcp::endpoint(asio::ip::address_v4(src), 0), ec);
      if (ec) {
        connect_failed(c, "bind_" + ec.message());
        return;
      }
    }
    c.sock.set_option(tcp::no_delay(true), ec);
    c.sock.async_connect(endpoint_, [this, &c, gen = c.gen](const error_code& e) {
      if (gen != c.gen) return;
      refresh_now();
      if (e) {
        connect_failed(c, e.message());
        return;
      }
      on_connected(c);
    });
  }

  void on_connected(Conn& c) {
    ++cnt_.connect_ok;
    ++cnt_.connected;
    c.counted_connected = true;
    if (!o_.websocket) {
      c.phase = Phase::hello;
      c.deadline_us = now() + static_cast<int64_t>(o_.request_timeout_s * 1e6);
      schedule(c, c.deadline_us);
      send_envelope_bytes(c, hello_);
      if (c.phase != Phase::hello) return;
      arm_read(c);
      return;
    }
    c.phase = Phase::ws_handshake;
    c.ws = std::make_shared<WsLink>(std::move(c.sock));
    c.sock = Socket(io_.get_executor());
    c.ws->ws.binary(true);
    c.ws->ws.read_message_max(kMaxInboundFrame);
    c.ws->ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(beast::http::field::user_agent, "rookery-load/0.1");
    }));
    c.ws->ws.async_handshake(
        host_header_, "/", [this, &c, gen = c.gen, link = c.ws](const error_code& e) {
          if (gen != c.gen) return;
          refresh_now();
          if (e) {
            // Counted as a connect failure: the upgrade is part of it.
            --cnt_.connect_ok;
            connect_failed(c, "ws_handshake_" + e.message());
            return;
          }
          c.phase = Phase::hello;
          c.deadline_us = now() + static_cast<int64_t>(o_.request_timeout_s * 1e6);
          schedule(c, c.deadline_us);
          send_envelope_bytes(c, hello_);
          ws_read(c);
        });
  }

  // Closes the socket; every pending handler of this connection becomes stale.
  void close_socket(Conn& c) {
    ++c.gen;
    error_code ec;
    if (c.ws) {
      beast::get_lowest_layer(c.ws->ws).close(ec);
      c.ws.reset();  // pending handlers keep the link alive until they finish
    } else {
      c.sock.close(ec);
    }
    c.waiting_write = false;
    if (c.outq.capacity() > 0) std::string().swap(c.outq);
    if (c.counted_connected) {
      c.counted_connected = false;
      --cnt_.connected;
    }
    if (c.counted_in_room) {
      c.counted_in_room = false;
      --cnt_.in_rooms;
    }
    if (c.counted_inflight) {
      c.counted_inflight = false;
      --cnt_.inflight;
    }
  }

  void settle(Conn& c) {
    if (c.settled) return;
    c.settled = true;
    ++cnt_.settled;
  }

  // The attempt ends before a connection existed (or the WebSocket upgrade failed).
  void connect_failed(Conn& c, const std::string& reason) {
    ++cnt_.connect_fail;
    ++connect_failures_[clean_key(reason)];
    give_up(c);
  }

  // After a failure: churn clients try again after the pause, others stop.
  void give_up(Conn& c) {
    const bool creator = creator_of(c);
    close_socket(c);
    settle(c);
    if (creator) promote_waiter(c);
    if (o_.scenario == Scenario::churn && !stopping_) {
      c.phase = Phase::pause;
      schedule(c, now() + static_cast<int64_t>(o_.churn_pause_s * 1e6));
    } else {
      c.phase = Phase::failed;
    }
  }

  // The server closed (or reset) an established connection that we did not close.
  void lost(Conn& c, const std::string& why) {
    if (stopping_) return;
    std::string reason = why;
    if (c.fatal_code != 0) {
      reason = proto::ErrorCode_Name(static_cast<proto::ErrorCode>(c.fatal_code));
      if (reason.empty()) reason = "error_" + std::to_string(c.fatal_code);
    }
    ++cnt_.drops;
    ++drop_reasons_[clean_key(std::string(to_string(c.phase)) + ":" + reason)];
    give_up(c);
  }

  void timed_out(Conn& c) {
    if (c.phase == Phase::connecting || c.phase == Phase::ws_handshake) {
      if (c.phase == Phase::ws_handshake) --cnt_.connect_ok;
      connect_failed(c, std::string("timeout_") + to_string(c.phase));
      return;
    }
    ++cnt_.timeouts;
    ++drop_reasons_[std::string("client_timeout_") + to_string(c.phase)];
    give_up(c);
  }

  void protocol_error(Conn& c, const std::string& what) {
    ++cnt_.protocol_errors;
    ++drop_reasons_["protocol_" + clean_key(what)];
    give_up(c);
  }

  // --- sending ---
  void send_envelope_bytes(Conn& c, const std::string& env) {
    if (o_.websocket) {
      ws_send(c, env);
      return;
    }
    std::string framed;
    framed.resize(4 + env.size());
    const auto len = static_cast<uint32_t>(env.size());
    for (int i = 0; i < 4; ++i) framed[i] = static_cast<char>((len >> (8 * i)) & 0xff);
    std::memcpy(framed.data() + 4, env.data(), env.size());
    tcp_send(c, framed.data(), framed.size());
  }

  void send_envelope(Conn& c, const proto::Envelope& env) {
    send_envelope_bytes(c, env.SerializeAsString());
  }

  // `data` holds the frame with its length prefix (raw TCP).
  void tcp_send(Conn& c, const char* data, size_t len) {
    ++cnt_.msgs_out;
    cnt_.bytes_out += static_cast<int64_t>(len);
    c.last_send_us = now();
    if (!c.outq.empty()) {
      if (c.outq.size() + len > kMaxOutbound) {
        ++cnt_.drops;
        ++drop_reasons_["client_send_backlog"];
        give_up(c);
        return;
      }
      c.outq.append(data, len);
      return;
    }
    ssize_t n = ::send(c.sock.native_handle(), data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n == static_cast<ssize_t>(len)) return;
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        lost(c, errno == ECONNRESET || errno == EPIPE ? "reset" : std::strerror(errno));
        return;
      }
      n = 0;
    }
    c.outq.append(data + n, len - static_cast<size_t>(n));
    arm_write(c);
  }

  void arm_write(Conn& c) {
    if (c.waiting_write) return;
    c.waiting_write = true;
    c.sock.async_wait(tcp::socket::wait_write, [this, &c, gen = c.gen](const error_code& ec) {
      if (gen != c.gen) return;
      c.waiting_write = false;
      if (ec) return;  // the read side reports the failure
      refresh_now();
      const ssize_t n =
          ::send(c.sock.native_handle(), c.outq.data(), c.outq.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          lost(c, errno == ECONNRESET || errno == EPIPE ? "reset" : std::strerror(errno));
          return;
        }
      } else {
        c.outq.erase(0, static_cast<size_t>(n));
      }
      if (!c.outq.empty()) {
        arm_write(c);
      } else if (c.outq.capacity() > 256) {
        std::string().swap(c.outq);
      }
    });
  }

  void ws_send(Conn& c, std::string msg) {
    ++cnt_.msgs_out;
    cnt_.bytes_out += static_cast<int64_t>(msg.size());
    c.last_send_us = now();
    auto& link = *c.ws;
    link.out.push_back(std::move(msg));
    if (link.out.size() > 4096) {
      ++cnt_.drops;
      ++drop_reasons_["client_send_backlog"];
      give_up(c);
      return;
    }
    if (!link.writing) ws_write_next(c);
  }

  void ws_write_next(Conn& c) {
    auto link = c.ws;
    link->writing = true;
    link->ws.async_write(asio::buffer(link->out.front()),
                         [this, &c, gen = c.gen, link](const error_code& ec, size_t) {
                           link->writing = false;
                           if (gen != c.gen || ec) return;  // the read side reports failures
                           link->out.pop_front();
                           if (!link->out.empty()) ws_write_next(c);
                         });
  }

  // --- receiving ---
  void arm_read(Conn& c) {
    c.sock.async_wait(tcp::socket::wait_read, [this, &c, gen = c.gen](const error_code& ec) {
      if (gen != c.gen) return;
      refresh_now();
      if (ec) {
        if (ec != asio::error::operation_aborted) lost(c, ec.message());
        return;
      }
      on_readable(c);
    });
  }

  void on_readable(Conn& c) {
    const uint32_t gen = c.gen;
    for (int i = 0; i < kMaxReadsPerWake; ++i) {
      const ssize_t n = ::recv(c.sock.native_handle(), g_read, kReadBuffer, MSG_DONTWAIT);
      if (n > 0) {
        cnt_.bytes_in += n;
        feed(c, g_read, static_cast<size_t>(n));
        if (gen != c.gen) return;
        if (static_cast<size_t>(n) < kReadBuffer) {
          // Short read: the queue is drained; bytes arriving later raise a new edge.
          arm_read(c);
          return;
        }
        continue;
      }
      if (n == 0) {
        lost(c, "server_closed");
        return;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        arm_read(c);
        return;
      }
      if (errno == EINTR) continue;
      lost(c, errno == ECONNRESET ? "reset" : std::strerror(errno));
      return;
    }
    asio::post(io_, [this, &c, gen] {
      if (gen != c.gen) return;
      refresh_now();
      on_readable(c);
    });
  }

  void feed(Conn& c, const char* data, size_t n) {
    const uint32_t gen = c.gen;
    if (c.tail.empty()) {
      const size_t used = parse_frames(c, data, n);
      if (gen != c.gen) return;
      if (used < n) c.tail.assign(data + used, n - used);
      return;
    }
    c.tail.append(data, n);
    const size_t used = parse_frames(c, c.tail.data(), c.tail.size());
    if (gen != c.gen) return;
    c.tail.erase(0, used);
    if (c.tail.empty() && c.tail.capacity() > 256) std::string().swap(c.tail);
  }

  // Handles every complete frame in [data, data+n); returns the bytes consumed. Stops when the
  // connection closes meanwhile.
  size_t parse_frames(Conn& c, const char* data, size_t n) {
    const uint32_t gen = c.gen;
    size_t at = 0;
    while (n - at >= 4) {
      const auto* p = reinterpret_cast<const uint8_t*>(data + at);
      const uint32_t len = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                           static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
      if (len > kMaxInboundFrame) {
        protocol_error(c, "frame_length");
        return at;
      }
      if (n - at - 4 < len) break;
      on_frame(c, std::string_view(data + at + 4, len));
      at += 4 + len;
      if (gen != c.gen) return at;
    }
    return at;
  }

  void ws_read(Conn& c) {
    auto link = c.ws;
    link->ws.async_read(link->in, [this, &c, gen = c.gen, link](const error_code& ec, size_t n) {
      if (gen != c.gen) return;
      refresh_now();
      if (ec) {
        if (ec == asio::error::operation_aborted) return;
        if (ec == websocket::error::closed) {
          lost(c, "ws_close_" + std::to_string(link->ws.reason().code));
        } else {
          lost(c, ec == asio::error::eof ? "server_closed" : ec.message());
        }
        return;
      }
      cnt_.bytes_in += static_cast<int64_t>(n);
      const auto data = link->in.cdata();
      on_frame(c, std::string_view(static_cast<const char*>(data.data()), data.size()));
      if (gen != c.gen) return;
      link->in.consume(link->in.size());
      ws_read(c);
    });
  }

  // --- protocol ---
  void on_frame(Conn& c, std::string_view env) {
    ++cnt_.msgs_in;
    wire::Top top;
    if (!wire::scan_envelope(env, top)) {
      protocol_error(c, "malformed_envelope");
      return;
    }
    switch (top.field) {
      case wire::kState:
        on_state(c, top.body);
        return;
      case wire::kEvent:
        ++cnt_.events_in;
        return;
      case wire::kPong: {
        ++cnt_.pongs_in;
        const uint64_t sent = wire::varint_field(top.body, 1);
        const int64_t rtt = now() - static_cast<int64_t>(sent);
        if (sent != 0 && rtt >= 0) {
          rtt_interval_.record(static_cast<uint64_t>(rtt));
          if (measuring_) rtt_window_.record(static_cast<uint64_t>(rtt));
        }
        return;
      }
      case wire::kError:
        on_error(c, top.body);
        return;
      case wire::kWelcome:
        on_welcome(c);
        return;
      case wire::kLoginOk:
        on_login_ok(c, top.body);
        return;
      case wire::kJoined:
        on_joined(c, top.body);
        return;
      case wire::kLeft:
        on_left(c);
        return;
      default:
        return;  // RoomList, Leaderboard, ...: not asked for
    }
  }

  void on_state(Conn& c, std::string_view st) {
    ++cnt_.states_in;
    ++c.states_window;
    if (c.seq == c.acked) return;  // nothing outstanding: skip scanning the acks
    uint32_t seq = 0;
    if (!wire::state_ack_for(st, c.seat, seq)) return;
    const auto ahead = static_cast<int32_t>(seq - c.acked);
    if (ahead <= 0 || seq > c.seq) return;
    uint32_t from = c.acked + 1;
    if (static_cast<uint32_t>(ahead) > kRing) {
      cnt_.ack_samples_lost += ahead - static_cast<int32_t>(kRing);
      from = seq - kRing + 1;
    }
    const uint32_t t = now32();
    for (uint32_t q = from; q != seq + 1; ++q) {
      const uint32_t lat = t - c.sent_us[q % kRing];
      lat_interval_.record(lat);
      if (measuring_) lat_window_.record(lat);
      ++cnt_.ack_samples;
    }
    c.acked = seq;
    c.got_state = true;
  }

  void on_error(Conn& c, std::string_view body) {
    const auto code = static_cast<uint32_t>(wire::varint_field(body, 1));
    const bool fatal = wire::varint_field(body, 3) != 0;
    std::string name = proto::ErrorCode_Name(static_cast<proto::ErrorCode>(code));
    if (name.empty()) name = "error_" + std::to_string(code);
    ++cnt_.errors_in;
    ++error_codes_[name];
    if (fatal) {
      c.fatal_code = code;  // the server closes next; lost() reports this code
      return;
    }
    switch (c.phase) {
      case Phase::hello:
      case Phase::login:
      case Phase::joining:
      case Phase::leaving:
        // A request of ours was refused: this client cannot go on.
        ++drop_reasons_[clean_key(std::string("refused:") + to_string(c.phase) + ":" + name)];
        ++cnt_.drops;
        give_up(c);
        return;
      default:
        return;  // e.g. RATE_LIMITED on an input: counted, the client goes on
    }
  }

  void on_welcome(Conn& c) {
    if (c.phase != Phase::hello) return;
    c.phase = Phase::login;
    proto::Envelope env;
    env.set_request_id(2);
    auto* guest = env.mutable_login()->mutable_guest();
    guest->set_device_id(o_.device_prefix + "-" + std::to_string(c.global));
    send_envelope(c, env);
  }

  void on_login_ok(Conn& c, std::string_view body) {
    if (c.phase != Phase::login) return;
    ++cnt_.logged_in;
    c.phase = Phase::joining;
    c.deadline_us = now() + static_cast<int64_t>(o_.request_timeout_s * 1e6);
    schedule(c, c.deadline_us);
    // LoginOk.room_id (6) != 0: a seat was held for this player (it dropped within the
    // reconnect grace) and the server is seating it again; a Joined follows by itself.
    if (wire::varint_field(body, 6) != 0) return;
    if (!o_.grouped()) {
      proto::Envelope env;
      env.set_request_id(3);
      env.mutable_join_or_create()->set_type(room_type_);
      send_envelope(c, env);
      return;
    }
    Group& g = groups_[c.local / room_size_];
    if (g.room_id != 0) {
      send_join(c, g.room_id);
    } else if (g.creator < 0) {
      send_create(c, g);
    } else {
      g.waiters.push_back(c.local);
    }
  }

  void send_create(Conn& c, Group& g) {
    g.creator = c.local;
    proto::Envelope env;
    env.set_request_id(3);
    auto* cr = env.mutable_create_room();
    cr->set_type(room_type_);
    cr->set_name("load-" + std::to_string(c.global / room_size_));
    cr->set_max_players(room_size_);
    send_envelope(c, env);
  }

  void send_join(Conn& c, uint64_t room_id) {
    proto::Envelope env;
    env.set_request_id(3);
    env.mutable_join_room()->set_room_id(room_id);
    send_envelope(c, env);
  }

  bool creator_of(const Conn& c) const {
    if (!o_.grouped() || groups_.empty()) return false;
    const Group& g = groups_[c.local / room_size_];
    return g.room_id == 0 && g.creator == static_cast<int64_t>(c.local);
  }

  // The creator failed before its room existed: a waiting member creates it instead.
  void promote_waiter(const Conn& failed) {
    Group& g = groups_[failed.local / room_size_];
    g.creator = -1;
    while (!g.waiters.empty()) {
      const uint32_t w = g.waiters.back();
      g.waiters.pop_back();
      Conn& c = conns_[w];
      if (c.phase != Phase::joining) continue;
      send_create(c, g);
      return;
    }
  }

  void on_joined(Conn& c, std::string_view body) {
    if (c.phase != Phase::joining) return;
    uint64_t room_id = 0;
    uint32_t seat = 0;
    wire::for_each_field(body, [&](uint32_t f, uint32_t wt, uint64_t v, std::string_view b) {
      if (f == 1 && wt == 2) room_id = wire::varint_field(b, 1);  // RoomInfo.room_id
      if (f == 2 && wt == 0) seat = static_cast<uint32_t>(v);
      return true;
    });
    c.room_id = room_id;
    c.seat = seat;
    c.phase = Phase::in_room;
    c.ever_joined = true;
    if (!has_inputs_) c.got_state = true;  // the snapshot is the state an idle client needs
    if (measuring_ && !c.in_room_at_start) c.joined_late = o_.scenario != Scenario::churn;
    ++cnt_.joined;
    ++cnt_.in_rooms;
    c.counted_in_room = true;
    if (c.counted_inflight) {
      c.counted_inflight = false;
      --cnt_.inflight;
    }
    settle(c);
    join_.record(static_cast<uint64_t>(now() - c.started_us));
    if (o_.grouped()) {
      Group& g = groups_[c.local / room_size_];
      if (g.room_id == 0) {
        g.room_id = room_id;
        for (const uint32_t w : g.waiters) {
          Conn& m = conns_[w];
          if (m.phase == Phase::joining) send_join(m, room_id);
        }
        g.waiters.clear();
        g.waiters.shrink_to_fit();
      }
    }
    const int64_t t = now();
    if (has_inputs_) {
      c.next_input_us =
          t + static_cast<int64_t>(rand() % static_cast<uint64_t>(input_interval_us_));
    }
    if (o_.scenario == Scenario::churn) c.leave_at_us = t + static_cast<int64_t>(o_.hold_s * 1e6);
    c.has_entry = false;  // drop the join deadline
    ++c.token;
    on_due(c);
  }

  void on_left(Conn& c) {
    if (c.phase != Phase::leaving) return;
    ++cnt_.churn_cycles;
    close_socket(c);
    c.phase = Phase::pause;
    schedule(c, now() + static_cast<int64_t>(o_.churn_pause_s * 1e6));
  }

  // --- per-client timers ---
  void on_due(Conn& c) {
    const int64_t t = now();
    switch (c.phase) {
      case Phase::connecting:
      case Phase::ws_handshake:
      case Phase::hello:
      case Phase::login:
      case Phase::joining:
      case Phase::leaving:
        if (t >= c.deadline_us) {
          timed_out(c);
        } else {
          schedule(c, c.deadline_us);
        }
        return;
      case Phase::pause:
        if (!stopping_) start_connect(c);
        return;
      case Phase::in_room:
        in_room_due(c, t);
        return;
      case Phase::fresh:
      case Phase::failed:
        return;
    }
  }

  void in_room_due(Conn& c, int64_t t) {
    if (stopping_) return;
    if (o_.scenario == Scenario::churn && t >= c.leave_at_us) {
      c.phase = Phase::leaving;
      if (c.counted_in_room) {
        c.counted_in_room = false;
        --cnt_.in_rooms;
      }
      c.deadline_us = t + static_cast<int64_t>(o_.request_timeout_s * 1e6);
      proto::Envelope env;
      env.set_request_id(4);
      env.mutable_leave();
      send_envelope(c, env);
      if (c.phase == Phase::leaving) schedule(c, c.deadline_us);
      return;
    }
    const uint32_t gen = c.gen;
    if (has_inputs_ && t >= c.next_input_us) {
      send_input(c);
      if (gen != c.gen) return;
      c.next_input_us += input_interval_us_;
      if (c.next_input_us < t - input_interval_us_) {
        // Fell behind by more than a period (a stalled loop): skip, do not burst.
        ++cnt_.input_behind;
        c.next_input_us = t + input_interval_us_;
      }
    }
    if (t - c.last_send_us >= ping_us_) {
      uint8_t buf[32];
      const size_t n = wire::encode_ping(buf, !o_.websocket, static_cast<uint64_t>(t));
      ++cnt_.pings_out;
      send_raw(c, buf, n);
      if (gen != c.gen) return;
    }
    int64_t next = c.last_send_us + ping_us_;
    if (has_inputs_) next = std::min(next, c.next_input_us);
    if (o_.scenario == Scenario::churn) next = std::min(next, c.leave_at_us);
    schedule(c, next);
  }

  // A pre-encoded envelope (with the length prefix in raw TCP mode).
  void send_raw(Conn& c, const uint8_t* data, size_t n) {
    if (o_.websocket) {
      ws_send(c, std::string(reinterpret_cast<const char*>(data), n));
    } else {
      tcp_send(c, reinterpret_cast<const char*>(data), n);
    }
  }

  void send_input(Conn& c) {
    uint8_t payload[16];
    std::string_view body;
    if (o_.scenario == Scenario::spelltraction) {
      int32_t x = 0;
      int32_t y = 0;
      if (o_.cluster) {
        // The room's players head for one cell (changing every 5 s), so the attractor moves
        // and letters get scored: the state carries scores and new letters too.
        const uint64_t epoch = static_cast<uint64_t>(now() / 5'000'000);
        const uint64_t cell = (epoch * 7 + c.global / room_size_ * 5) % 12;
        x = static_cast<int32_t>((cell % 4) * 100 + 20 + rand() % 60);
        y = static_cast<int32_t>((cell / 4) * 100 + 20 + rand() % 60);
      } else {
        x = static_cast<int32_t>(rand() % 400);
        y = static_cast<int32_t>(rand() % 300);
      }
      const size_t n = wire::encode_move(payload, x, y);
      body = std::string_view(reinterpret_cast<const char*>(payload), n);
    } else {
      body = relay_payload_;
    }
    const uint32_t seq = ++c.seq;
    c.sent_us[seq % kRing] = now32();
    ++cnt_.inputs_out;
    if (body.size() + 32 > input_buf_.size()) input_buf_.resize(body.size() + 32);
    const size_t n = wire::encode_input(input_buf_.data(), !o_.websocket, seq, body);
    send_raw(c, input_buf_.data(), n);
  }

  const Options& o_;
  const WorkerPlan plan_;
  asio::io_context io_{1};
  asio::steady_timer timer_;
  asio::posix::stream_descriptor commands_;
  std::array<char, 64> command_buf_{};
  tcp::endpoint endpoint_;
  std::string host_header_;
  std::string hello_;
  std::string relay_payload_;
  std::vector<uint8_t> input_buf_ = std::vector<uint8_t>(64);
  uint64_t rng_;
  int64_t input_interval_us_ = 0;
  int64_t ping_us_ = 5'000'000;
  uint32_t room_size_ = 100;
  std::string room_type_;
  bool has_inputs_ = false;

  std::vector<Conn> conns_;
  std::vector<Group> groups_;
  size_t next_start_ = 0;

  std::vector<std::vector<Entry>> wheel_;
  std::vector<Entry> scratch_;
  int64_t wheel_tick_ = 0;

  int64_t now_us_ = 0;
  int64_t start_us_ = 0;
  int64_t next_report_us_ = 0;
  int64_t hard_cap_us_ = 0;
  int64_t window_start_us_ = 0;
  bool measuring_ = false;
  bool stopping_ = false;

  Counters cnt_;
  Counters at_window_start_;
  Histogram lat_interval_;
  Histogram lat_window_;
  Histogram rtt_interval_;
  Histogram rtt_window_;
  Histogram join_;
  Tally drop_reasons_;
  Tally error_codes_;
  Tally connect_failures_;
};

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int run_worker(const Options& options, const WorkerPlan& plan) {
  raise_fd_limit();
  // Histograms are large: keep the worker on the heap, not the stack.
  auto worker = std::make_unique<Worker>(options, plan);
  return worker->run();
}

}  // namespace rookery::load
