// rookery-load: the parent process. Parses options, forks the worker processes (one thread
// each, see worker.cpp), reads their per-second reports, prints a progress line each second,
// drives the phases (ramp -> measured window -> stop) and prints the final summary.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "load/options.hpp"
#include "load/stats.hpp"
#include "load/worker.hpp"

namespace rookery::load {
namespace {

volatile sig_atomic_t g_interrupted = 0;

void on_signal(int) {
  g_interrupted = 1;
}

double mono_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double unix_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double cpu_s_self() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// --- one worker as the parent sees it ---
struct WorkerState {
  WorkerPlan plan;
  pid_t pid = -1;
  int report_fd = -1;   // read end
  int command_fd = -1;  // write end
  std::string buffer;   // partial line
  Counters last;        // latest cumulative counters (T or F)
  Histogram lat_second;
  Histogram rtt_second;
  bool final_seen = false;
  bool eof = false;
  bool reaped = false;
  int exit_status = 0;
  // From the F record.
  Counters window_start;
  int64_t window_us = 0;
  Histogram lat;
  Histogram rtt;
  Histogram join;
  Tally drops;
  Tally errs;
  Tally cfail;
  int64_t never_joined = 0;
  int64_t nostate = 0;
  int64_t late = 0;
  std::vector<double> rates;
};

// Applies one "T ..." or "F ..." line.
void apply_line(WorkerState& w, const std::string& line) {
  if (line.empty()) return;
  const bool final = line[0] == 'F';
  if (!final && line[0] != 'T') return;
  std::istringstream in(line.substr(1));
  std::string tok;
  while (in >> tok) {
    const size_t eq = tok.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = tok.substr(0, eq);
    const std::string val = tok.substr(eq + 1);
    if (key == "lat") {
      (final ? w.lat : w.lat_second).merge_encoded(val);
    } else if (key == "rtt") {
      (final ? w.rtt : w.rtt_second).merge_encoded(val);
    } else if (key == "join") {
      w.join.merge_encoded(val);
    } else if (key == "drop_reasons") {
      merge_tally(w.drops, val);
    } else if (key == "errs") {
      merge_tally(w.errs, val);
    } else if (key == "cfail") {
      merge_tally(w.cfail, val);
    } else if (key == "rates") {
      size_t at = 0;
      while (at < val.size()) {
        size_t comma = val.find(',', at);
        if (comma == std::string::npos) comma = val.size();
        w.rates.push_back(std::strtod(val.substr(at, comma - at).c_str(), nullptr));
        at = comma + 1;
      }
    } else if (key == "window_us") {
      w.window_us = std::strtoll(val.c_str(), nullptr, 10);
    } else if (key == "never_joined") {
      w.never_joined = std::strtoll(val.c_str(), nullptr, 10);
    } else if (key == "nostate") {
      w.nostate = std::strtoll(val.c_str(), nullptr, 10);
    } else if (key == "late") {
      w.late = std::strtoll(val.c_str(), nullptr, 10);
    } else if (key.starts_with("w0.")) {
      w.window_start.set(key.substr(3), std::strtoll(val.c_str(), nullptr, 10));
    } else {
      w.last.set(key, std::strtoll(val.c_str(), nullptr, 10));
    }
  }
  if (final) w.final_seen = true;
}

// Reads what is available on the worker's report pipe.
void drain(WorkerState& w) {
  char buf[65536];
  for (int i = 0; i < 64; ++i) {
    const ssize_t n = ::read(w.report_fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN
    }
    if (n == 0) {
      w.eof = true;
      return;
    }
    w.buffer.append(buf, static_cast<size_t>(n));
    size_t at = 0;
    for (size_t nl; (nl = w.buffer.find('\n', at)) != std::string::npos; at = nl + 1) {
      apply_line(w, w.buffer.substr(at, nl - at));
    }
    w.buffer.erase(0, at);
  }
}

void send_command(WorkerState& w, char cmd) {
  if (w.command_fd < 0) return;
  while (::write(w.command_fd, &cmd, 1) < 0 && errno == EINTR) {
  }
}

Counters sum_last(const std::vector<WorkerState>& ws) {
  Counters c;
  for (const auto& w : ws) c.add(w.last);
  return c;
}

std::string human(double v) {
  char buf[32];
  if (v >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
  } else if (v >= 1e4) {
    std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  }
  return buf;
}

// --- JSON output ---
class Json {
 public:
  Json& open(const char* key = nullptr) {
    sep(key);
    out_ += '{';
    first_ = true;
    return *this;
  }
  Json& close() {
    out_ += '}';
    first_ = false;
    return *this;
  }
  Json& num(const char* key, double v) {
    sep(key);
    if (!std::isfinite(v)) {
      out_ += "null";
    } else if (v == std::floor(v) && std::fabs(v) < 1e15) {
      out_ += std::to_string(static_cast<long long>(v));
    } else {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.4f", v);
      out_ += buf;
    }
    return *this;
  }
  Json& str(const char* key, const std::string& v) {
    sep(key);
    quote(v);
    return *this;
  }
  Json& boolean(const char* key, bool v) {
    sep(key);
    out_ += v ? "true" : "false";
    return *this;
  }
  Json& tally(const char* key, const Tally& t) {
    open(key);
    for (const auto& [k, v] : t) num(k.c_str(), static_cast<double>(v));
    return close();
  }
  const std::string& text() const { return out_; }

