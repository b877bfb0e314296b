#include "http/admin_api.hpp"

#include <signal.h>
#include <unistd.h>
#include <boost/json.hpp>
#include <charconv>
#include <sstream>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "config/config.hpp"
#include "core/server.hpp"

namespace rookery::http {
namespace json = boost::json;
namespace bhttp = boost::beast::http;

namespace {

constexpr auto kShardWait = Millis(1000);
constexpr auto kTcp = static_cast<size_t>(net::TransportKind::tcp);
constexpr auto kWs = static_cast<size_t>(net::TransportKind::ws);
constexpr size_t kMaxReason = 200;
constexpr size_t kMaxNotice = 500;

Response json_response(const Request& req, bhttp::status status, const json::value& body) {
  auto res = make_response(req, status, "application/json", json::serialize(body));
  res.set(bhttp::field::cache_control, "no-store");
  return res;
}

}  // namespace

// A slot among the session's kMaxStreamsPerSession event streams, held as long as the
// returned handle lives; null when all are taken. Bounds what one stolen or runaway session can
// hold of the side-port's stream cap.
// The table is shared with the handles: a stream may outlive this AdminApi at shutdown.
std::shared_ptr<void> AdminApi::take_stream_slot(const std::string& token) {
  std::lock_guard lock(streams_->mu);
  uint32_t& open = streams_->open[token];
  if (open >= kMaxStreamsPerSession) return nullptr;
  ++open;
  // Points at the table only to be non-null; the deleter gives the slot back.
  return std::shared_ptr<void>(streams_.get(), [table = streams_, token](void*) {
    std::lock_guard release(table->mu);
    if (--table->open[token] == 0) table->open.erase(token);
  });
}

namespace {

Reply ok(const Request& req, const json::value& body) {
  return Reply{json_response(req, bhttp::status::ok, body), {}};
}

Reply fail(const Request& req, bhttp::status status, std::string_view code,
           std::string_view message) {
  json::object err{{"code", code}, {"message", message}};
  return Reply{json_response(req, status, json::object{{"error", err}}), {}};
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      const int hi = i + 1 < s.size() ? hex(s[i + 1]) : -1;
      const int lo = i + 2 < s.size() ? hex(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        out += s[i];
      } else {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
      }
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    const size_t amp = q.find('&');
    const std::string_view part = q.substr(0, amp);
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      out[url_decode(part)] = "";
    } else {
      out[url_decode(part.substr(0, eq))] = url_decode(part.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

json::object player_json(const store::Player& p, const store::Stats& s) {
  return json::object{{"id", p.id},
                      {"username", p.username},
                      {"display_name", p.display_name},
                      {"guest", p.guest},
                      {"banned_until_ms", p.banned_until_ms},
                      {"ban_reason", p.ban_reason},
                      {"banned", p.banned_until_ms > unix_millis()},
                      {"total_score", s.total_score},
                      {"games_played", s.games_played},
                      {"best_score", s.best_score},
                      {"last_played_ms", s.last_played_ms}};
}

json::object listing_json(const rooms::RoomListing& l) {
  return json::object{{"id", l.id},
                      {"type", l.type},
                      {"name", l.name},
                      {"members", l.members},
                      {"max_players", l.max_players},
                      {"state", rooms::to_string(l.state)},
                      {"tick_hz", l.tick_hz},
                      {"shard", l.shard},
                      {"created_ms", l.created_ms},
                      {"node", l.node}};  // "": this node; else the cluster node that runs it
}

json::object room_detail_json(const core::Server::RoomDetail& d) {
  json::object o = listing_json(d.listing);
  json::array members;
  for (const auto& m : d.members) {
    members.push_back(json::object{{"player_id", m.player},
                                   {"display_name", m.display_name},
                                   {"seat", m.seat},
                                   {"connected", m.connected},
                                   {"joined_ms", m.joined_ms},
                                   {"score", m.score}});
  }
  o["members_detail"] = members;
  o["summary"] = d.summary;
  o["stats"] = json::object{{"ticks", d.stats.ticks},
                            {"inputs", d.stats.inputs},
                            {"inputs_dropped", d.stats.inputs_dropped},
                            {"inputs_invalid", d.stats.inputs_invalid},
                            {"last_tick_us", d.stats.last_tick_us},
                            {"last_lag_us", d.stats.last_lag_us}};
  return o;
}

// p99 of a latency histogram in milliseconds (upper bound of the bucket holding it).
double p99_ms(const LatencyHistogram& h) {
  return h.quantile_bound(0.99) * 1000;
}

}  // namespace

/// One request being handled: the request, caller and parsed pieces.
struct AdminApi::Ctx {
  const Request& req;
  std::shared_ptr<const Request> request;  // kept by handlers that answer later
  const std::string& peer;
  Respond respond;
  Caller caller;
  std::vector<std::string_view> parts;  // path segments after /api/v1
  std::map<std::string, std::string> query;
  json::object body;
  std::string actor() const { return caller.session ? caller.session->username : "?"; }
};

AdminApi::AdminApi(core::Server& server, store::PlayerStore& players, store::AdminStore& admin,
                   Metrics& metrics, BuildInfo build, boost::asio::any_io_executor side_port)
    : server_(server),
      side_port_(side_port),
      players_(players),
      admin_(admin),
      metrics_(metrics),
      build_(std::move(build)),
      auth_(admin, std::chrono::hours(12), [side_port](std::function<void()> fn) {
        boost::asio::post(side_port, std::move(fn));
      }) {}

void AdminApi::audit(const Ctx& ctx, const std::string& action, const std::string& target,
                     const std::string& detail, bool success) {
  audit(ctx.actor(), action, target, detail, success);
}

void AdminApi::audit(const std::string& actor, const std::string& action, const std::string& target,
                     const std::string& detail, bool success) {
  metrics_.count_admin_action(action);
  store::AuditEntry e;
  e.at_ms = unix_millis();
  e.actor = actor;
  e.action = action;
  e.target = target;
  e.detail = detail.substr(0, 500);
  e.ok = success;
  admin_.append_audit(std::move(e), [](store::Status st) {
    if (st != store::Status::ok) log::error("audit entry not saved");
  });
  log::info("admin action", {{"actor", actor},
                             {"action", action},
                             {"target", target},
                             {"ok", success ? "true" : "false"}});
}

void AdminApi::handle(std::shared_ptr<const Request> request, const std::string& peer,
                      Respond respond) {
  const Request& req = *request;
  const std::string_view target(req.target().data(), req.target().size());
  const size_t qmark = target.find('?');
  const std::string_view path = target.substr(0, qmark);
  Ctx ctx{req,     request, peer,
          respond, {},      split_path(path.substr(std::string_view("/api/v1").size())),
          {},      {}};
  if (qmark != std::string_view::npos) ctx.query = parse_query(target.substr(qmark + 1));
  const bool is_login = ctx.parts.size() == 2 && ctx.parts[0] == "auth" && ctx.parts[1] == "login";
  auto answer = [&]() -> Answer {
    // Everything but login needs a session, checked before the body is even parsed.
    if (!is_login) {
      ctx.caller = auth_.authenticate(req);
      if (!ctx.caller.session) {
        return fail(req, bhttp::status::unauthorized, "unauthorized", "log in first");
      }
    }
    if (req.method() == bhttp::verb::post || req.method() == bhttp::verb::put) {
      if (!req.body().empty()) {
        boost::system::error_code ec;
        json::value v = json::parse(req.body(), ec);
        if (ec || !v.is_object()) {
          return fail(req, bhttp::status::bad_request, "malformed_json",
                      "request body must be a JSON object");
        }
        ctx.body = std::move(v.as_object());
      }
    }
    if (is_login) return login(ctx);
    const bool mutation = req.method() != bhttp::verb::get && req.method() != bhttp::verb::head;
    if (mutation && !auth_.csrf_ok(req, ctx.caller)) {
      return fail(req, bhttp::status::forbidden, "csrf", "missing or wrong X-CSRF-Token header");
    }
    return route(ctx);
  }();
  if (answer) respond(std::move(*answer));
}

AdminApi::Answer AdminApi::login(Ctx& ctx) {
  const Request& req = ctx.req;
  if (req.method() != bhttp::verb::post) {
    return fail(req, bhttp::status::method_not_allowed, "method_not_allowed", "use POST");
  }
  const auto* u = ctx.body.if_contains("username");
  const auto* p = ctx.body.if_contains("password");
  if (!u || !p || !u->is_string() || !p->is_string()) {
    return fail(req, bhttp::status::bad_request, "invalid_argument",
                "username and password (strings) are required");
  }
  // The password check runs on the store's KDF pool; Auth calls back on this thread.
  auth_.login(std::string(u->as_string()), std::string(p->as_string()), ctx.peer,
              [this, request = ctx.request, respond = ctx.respond, peer = ctx.peer,
               name = std::string(u->as_string())](Auth::LoginResult r) {
                const Request& rq = *request;
                // Every login is audited, failures too, with where it came from.
                const std::string agent(rq[bhttp::field::user_agent].substr(0, 200));
                const std::string who = base::clean_text(name.empty() ? "?" : name, 64);
                if (!r.session) {
                  log::warn("admin login failed",
                            {{"user", who}, {"peer", peer}, {"status", std::to_string(r.status)}});
                  audit(who, "auth.login_failed", "user:" + who,
                        r.message + "; from " + peer + "; agent " + agent, false);
                  Reply reply = fail(rq, static_cast<bhttp::status>(r.status),
                                     r.status == 429 ? "rate_limited" : "unauthorized", r.message);
                  if (r.retry_after_s > 0) {
                    reply.response.set(bhttp::field::retry_after, std::to_string(r.retry_after_s));
                  }
                  respond(std::move(reply));
                  return;
                }
                log::info("admin login", {{"user", r.session->username}, {"peer", peer}});
                audit(r.session->username, "auth.login", "user:" + r.session->username,
                      "from " + peer + "; agent " + agent, true);
                Reply reply = ok(rq, json::object{{"username", r.session->username},
                                                  {"role", to_string(r.session->role)},
                                                  {"csrf_token", r.session->csrf},
                                                  {"token", r.session->token}});
                reply.response.set(bhttp::field::set_cookie, auth_.cookie_for(r.session));
                respond(std::move(reply));
              });
  return std::nullopt;
}

AdminApi::Answer AdminApi::route(Ctx& ctx) {
  const auto& req = ctx.req;
  const auto& p = ctx.parts;
  const auto method = req.method();
  const Role role = ctx.caller.session->role;
  auto need = [&](Role r) { return role >= r; };
  auto forbidden = [&] {
    return fail(req, bhttp::status::forbidden, "forbidden",
                std::string("your role (") + to_string(role) + ") may not do this");
  };
  auto not_found = [&] {
    return fail(req, bhttp::status::not_found, "not_found", "no such resource");
  };
  auto bad_method = [&] {
    return fail(req, bhttp::status::method_not_allowed, "method_not_allowed",
                "method not allowed here");
  };
  if (p.empty()) return not_found();
  const std::string_view top = p[0];

  if (top == "auth") {
    if (p.size() == 2 && p[1] == "me" && method == bhttp::verb::get) {
      const auto* s = ctx.caller.session;
      return ok(req, json::object{{"username", s->username},
                                  {"role", to_string(s->role)},
                                  {"csrf_token", s->csrf}});
    }
    if (p.size() == 2 && p[1] == "logout" && method == bhttp::verb::post) {
      auth_.logout(ctx.caller.session->token);
      Reply r = ok(req, json::object{{"ok", true}});
      r.response.set(bhttp::field::set_cookie, auth_.cookie_for(nullptr));
      return r;
    }
    return not_found();
  }
  if (top == "overview" && p.size() == 1) {
    if (method != bhttp::verb::get) return bad_method();
    overview_json([respond = ctx.respond, request = ctx.request](std::string body) {
      respond(Reply{make_response(*request, bhttp::status::ok, "application/json", std::move(body)),
                    {}});
    });
    return std::nullopt;
  }
  if (top == "stream" && p.size() == 1) {
    const std::string& token = ctx.caller.session->token;
    std::shared_ptr<void> slot = take_stream_slot(token);
    if (!slot) {
      return fail(req, bhttp::status::too_many_requests, "too_many_streams",
                  "this session has " + std::to_string(kMaxStreamsPerSession) +
                      " event streams open already; close one (another tab) first");
    }
    Reply r;
    r.stream.interval = std::chrono::milliseconds(1000);
    // The stream ends when its session does (logout or expiry); its slot is given back when
    // the side-port drops the stream (the client went away).
    r.stream.next = [this, token, slot](Emit emit) {
      if (!auth_.valid(token)) return emit(std::string());
      overview_json(std::move(emit));
    };
    return r;
  }
  if (top == "rooms") {
    if (p.size() == 1) {
      if (method == bhttp::verb::get) return rooms_list(ctx);
      if (method == bhttp::verb::post)
        return need(Role::operator_) ? room_create(ctx) : forbidden();
      return bad_method();
    }
    const auto id = parse_u64(p[1]);
    if (!id) return not_found();
    if (p.size() == 2) {
      if (method != bhttp::verb::get) return bad_method();
      return room_detail(ctx, *id);
    }
    if (p.size() == 3) {
      if (method != bhttp::verb::post) return bad_method();
      if (!need(Role::operator_)) return forbidden();
      return room_action(ctx, *id, std::string(p[2]));
    }
    return not_found();
  }
  if (top == "players") {
    if (p.size() == 1) return method == bhttp::verb::get ? players_search(ctx) : bad_method();
    const auto id = parse_u64(p[1]);
    if (!id || *id > static_cast<uint64_t>(INT64_MAX)) return not_found();
    if (p.size() == 2) {
      return method == bhttp::verb::get ? player_detail(ctx, static_cast<int64_t>(*id))
                                        : bad_method();
    }
    if (p.size() == 3) {
      if (method != bhttp::verb::post) return bad_method();
      if (!need(Role::operator_)) return forbidden();
      return player_action(ctx, static_cast<int64_t>(*id), std::string(p[2]));
    }
    return not_found();
  }
  if (top == "audit" && p.size() == 1) {
    return method == bhttp::verb::get ? audit_list(ctx) : bad_method();
  }
  if (top == "admin-users" && p.size() == 1) {
    if (!need(Role::admin)) return forbidden();
    return admin_users(ctx);
  }
  if (top == "cluster") {
    if (p.size() == 1) return method == bhttp::verb::get ? cluster_view(ctx) : bad_method();
    if (p.size() == 4 && p[1] == "nodes" && p[3] == "drain") {
      if (method != bhttp::verb::post) return bad_method();
      return need(Role::admin) ? cluster_drain(ctx, std::string(p[2])) : forbidden();
    }
    return not_found();
  }
  if (top == "server" && p.size() == 2) {
    if (p[1] == "config") return method == bhttp::verb::get ? config_view(ctx) : bad_method();
    if (p[1] == "drain") {
      if (method != bhttp::verb::post) return bad_method();
      return need(Role::admin) ? drain(ctx) : forbidden();
    }
  }
  return not_found();
}

void AdminApi::overview_json(std::function<void(std::string)> done) {
  server_.snapshot(side_port_, kShardWait,
                   [this, done = std::move(done)](core::ServerSnapshot s, bool complete) {
                     done(overview_json(s, complete));
                   });
}

std::string AdminApi::overview_json(const core::ServerSnapshot& s, bool complete) {
  // Rates come from samples at least a second apart, shared by every caller, so several
  // streams and GETs do not shorten each other's window.
  const auto now = std::chrono::steady_clock::now();
  if (last_sample_at_ == std::chrono::steady_clock::time_point{}) {
    last_sample_at_ = now;
    last_in_ = s.totals.messages_in;
    last_out_ = s.totals.messages_out;
  } else if (const double dt = std::chrono::duration<double>(now - last_sample_at_).count();
             dt >= 0.95) {
    in_rate_ = static_cast<double>(s.totals.messages_in - last_in_) / dt;
    out_rate_ = static_cast<double>(s.totals.messages_out - last_out_) / dt;
    last_sample_at_ = now;
    last_in_ = s.totals.messages_in;
    last_out_ = s.totals.messages_out;
  }
  const double in_rate = in_rate_;
  const double out_rate = out_rate_;

  // Tick health over the last minute, not since start (see tick_window.hpp).
  TickWindow::ByType cumulative;
  for (const auto& [type, t] : s.types) {
    cumulative[type] = TickFigures{t.tick_duration, t.tick_lag, t.input_to_state, t.tick_overruns};
  }
  const TickWindow::Recent recent = tick_window_.update(now, cumulative);

  json::object by_type;
  int64_t rooms_total = 0;
  LatencyHistogram all_ticks;
  LatencyHistogram all_lags;
  uint64_t all_overruns = 0;
  for (const auto& [type, t] : s.types) {
    int64_t n = 0;
    for (const auto& [state, count] : t.rooms_by_state) n += count;
    rooms_total += n;
    const TickFigures& w = recent.by_type.at(type);
    all_ticks.merge(w.duration);
    all_lags.merge(w.lag);
    all_overruns += w.overruns;
    by_type[type] =
        json::object{{"rooms", n},
                     {"members", t.members},
                     {"ticks", w.duration.count()},
                     {"tick_p99_ms", p99_ms(w.duration)},
                     {"tick_lag_p99_ms", p99_ms(w.lag)},
                     {"tick_overruns", w.overruns},
                     {"input_to_state_p50_ms", w.input_to_state.quantile_bound(0.5) * 1000},
                     {"input_to_state_p99_ms", p99_ms(w.input_to_state)}};
  }
  json::object o{{"version", build_.version},
                 {"commit", build_.commit},
                 {"uptime_s", (unix_millis() - s.started_unix_ms) / 1000},
                 {"complete", complete},
                 {"draining", s.draining},
                 {"shards", s.shards},
                 {"connections", json::object{{"tcp", s.totals.open[kTcp]},
                                              {"ws", s.totals.open[kWs]},
                                              {"total", s.totals.open[kTcp] + s.totals.open[kWs]},
                                              {"max", s.max_connections}}},
                 {"players_online", s.totals.logged_in},
                 {"rooms", rooms_total},
                 {"room_types", by_type},
                 {"messages_in_per_s", in_rate},
                 {"messages_out_per_s", out_rate},
                 {"tick_window_s", recent.seconds},
                 {"tick_p99_ms", p99_ms(all_ticks)},
                 {"tick_lag_p99_ms", p99_ms(all_lags)},
                 {"tick_overruns", all_overruns},
                 {"store_queue_depth", s.store_queue_depth},
                 {"time_ms", unix_millis()}};
  return json::serialize(o);
}

AdminApi::Answer AdminApi::rooms_list(Ctx& ctx) {
  rooms::RoomFilter f;
  f.type = ctx.query["type"];
  f.include_full = true;
  f.include_locked = true;
  f.limit = 1'000'000;
  auto list = server_.core().list_rooms(f, /*unbounded=*/true);
  const std::string state = ctx.query["state"];
  const std::string q = ctx.query["q"];
  std::erase_if(list, [&](const rooms::RoomListing& l) {
    if (!state.empty() && state != rooms::to_string(l.state)) return true;
    if (!q.empty() && l.name.find(q) == std::string::npos && std::to_string(l.id) != q) return true;
    return false;
  });
  const std::string sort = ctx.query.count("sort") ? ctx.query["sort"] : "members";
  const bool asc = ctx.query["order"] == "asc";
  std::stable_sort(list.begin(), list.end(), [&](const auto& a, const auto& b) {
    auto key = [&](const rooms::RoomListing& l) -> int64_t {
      if (sort == "id") return static_cast<int64_t>(l.id);
      if (sort == "created") return l.created_ms;
      return l.members;
    };
    return asc ? key(a) < key(b) : key(a) > key(b);
  });
  const size_t total = list.size();
  const size_t offset = std::min<size_t>(parse_u64(ctx.query["offset"]).value_or(0), total);
  const size_t limit = std::min<uint64_t>(parse_u64(ctx.query["limit"]).value_or(50), 500);
  json::array rooms;
  for (size_t i = offset; i < std::min(total, offset + limit); ++i) {
    rooms.push_back(listing_json(list[i]));
  }
  return ok(ctx.req,
            json::object{{"rooms", rooms}, {"total", total}, {"offset", offset}, {"limit", limit}});
}

AdminApi::Answer AdminApi::room_detail(Ctx& ctx, uint64_t id) {
  server_.room_detail(
      id, side_port_, kShardWait,
      [respond = ctx.respond, request = ctx.request](std::optional<core::Server::RoomDetail> d) {
        respond(d ? ok(*request, room_detail_json(*d))
                  : fail(*request, bhttp::status::not_found, "not_found", "no such room"));
      });
  return std::nullopt;
}

AdminApi::Answer AdminApi::room_create(Ctx& ctx) {
  const auto* t = ctx.body.if_contains("type");
  if (!t || !t->is_string()) {
    return fail(ctx.req, bhttp::status::bad_request, "invalid_argument", "type is required");
  }
  core::RoomSpec spec;
  spec.type = std::string(t->as_string());
  if (const auto* n = ctx.body.if_contains("name"); n && n->is_string()) spec.name = n->as_string();
  if (const auto* m = ctx.body.if_contains("max_players"); m && m->is_int64()) {
    // Out-of-range values are the core's to refuse, with the type's real bound in the message.
    const int64_t v = m->as_int64();
    spec.max_players = v < 0 || v > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(v);
  }
  const core::RoomOutcome made = server_.core().create_room(spec);
  if (!made.room) {
    if (made.refusal.code == proto::SHUTTING_DOWN) {
      return fail(ctx.req, bhttp::status::service_unavailable, "draining", "server is draining");
    }
    return fail(ctx.req, bhttp::status::bad_request, "invalid_argument", made.refusal.message);
  }
  audit(ctx, "room.create", "room:" + std::to_string(made.room->id()), spec.type + " " + spec.name,
        true);
  rooms::RoomListing l;
  server_.core().find_room(made.room->id(), &l);
  return Reply{json_response(ctx.req, bhttp::status::created, listing_json(l)), {}};
}

AdminApi::Answer AdminApi::room_action(Ctx& ctx, uint64_t id, const std::string& action) {
  const std::string target = "room:" + std::to_string(id);
  auto text_field = [&](const char* key, size_t max) -> std::optional<std::string> {
    const auto* v = ctx.body.if_contains(key);
    if (!v || !v->is_string() || v->as_string().empty() || v->as_string().size() > max) {
      return std::nullopt;
    }
    return std::string(v->as_string());
  };
  bool found = false;
  std::string detail;
  if (action == "lock" || action == "unlock") {
    found = server_.core().lock_room(id, action == "lock");
  } else if (action == "close") {
    const auto reason = text_field("reason", kMaxReason);
    if (!reason) {
      return fail(ctx.req, bhttp::status::bad_request, "invalid_argument",
                  "reason (1-200 characters) is required");
    }
    detail = *reason;
    found = server_.core().close_room(id, *reason);
  } else if (action == "broadcast") {
    const auto message = text_field("message", kMaxNotice);
    if (!message) {
      return fail(ctx.req, bhttp::status::bad_request, "invalid_argument",
                  "message (1-500 characters) is required");
    }
    detail = *message;
    found = server_.core().broadcast_to_room(id, *message);
  } else {
    return fail(ctx.req, bhttp::status::not_found, "not_found", "unknown room action");
  }
  audit(ctx, "room." + action, target, detail, found);
  if (!found) return fail(ctx.req, bhttp::status::not_found, "not_found", "no such room");
  return ok(ctx.req, json::object{{"ok", true}});
}

AdminApi::Answer AdminApi::players_search(Ctx& ctx) {
  const std::string q = ctx.query["q"];
  if (q.size() > 64) {
    return fail(ctx.req, bhttp::status::bad_request, "invalid_argument", "q over 64 characters");
  }
  const uint32_t limit =
      static_cast<uint32_t>(std::min<uint64_t>(parse_u64(ctx.query["limit"]).value_or(50), 200));
  admin_.search_players(
      q, limit,
      [this, request = ctx.request, respond = ctx.respond](
          store::Status st, std::vector<store::PlayerSummary> found) {
        if (st != store::Status::ok) {
          respond(fail(*request, bhttp::status::service_unavailable, "store",
                       "player store unavailable"));
          return;
        }
        std::vector<PlayerId> ids;
        for (const auto& f : found) ids.push_back(f.player.id);
        // Online on this node or, on a cluster, on another one.
        const std::string self =
            server_.core().cluster() ? server_.core().cluster()->node_id() : "this";
        server_.core().where_online(ids, [found = std::move(found), self, request,
                                          respond](std::vector<std::string> nodes) {
          json::array out;
          for (size_t i = 0; i < found.size(); ++i) {
            json::object o = player_json(found[i].player, found[i].stats);
            o["online"] = i < nodes.size() && !nodes[i].empty();
            // "": this node (or offline); else the node it plays on.
            o["node"] = i < nodes.size() && nodes[i] != self ? nodes[i] : "";
            out.push_back(std::move(o));
          }
          respond(ok(*request, json::object{{"players", out}}));
        });
      });
  return std::nullopt;
}

AdminApi::Answer AdminApi::player_detail(Ctx& ctx, int64_t id) {
  admin_.player_detail(id, [this, id, request = ctx.request, respond = ctx.respond](
                               store::Status st, store::PlayerDetail d) {
    const Request& req = *request;
    if (st == store::Status::not_found) {
      respond(fail(req, bhttp::status::not_found, "not_found", "no such player"));
      return;
    }
    if (st != store::Status::ok) {
      respond(fail(req, bhttp::status::service_unavailable, "store", "player store unavailable"));
      return;
    }
    json::object o = player_json(d.player, d.stats);
    const auto on = server_.core().online(id);
    o["online"] = on && on->address.session != 0;
    o["room_id"] = on ? on->room : 0;
    o["node"] = "";
    json::array matches;
    for (const auto& m : d.recent_matches) {
      matches.push_back(json::object{{"room_type", m.room_type},
                                     {"room_id", m.room_id},
                                     {"score", m.score},
                                     {"started_ms", m.started_ms},
                                     {"ended_ms", m.ended_ms}});
    }
    o["recent_matches"] = matches;
    if (o["online"].as_bool() || !server_.core().cluster()) {
      respond(ok(req, o));
      return;
    }
    // Not here: on a cluster it may be online on another node.
    server_.core().where_online(
        {id}, [o = std::move(o), request, respond](std::vector<std::string> nodes) mutable {
          if (!nodes.empty() && !nodes[0].empty()) {
            o["online"] = true;
            o["node"] = nodes[0];
          }
          respond(ok(*request, o));
        });
  });
  return std::nullopt;
}

AdminApi::Answer AdminApi::player_action(Ctx& ctx, int64_t id, const std::string& action) {
  const std::string target = "player:" + std::to_string(id);
  std::string reason;
  if (const auto* r = ctx.body.if_contains("reason"); r && r->is_string()) {
    reason = std::string(r->as_string());
  }
  if (reason.size() > kMaxReason) {
    return fail(ctx.req, bhttp::status::bad_request, "invalid_argument", "reason over 200 bytes");
  }
  if (action == "kick") {
    if (reason.empty()) reason = "kicked by an operator";
    const bool online = server_.core().kick(id, reason);
    // On a cluster node the kick also went to every other node (the player may play there).
    const bool clustered = server_.core().cluster() != nullptr;
    audit(ctx, "player.kick", target, reason, online || clustered);
    if (!online && !clustered)
      return fail(ctx.req, bhttp::status::not_found, "not_online", "player is not online");
    return ok(ctx.req, json::object{{"ok", true}, {"here", online}, {"cluster", clustered}});
  }
  if (action == "ban" || action == "unban") {
    int64_t until = 0;
    if (action == "ban") {
      const auto* u = ctx.body.if_contains("until_ms");
      const auto* d = ctx.body.if_contains("duration_s");
      if (u && u->is_int64()) {
        until = u->as_int64();
      } else if (d && d->is_int64() && d->as_int64() > 0) {
        until = unix_millis() + d->as_int64() * 1000;
      } else {
        return fail(ctx.req, bhttp::status::bad_request, "invalid_argument",
                    "until_ms (unix ms) or duration_s (> 0) is required");
      }
      if (until <= unix_millis()) {
        return fail(ctx.req, bhttp::status::bad_request, "invalid_argument",
                    "the ban must end in the future");
      }
      if (reason.empty()) reason = "banned by an operator";
    }
    // The core stores the ban, then removes a banned player from the game (session, seat,
    // reconnect token).
    server_.core().ban(
        id, until, action == "ban" ? reason : "",
        [this, until, action, target, reason, actor = ctx.actor(), request = ctx.request,
         respond = ctx.respond](store::Status st) {
          const Request& req = *request;
          audit(actor, "player." + action, target, reason, st == store::Status::ok);
          if (st == store::Status::not_found) {
            respond(fail(req, bhttp::status::not_found, "not_found", "no such player"));
          } else if (st != store::Status::ok) {
            respond(
                fail(req, bhttp::status::service_unavailable, "store", "player store unavailable"));
          } else {
            respond(ok(req, json::object{{"ok", true}, {"banned_until_ms", until}}));
          }
        });
    return std::nullopt;
  }
  return fail(ctx.req, bhttp::status::not_found, "not_found", "unknown player action");
}

AdminApi::Answer AdminApi::audit_list(Ctx& ctx) {
  const uint32_t limit =
      static_cast<uint32_t>(std::min<uint64_t>(parse_u64(ctx.query["limit"]).value_or(100), 500));
  const int64_t before = static_cast<int64_t>(parse_u64(ctx.query["before"]).value_or(0));
  admin_.list_audit(limit, before,
                    [request = ctx.request, respond = ctx.respond](
                        store::Status st, std::vector<store::AuditEntry> entries) {
                      if (st != store::Status::ok) {
                        respond(fail(*request, bhttp::status::service_unavailable, "store",
                                     "admin store unavailable"));
                        return;
                      }
                      json::array out;
                      for (const auto& e : entries) {
                        out.push_back(json::object{{"id", e.id},
                                                   {"at_ms", e.at_ms},
                                                   {"actor", e.actor},
                                                   {"action", e.action},
                                                   {"target", e.target},
                                                   {"detail", e.detail},
                                                   {"ok", e.ok}});
                      }
                      respond(ok(*request, json::object{{"entries", out}}));
                    });
  return std::nullopt;
}

AdminApi::Answer AdminApi::admin_users(Ctx& ctx) {
  if (ctx.req.method() == bhttp::verb::get) {
    admin_.list_admins([request = ctx.request, respond = ctx.respond](
                           store::Status st, std::vector<store::AdminUser> users) {
      if (st != store::Status::ok) {
        respond(
            fail(*request, bhttp::status::service_unavailable, "store", "admin store unavailable"));
        return;
      }
      json::array out;
      for (const auto& u : users) {
        out.push_back(json::object{{"id", u.id},
                                   {"username", u.username},
                                   {"role", u.role},
                                   {"created_ms", u.created_ms},
                                   {"last_login_ms", u.last_login_ms}});
      }
      respond(ok(*request, json::object{{"users", out}}));
    });
    return std::nullopt;
  }
  if (ctx.req.method() != bhttp::verb::post) {
    return fail(ctx.req, bhttp::status::method_not_allowed, "method_not_allowed",
                "use GET or POST");
  }
  const auto* u = ctx.body.if_contains("username");
  const auto* pw = ctx.body.if_contains("password");
  const auto* role = ctx.body.if_contains("role");
  if (!u || !pw || !role || !u->is_string() || !pw->is_string() || !role->is_string() ||
      !parse_role(role->as_string())) {
    return fail(ctx.req, bhttp::status::bad_request, "invalid_argument",
                "username, password and role (viewer|operator|admin) are required");
  }
  const std::string target = "admin:" + std::string(u->as_string());
  const std::string role_name(role->as_string());
  admin_.create_admin(
      std::string(u->as_string()), std::string(pw->as_string()), role_name,
      [this, target, role_name, actor = ctx.actor(), request = ctx.request,
       respond = ctx.respond](store::Status st) {
        const Request& req = *request;
        audit(actor, "admin.create", target, role_name, st == store::Status::ok);
        switch (st) {
          case store::Status::ok:
            respond(
                Reply{json_response(req, bhttp::status::created, json::object{{"ok", true}}), {}});
            return;
          case store::Status::username_taken:
            respond(fail(req, bhttp::status::conflict, "taken", "username is taken"));
            return;
          case store::Status::invalid:
            respond(fail(req, bhttp::status::bad_request, "invalid_argument",
                         "username 3-32 of [A-Za-z0-9_.-], password 8-256 bytes"));
            return;
          default:
            respond(
                fail(req, bhttp::status::service_unavailable, "store", "admin store unavailable"));
            return;
        }
      });
  return std::nullopt;
}

AdminApi::Answer AdminApi::config_view(Ctx& ctx) {
  // config::dump is "key = value" lines; nothing in it is secret today (admin passwords come
  // from the environment and are never part of the config), but redact by name to stay safe.
  json::object out;
  std::istringstream lines(config::dump(server_.config()));
  std::string line;
  while (std::getline(lines, line)) {
    const size_t eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq);
    std::string value = line.substr(eq + 3);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    const bool secret = key.find("password") != std::string::npos ||
                        key.find("secret") != std::string::npos ||
                        key.find("token") != std::string::npos;
    out[key] = secret ? "<redacted>" : value;
  }
  return ok(ctx.req, json::object{{"config", out}});
}

AdminApi::Answer AdminApi::cluster_view(Ctx& ctx) {
  const auto* cluster = server_.cluster();
  const auto snap = server_.cluster_snapshot();
  if (!cluster || !snap) return ok(ctx.req, json::object{{"clustered", false}});
  const auto view = cluster->view();
  json::array nodes;
  uint64_t connections = 0;
  uint64_t rooms = 0;
  for (const auto& n : view->nodes) {
    connections += n.connections;
    rooms += n.rooms;
    nodes.push_back(json::object{{"id", n.id},
                                 {"number", n.number},
                                 {"host", n.host},
                                 {"tcp_port", n.tcp_port},
                                 {"ws_port", n.ws_port},
                                 {"http_port", n.http_port},
                                 {"version", n.version},
                                 {"state", n.draining ? "draining" : "serving"},
                                 {"connections", n.connections},
                                 {"rooms", n.rooms},
                                 {"started_ms", n.started_ms},
                                 {"self", n.id == snap->node_id}});
  }
  return ok(ctx.req, json::object{{"clustered", true},
                                  {"node", snap->node_id},
                                  {"cluster", server_.config().cluster.cluster_name},
                                  {"directory_up", snap->directory_up},
                                  {"lease_age_s", snap->lease_age_seconds},
                                  {"nodes", nodes},
                                  {"totals", json::object{{"nodes", view->nodes.size()},
                                                          {"connections", connections},
                                                          {"rooms", rooms}}}});
}

AdminApi::Answer AdminApi::cluster_drain(Ctx& ctx, const std::string& node) {
  if (!server_.cluster()) {
    return fail(ctx.req, bhttp::status::not_found, "not_clustered",
                "this node is not in a cluster");
  }
  const auto view = server_.cluster()->view();
  const bool known = std::any_of(view->nodes.begin(), view->nodes.end(),
                                 [&](const auto& n) { return n.id == node; });
  if (!known) return fail(ctx.req, bhttp::status::not_found, "not_found", "no such node");
  server_.core().drain_node(node, [this, node, actor = ctx.actor(), request = ctx.request,
                                   respond = ctx.respond](core::Refusal refusal) {
    audit(actor, "cluster.drain", "node:" + node, refusal.message, !refusal);
    if (refusal) {
      respond(fail(*request, bhttp::status::bad_gateway, "cluster", refusal.message));
      return;
    }
    respond(Reply{json_response(*request, bhttp::status::accepted,
                                json::object{{"draining", true}, {"node", node}}),
                  {}});
  });
  return std::nullopt;
}

AdminApi::Answer AdminApi::drain(Ctx& ctx) {
  audit(ctx, "server.drain", "server", "", true);
  // The same path as SIGTERM: the signal thread in main() runs the drain.
  server_.request_drain();
  return Reply{json_response(ctx.req, bhttp::status::accepted, json::object{{"draining", true}}),
               {}};
}

}  // namespace rookery::http