 private:
  void sep(const char* key) {
    if (!first_) out_ += ',';
    first_ = false;
    if (key) {
      quote(key);
      out_ += ':';
    }
  }
  void quote(const std::string& s) {
    out_ += '"';
    for (char c : s) {
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out_ += buf;
      } else {
        out_ += c;
      }
    }
    out_ += '"';
  }
  std::string out_;
  bool first_ = true;
};

void latency_json(Json& j, const char* key, const Histogram& h) {
  j.open(key);
  j.num("samples", static_cast<double>(h.count()));
  j.num("p50", h.quantile(0.50) / 1000.0);
  j.num("p90", h.quantile(0.90) / 1000.0);
  j.num("p99", h.quantile(0.99) / 1000.0);
  j.num("p999", h.quantile(0.999) / 1000.0);
  j.num("max", static_cast<double>(h.max()) / 1000.0);
  j.close();
}

std::string latency_text(const Histogram& h) {
  if (h.count() == 0) return "no samples";
  char buf[160];
  std::snprintf(buf, sizeof buf, "p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms  (%s samples)",
                h.quantile(0.5) / 1000, h.quantile(0.9) / 1000, h.quantile(0.99) / 1000,
                static_cast<double>(h.max()) / 1000, human(static_cast<double>(h.count())).c_str());
  return buf;
}

std::string resolve(const std::string& host, bool want_v4) {
  addrinfo hints{};
  hints.ai_family = want_v4 ? AF_INET : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
    throw UsageError("cannot resolve --host " + host + (want_v4 ? " to IPv4" : ""));
  }
  char buf[INET6_ADDRSTRLEN] = {};
  // Prefer IPv4 (the server listens dual-stack; source binding is IPv4).
  const addrinfo* pick = res;
  for (const addrinfo* a = res; a; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      pick = a;
      break;
    }
  }
  if (pick->ai_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(pick->ai_addr)->sin_addr, buf,
              sizeof buf);
  } else {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(pick->ai_addr)->sin6_addr, buf,
              sizeof buf);
  }
  freeaddrinfo(res);
  return buf;
}

// Splits the clients over workers; grouped scenarios keep each room's group in one worker.
std::vector<WorkerPlan> plan_workers(const Options& o, uint32_t processes, double hard_cap_s) {
  std::vector<WorkerPlan> plans;
  const uint32_t unit = o.grouped() ? o.effective_room_size() : 1;
  const uint32_t units = (o.connections + unit - 1) / unit;
  const uint32_t p = std::min(processes, units);
  uint32_t at_unit = 0;
  for (uint32_t i = 0; i < p; ++i) {
    const uint32_t n_units = units / p + (i < units % p ? 1 : 0);
    WorkerPlan w;
    w.index = i;
    w.first = at_unit * unit;
    w.count = std::min(o.connections, (at_unit + n_units) * unit) - w.first;
    w.hard_cap_s = hard_cap_s + 5;
    at_unit += n_units;
    plans.push_back(w);
  }
  for (auto& w : plans) {
    w.ramp = o.ramp * static_cast<double>(w.count) / static_cast<double>(o.connections);
  }
  return plans;
}

int run(int argc, char** argv) {
  bool help = false;
  Options o;
  try {
    o = parse_options(argc, argv, help);
    if (help) {
      std::cout << usage_text();
      return 0;
    }
    o.resolved_address = resolve(o.host, !o.source_ips.empty());
  } catch (const UsageError& e) {
    std::fprintf(stderr, "rookery-load: %s\n", e.what());
    return 2;
  }
  std::mt19937_64 seeder(
      o.seed != 0
          ? o.seed
          : static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  if (o.device_prefix.empty()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "load-%08llx", static_cast<unsigned long long>(seeder() >> 32));
    o.device_prefix = buf;
  }
  uint32_t processes = o.processes;
  const uint32_t needed = (o.connections + kMaxPerProcess - 1) / kMaxPerProcess;
  if (processes == 0) processes = needed;
  if (processes < needed) {
    std::fprintf(stderr,
                 "rookery-load: %u connections need at least %u processes (<= %u sockets each, "
                 "the open-file limit); got --processes %u\n",
                 o.connections, needed, kMaxPerProcess, processes);
    return 2;
  }
  const double ramp_timeout =
      o.ramp_timeout_s > 0 ? o.ramp_timeout_s : static_cast<double>(o.connections) / o.ramp + 30;
  const double hard_cap =
      o.hard_cap_s > 0 ? o.hard_cap_s : ramp_timeout + o.warmup_s + o.duration_s + 30;
  auto plans = plan_workers(o, processes, hard_cap);

  std::signal(SIGPIPE, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  const double t0 = mono_s();
  const double unix0 = unix_s();
  std::vector<WorkerState> workers(plans.size());
  for (size_t i = 0; i < plans.size(); ++i) {
    int report[2];
    int command[2];
    if (pipe(report) != 0 || pipe(command) != 0) {
      std::perror("rookery-load: pipe");
      return 3;
    }
    plans[i].seed = seeder() | 1;
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) {
      std::perror("rookery-load: fork");
      return 3;
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      std::signal(SIGINT, SIG_IGN);  // the parent decides when to stop
      std::signal(SIGTERM, SIG_DFL);
      ::close(report[0]);
      ::close(command[1]);
      for (size_t k = 0; k < i; ++k) {
        ::close(workers[k].report_fd);
        ::close(workers[k].command_fd);
      }
      plans[i].report_fd = report[1];
      plans[i].command_fd = command[0];
      ::_exit(run_worker(o, plans[i]));
    }
    ::close(report[1]);
    ::close(command[0]);
    workers[i].plan = plans[i];
    workers[i].pid = pid;
    workers[i].report_fd = report[0];
    workers[i].command_fd = command[1];
    fcntl(report[0], F_SETFL, fcntl(report[0], F_GETFL) | O_NONBLOCK);
  }

  if (!o.quiet) {
    std::fprintf(stderr,
                 "rookery-load: %s over %s to %s:%u, %u clients in %zu process(es), rate %.2f/s, "
                 "rooms of %u (%s), ramp %.0f/s, measuring %.0f s after the ramp\n",
                 to_string(o.scenario), o.websocket ? "ws" : "tcp", o.resolved_address.c_str(),
                 o.port, o.connections, workers.size(), o.input_rate(), o.effective_room_size(),
                 o.effective_room_type().c_str(), o.ramp, o.duration_s);
  }

  enum class Phase { ramp, warmup, measure, stopping, done } phase = Phase::ramp;
  double warmup_end = 0;
  double measure_start = 0;
  double measure_start_unix = 0;
  double measure_end = 0;
  double measure_end_unix = 0;
  double stop_deadline = 0;
  double ramp_end_s = 0;
  double next_progress = t0 + 1;
  Counters prev = Counters{};
  double prev_t = t0;
  bool interrupted = false;
  bool hard_capped = false;

  std::vector<pollfd> fds;
  for (int guard = 0; phase != Phase::done && guard < 100'000'000; ++guard) {
    fds.clear();
    for (auto& w : workers) {
      if (!w.eof) fds.push_back(pollfd{w.report_fd, POLLIN, 0});
    }
    if (!fds.empty()) {
      ::poll(fds.data(), fds.size(), 100);
    } else {
      ::usleep(100'000);
    }
    for (auto& w : workers) {
      if (!w.eof) drain(w);
      if (!w.reaped) {
        int status = 0;
        if (waitpid(w.pid, &status, WNOHANG) == w.pid) {
          w.reaped = true;
          w.exit_status = status;
          drain(w);
        }
      }
    }
    const double now = mono_s();
    const Counters sum = sum_last(workers);
    bool all_finished = true;
    for (const auto& w : workers) all_finished = all_finished && (w.final_seen || w.reaped);

    if (g_interrupted && !interrupted) {
      interrupted = true;
      if (phase == Phase::ramp || phase == Phase::warmup || phase == Phase::measure) {
        std::fprintf(stderr, "rookery-load: interrupted, stopping\n");
        if (phase != Phase::measure) {
          measure_start = now;
          measure_start_unix = unix_s();
        }
        phase = Phase::measure;
        measure_end = now - 1;  // falls through to stopping below
      }
    }
    if (now - t0 > hard_cap) {
      hard_capped = true;
      std::fprintf(stderr, "rookery-load: hard cap of %.0f s reached, killing workers\n", hard_cap);
      for (auto& w : workers) {
        if (!w.reaped) kill(w.pid, SIGKILL);
      }
      phase = Phase::done;
      break;
    }
    if (phase == Phase::ramp) {
      const bool settled = sum.settled >= static_cast<int64_t>(o.connections);
      if (settled || now - t0 >= ramp_timeout || all_finished) {
        if (!settled && !o.quiet) {
          std::fprintf(stderr, "rookery-load: ramp timeout: %lld of %u clients settled\n",
                       static_cast<long long>(sum.settled), o.connections);
        }
        ramp_end_s = now - t0;
        phase = Phase::warmup;
        warmup_end = now + o.warmup_s;
      }
    }
    if (phase == Phase::warmup && (now >= warmup_end || all_finished)) {
      for (auto& w : workers) send_command(w, 'M');
      phase = Phase::measure;
      measure_start = now;
      measure_start_unix = unix_s();
      measure_end = now + o.duration_s;
    }
    if (phase == Phase::measure && (now >= measure_end || all_finished)) {
      for (auto& w : workers) send_command(w, 'S');
      measure_end = now;
      measure_end_unix = unix_s();
      phase = Phase::stopping;
      stop_deadline = now + 15;
    }
    if (phase == Phase::stopping) {
      if (all_finished) {
        phase = Phase::done;
      } else if (now >= stop_deadline) {
        std::fprintf(stderr, "rookery-load: workers did not report in time, killing them\n");
        for (auto& w : workers) {
          if (!w.reaped && !w.final_seen) kill(w.pid, SIGKILL);
        }
        phase = Phase::done;
      }
    }
    if (now >= next_progress && phase != Phase::done) {
      next_progress += 1;
      if (next_progress < now) next_progress = now + 1;
      const double dt = std::max(1e-3, now - prev_t);
      Histogram lat;
      Histogram rtt;
      for (auto& w : workers) {
        lat.merge(w.lat_second);
        rtt.merge(w.rtt_second);
        w.lat_second.clear();
        w.rtt_second.clear();
      }
      if (!o.quiet) {
        const char* ph = phase == Phase::ramp      ? "ramp"
                         : phase == Phase::warmup  ? "warmup"
                         : phase == Phase::measure ? "measure"
                                                   : "stop";
        char line[512];
        const bool use_rtt = lat.count() == 0;
        const Histogram& l = use_rtt ? rtt : lat;
        std::snprintf(
            line, sizeof line,
            "[%5.0fs %-7s] conn %lld/%u rooms %lld | in %s/s out %s/s | %s p50 %.1f p99 %.1f ms "
            "| err %lld drop %lld cfail %lld | gen cpu %.0f%%\n",
            now - t0, ph, static_cast<long long>(sum.connected), o.connections,
            static_cast<long long>(sum.in_rooms),
            human(static_cast<double>(sum.msgs_in - prev.msgs_in) / dt).c_str(),
            human(static_cast<double>(sum.msgs_out - prev.msgs_out) / dt).c_str(),
            use_rtt ? "rtt" : "lat", l.quantile(0.5) / 1000, l.quantile(0.99) / 1000,
            static_cast<long long>(sum.errors_in + sum.timeouts + sum.protocol_errors),
            static_cast<long long>(sum.drops), static_cast<long long>(sum.connect_fail),
            100.0 * static_cast<double>(sum.cpu_us - prev.cpu_us) / 1e6 / dt);
        std::fputs(line, stderr);
      }
      prev = sum;
      prev_t = now;
    }
  }
  // Reap everyone (bounded: killed above if they overstayed).
  for (auto& w : workers) {
    if (!w.eof) drain(w);
    if (!w.reaped) {
      for (int i = 0; i < 50 && !w.reaped; ++i) {
        int status = 0;
        if (waitpid(w.pid, &status, WNOHANG) == w.pid) {
          w.reaped = true;
          w.exit_status = status;
        } else {
          ::usleep(100'000);
        }
      }
      if (!w.reaped) {
        kill(w.pid, SIGKILL);
        waitpid(w.pid, &w.exit_status, 0);
        w.reaped = true;
      }
      drain(w);
    }
    ::close(w.report_fd);
    ::close(w.command_fd);
  }
  if (measure_end_unix == 0) {
    measure_end = mono_s();
    measure_end_unix = unix_s();
  }

  // --- aggregate ---
  Counters end;
  Counters start;
  Histogram lat;
  Histogram rtt;
  Histogram join;
  Tally drops;
  Tally errs;
  Tally cfail;
  int64_t never_joined = 0;
  int64_t nostate = 0;
  int64_t late = 0;
  int64_t worker_failures = 0;
  double window_s = 0;
  std::vector<double> rates;
  for (const auto& w : workers) {
    end.add(w.last);
    if (!w.final_seen) {
      ++worker_failures;
      continue;
    }
    start.add(w.window_start);
    lat.merge(w.lat);
    rtt.merge(w.rtt);
    join.merge(w.join);
    for (const auto& [k, v] : w.drops) drops[k] += v;
    for (const auto& [k, v] : w.errs) errs[k] += v;
    for (const auto& [k, v] : w.cfail) cfail[k] += v;
    never_joined += w.never_joined;
    nostate += w.nostate;
    late += w.late;
    window_s = std::max(window_s, static_cast<double>(w.window_us) / 1e6);
    rates.insert(rates.end(), w.rates.begin(), w.rates.end());
  }
  if (window_s <= 0) window_s = std::max(1e-3, measure_end - measure_start);
  std::sort(rates.begin(), rates.end());
  auto rate_q = [&](double q) {
    if (rates.empty()) return 0.0;
    return rates[static_cast<size_t>(q * static_cast<double>(rates.size() - 1))];
  };
  Counters win = end;
  {
    // window = end - start, field by field
    Counters neg;
#define ROOKERY_LOAD_NEG(name) neg.name = -start.name;
    ROOKERY_LOAD_COUNTERS(ROOKERY_LOAD_NEG)
#undef ROOKERY_LOAD_NEG
    win.add(neg);
  }
  const double parent_cpu = cpu_s_self();
  const double gen_cpu_window = static_cast<double>(win.cpu_us) / 1e6;
  const double gen_cpu_total = static_cast<double>(end.cpu_us) / 1e6 + parent_cpu;
  const int64_t errors_total = end.connect_fail + end.drops + end.errors_in + end.timeouts +
                               end.protocol_errors + worker_failures;
  const bool state_ok = never_joined == 0 && nostate == 0;
  const bool clean = errors_total == 0 && state_ok && !hard_capped;

  Json j;
  j.open();
  j.str("tool", "rookery-load");
  j.str("scenario", to_string(o.scenario));
  j.str("transport", o.websocket ? "ws" : "tcp");
  j.str("host", o.resolved_address);
  j.num("port", o.port);
  j.num("connections", o.connections);
  j.num("processes", static_cast<double>(workers.size()));
  j.num("rate_hz", o.input_rate());
  j.num("room_size", o.effective_room_size());
  j.str("room_type", o.effective_room_type());
  j.num("source_ips", static_cast<double>(o.source_ips.size()));
  j.num("ramp_per_s", o.ramp);
  j.num("ramp_s", ramp_end_s);
  j.num("warmup_s", o.warmup_s);
  j.num("duration_s", o.duration_s);
  j.num("window_s", window_s);
  j.num("start_unix", unix0);
  j.num("window_start_unix", measure_start_unix);
  j.num("window_end_unix", measure_end_unix);
  j.boolean("interrupted", interrupted);
  j.boolean("hard_capped", hard_capped);
  j.open("connect");
  j.num("attempts", static_cast<double>(end.attempts));
  j.num("ok", static_cast<double>(end.connect_ok));
  j.num("failed", static_cast<double>(end.connect_fail));
  j.tally("failures_by_reason", cfail);
  j.num("logged_in", static_cast<double>(end.logged_in));
  j.num("joined", static_cast<double>(end.joined));
  j.num("never_joined", static_cast<double>(never_joined));
  j.num("connected_at_window_start", static_cast<double>(start.connected));
  j.num("in_rooms_at_window_start", static_cast<double>(start.in_rooms));
  j.num("in_rooms_at_end", static_cast<double>(end.in_rooms));
  j.num("joined_during_window", static_cast<double>(late));
  j.close();
  j.open("drops");
  j.num("total", static_cast<double>(end.drops + end.timeouts + end.protocol_errors));
  j.tally("by_reason", drops);
  j.close();
  j.open("errors");
  j.num("total", static_cast<double>(errors_total));
  j.num("server_error_messages", static_cast<double>(end.errors_in));
  j.tally("server_error_codes", errs);
  j.num("client_timeouts", static_cast<double>(end.timeouts));
  j.num("protocol_errors", static_cast<double>(end.protocol_errors));
  j.num("worker_failures", static_cast<double>(worker_failures));
  j.close();
  latency_json(j, "latency_ms", lat);
  j.num("latency_samples_lost", static_cast<double>(end.ack_samples_lost));
  latency_json(j, "ping_rtt_ms", rtt);
  latency_json(j, "join_ms", join);
  j.open("state_rate_hz");
  j.num("clients", static_cast<double>(rates.size()));
  j.num("min", rate_q(0));
  j.num("p1", rate_q(0.01));
  j.num("median", rate_q(0.5));
  j.num("max", rate_q(1));
  j.num("clients_without_state", static_cast<double>(nostate));
  j.close();
  j.open("messages");
  j.num("in", static_cast<double>(end.msgs_in));
  j.num("out", static_cast<double>(end.msgs_out));
  j.num("states_in", static_cast<double>(end.states_in));
  j.num("events_in", static_cast<double>(end.events_in));
  j.num("inputs_out", static_cast<double>(end.inputs_out));
  j.num("pings_out", static_cast<double>(end.pings_out));
  j.num("in_per_s", static_cast<double>(win.msgs_in) / window_s);
  j.num("out_per_s", static_cast<double>(win.msgs_out) / window_s);
  j.num("states_per_s", static_cast<double>(win.states_in) / window_s);
  j.num("inputs_per_s", static_cast<double>(win.inputs_out) / window_s);
  j.num("inputs_behind_schedule", static_cast<double>(end.input_behind));
  j.close();
  j.open("bytes");
  j.num("in", static_cast<double>(end.bytes_in));
  j.num("out", static_cast<double>(end.bytes_out));
  j.num("in_per_s", static_cast<double>(win.bytes_in) / window_s);
  j.num("out_per_s", static_cast<double>(win.bytes_out) / window_s);
  j.close();
  j.open("churn");
  j.num("cycles", static_cast<double>(end.churn_cycles));
  j.num("cycles_per_s", static_cast<double>(win.churn_cycles) / window_s);
  j.close();
  j.open("generator");
  j.num("cpu_s_window", gen_cpu_window);
  j.num("cpu_pct_window", 100.0 * gen_cpu_window / window_s);
  j.num("cpu_s_total", gen_cpu_total);
  j.close();
  j.boolean("clean", clean);
  j.close();

  // Human summary: stdout, or stderr when stdout carries the JSON.
  FILE* out = o.json ? stderr : stdout;
  std::fprintf(out, "\n== rookery-load summary: %s, %s, %u clients, %zu process(es) ==\n",
               to_string(o.scenario), o.websocket ? "ws" : "tcp", o.connections, workers.size());
  std::fprintf(out, "ramp           %.1f s; measured window %.1f s%s%s\n", ramp_end_s, window_s,
               interrupted ? " (interrupted)" : "", hard_capped ? " (HARD CAP)" : "");
  std::fprintf(out,
               "connect        %lld ok, %lld failed; %lld logged in, %lld joined; in rooms: "
               "%lld at window start, %lld at end\n",
               static_cast<long long>(end.connect_ok), static_cast<long long>(end.connect_fail),
               static_cast<long long>(end.logged_in), static_cast<long long>(end.joined),
               static_cast<long long>(start.in_rooms), static_cast<long long>(end.in_rooms));
  for (const auto& [k, v] : cfail)
    std::fprintf(out, "  connect failure %-30s %lld\n", k.c_str(), static_cast<long long>(v));
  std::fprintf(out, "drops          %lld\n",
               static_cast<long long>(end.drops + end.timeouts + end.protocol_errors));
  for (const auto& [k, v] : drops)
    std::fprintf(out, "  %-40s %lld\n", k.c_str(), static_cast<long long>(v));
  std::fprintf(out, "server errors  %lld\n", static_cast<long long>(end.errors_in));
  for (const auto& [k, v] : errs)
    std::fprintf(out, "  %-40s %lld\n", k.c_str(), static_cast<long long>(v));
  std::fprintf(out, "input->state   %s\n", latency_text(lat).c_str());
  std::fprintf(out, "ping rtt       %s\n", latency_text(rtt).c_str());
  std::fprintf(out, "join           %s\n", latency_text(join).c_str());
  std::fprintf(out,
               "state rate     per client: min %.2f  p1 %.2f  median %.2f Hz (%zu clients)%s\n",
               rate_q(0), rate_q(0.01), rate_q(0.5), rates.size(),
               nostate > 0 ? "  SOME CLIENTS GOT NO STATE" : "");
  std::fprintf(out, "messages       in %s (%s/s)  out %s (%s/s)\n",
               human(static_cast<double>(end.msgs_in)).c_str(),
               human(static_cast<double>(win.msgs_in) / window_s).c_str(),
               human(static_cast<double>(end.msgs_out)).c_str(),
               human(static_cast<double>(win.msgs_out) / window_s).c_str());
  std::fprintf(out, "bytes          in %s (%s/s)  out %s (%s/s)\n",
               human(static_cast<double>(end.bytes_in)).c_str(),
               human(static_cast<double>(win.bytes_in) / window_s).c_str(),
               human(static_cast<double>(end.bytes_out)).c_str(),
               human(static_cast<double>(win.bytes_out) / window_s).c_str());
  if (o.scenario == Scenario::churn) {
    std::fprintf(out, "churn          %lld cycles (%.1f/s)\n",
                 static_cast<long long>(end.churn_cycles),
                 static_cast<double>(win.churn_cycles) / window_s);
  }
  std::fprintf(out, "generator cpu  %.2f s in the window = %.0f%% of one core\n", gen_cpu_window,
               100.0 * gen_cpu_window / window_s);
  std::fprintf(out, "result         %s\n", clean ? "clean" : "NOT clean");
  if (o.json) std::printf("%s\n", j.text().c_str());
  std::fflush(nullptr);
  if (worker_failures > 0) return 3;
  if (o.assert_clean && !clean) return 1;
  return 0;
}

}  // namespace
}  // namespace rookery::load

int main(int argc, char** argv) {
  return rookery::load::run(argc, argv);
}
