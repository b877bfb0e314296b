#include "cluster/directory.hpp"

#include <boost/json.hpp>

namespace rookery::cluster {
namespace json = boost::json;

namespace {

// Redis's clock in ms, inside a script (TIME is allowed: scripts replicate their effects).
constexpr const char* kNowLua =
    "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) ";

// KEYS: number key. ARGV: node id, lease ms. 1 if the number is (now) ours, 0 if taken.
const std::string kClaimLua = R"(
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1)";

// KEYS: nodes set, node key, rooms key, number key. ARGV: node id, lease ms, record JSON.
const std::string kHeartbeatLua = std::string(kNowLua) + R"(
local owner = redis.call('GET', KEYS[4])
if owner and owner ~= ARGV[1] then return redis.error_reply('NUMBER_TAKEN node number held by ' .. owner) end
redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return now)";

// KEYS: nodes set, node key, rooms key, number key. ARGV: node id.
const std::string kLeaveLua = R"(
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2], KEYS[3])
if redis.call('GET', KEYS[4]) == ARGV[1] then redis.call('DEL', KEYS[4]) end
return 1)";

// KEYS: nodes set. ARGV: prefix. {now, node JSON, {room JSON...}, node JSON, {...}, ...}
const std::string kFetchLua = std::string(kNowLua) + R"(
local out = {now}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')) do
  local node = redis.call('GET', ARGV[1] .. 'node:' .. id)
  if node then
    out[#out + 1] = node
    out[#out + 1] = redis.call('HVALS', ARGV[1] .. 'rooms:' .. id)
  end
end
return out)";

const char* kRoomStates[] = {"open", "locked", "closing"};

uint64_t get_u64(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64() && v->as_int64() >= 0) return static_cast<uint64_t>(v->as_int64());
  throw std::invalid_argument(key);
}
int64_t get_i64(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  throw std::invalid_argument(key);
}
std::string get_str(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (!v) return {};
  if (!v->is_string()) throw std::invalid_argument(key);
  return std::string(v->as_string());
}
template <class T>
T narrow(uint64_t v, uint64_t max) {
  if (v > max) throw std::invalid_argument("out of range");
  return static_cast<T>(v);
}

}  // namespace

std::string to_json(const NodeRecord& n) {
  return json::serialize(json::object{{"id", n.id},
                                      {"number", n.number},
                                      {"host", n.host},
                                      {"tcp", n.tcp_port},
                                      {"ws", n.ws_port},
                                      {"http", n.http_port},
                                      {"version", n.version},
                                      {"draining", n.draining},
                                      {"connections", n.connections},
                                      {"rooms", n.rooms},
                                      {"started_ms", n.started_ms}});
}

std::string to_json(const RoomRecord& r) {
  return json::serialize(json::object{{"id", r.id},
                                      {"node", r.node},
                                      {"type", r.type},
                                      {"name", r.name},
                                      {"members", r.members},
                                      {"max", r.max_players},
                                      {"state", r.state},
                                      {"tick_hz", r.tick_hz},
                                      {"created_ms", r.created_ms}});
}

std::optional<NodeRecord> node_from_json(const std::string& s) {
  try {
    const json::object o = json::parse(s).as_object();
    NodeRecord n;
    n.id = get_str(o, "id");
    n.number = narrow<uint32_t>(get_u64(o, "number"), kMaxNodeNumber);
    n.host = get_str(o, "host");
    n.tcp_port = narrow<uint16_t>(get_u64(o, "tcp"), 65535);
    n.ws_port = narrow<uint16_t>(get_u64(o, "ws"), 65535);
    n.http_port = narrow<uint16_t>(get_u64(o, "http"), 65535);
    n.version = get_str(o, "version");
    const auto* d = o.if_contains("draining");
    n.draining = d && d->is_bool() && d->as_bool();
    n.connections = narrow<uint32_t>(get_u64(o, "connections"), UINT32_MAX);
    n.rooms = narrow<uint32_t>(get_u64(o, "rooms"), UINT32_MAX);
    n.started_ms = get_i64(o, "started_ms");
    if (n.id.empty() || n.number == 0) return std::nullopt;
    return n;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<RoomRecord> room_from_json(const std::string& s) {
  try {
    const json::object o = json::parse(s).as_object();
    RoomRecord r;
    r.id = get_u64(o, "id");
    r.node = get_str(o, "node");
    r.type = get_str(o, "type");
    r.name = get_str(o, "name");
    r.members = narrow<uint32_t>(get_u64(o, "members"), UINT32_MAX);
    r.max_players = narrow<uint32_t>(get_u64(o, "max"), UINT32_MAX);
    r.state = get_str(o, "state");
    r.tick_hz = narrow<uint32_t>(get_u64(o, "tick_hz"), UINT32_MAX);
    r.created_ms = get_i64(o, "created_ms");
    bool known_state = false;
    for (const char* st : kRoomStates) known_state = known_state || r.state == st;
    if (r.id == 0 || r.node.empty() || !known_state) return std::nullopt;
    return r;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Directory::Directory(RedisConnection& redis, std::string prefix, std::string node_id)
    : redis_(redis), prefix_(std::move(prefix)), node_id_(std::move(node_id)) {}

void Directory::claim_number(uint32_t number, uint32_t lease_ms, Done done) {
  redis_.command({"EVAL", kClaimLua, "1", prefix_ + "number:" + std::to_string(number), node_id_,
                  std::to_string(lease_ms)},
                 [done = std::move(done)](RedisResult r) { done(r); });
}

void Directory::heartbeat(const NodeRecord& self, uint32_t lease_ms, Done done) {
  redis_.command({"EVAL", kHeartbeatLua, "4", prefix_ + "nodes", prefix_ + "node:" + node_id_,
                  prefix_ + "rooms:" + node_id_, prefix_ + "number:" + std::to_string(self.number),
                  node_id_, std::to_string(lease_ms), to_json(self)},
                 [done = std::move(done)](RedisResult r) { done(r); });
}

void Directory::publish_rooms(const std::vector<RoomRecord>& put,
                              const std::vector<RoomId>& removed, bool replace, uint32_t lease_ms,
                              Done done) {
  const std::string key = prefix_ + "rooms:" + node_id_;
  // One MULTI ... EXEC is one round trip, applied whole: a reader never sees half an update.
  std::vector<std::vector<std::string>> cmds;
  cmds.push_back({"MULTI"});
  if (replace) cmds.push_back({"DEL", key});
  if (!removed.empty() && !replace) {
    std::vector<std::string> hdel{"HDEL", key};
    for (RoomId id : removed) hdel.push_back(std::to_string(id));
    cmds.push_back(std::move(hdel));
  }
  if (!put.empty()) {
    std::vector<std::string> hset{"HSET", key};
    for (const auto& r : put) {
      hset.push_back(std::to_string(r.id));
      hset.push_back(to_json(r));
    }
    cmds.push_back(std::move(hset));
  }
  cmds.push_back({"PEXPIRE", key, std::to_string(lease_ms)});
  const size_t last = cmds.size();
  for (size_t i = 0; i < last; ++i) redis_.command(std::move(cmds[i]), [](RedisResult) {});
  redis_.command({"EXEC"}, [done = std::move(done)](RedisResult r) { done(r); });
}

void Directory::leave(uint32_t number, Done done) {
  redis_.command(
      {"EVAL", kLeaveLua, "4", prefix_ + "nodes", prefix_ + "node:" + node_id_,
       prefix_ + "rooms:" + node_id_, prefix_ + "number:" + std::to_string(number), node_id_},
      [done = std::move(done)](RedisResult r) { done(r); });
}

void Directory::fetch(std::function<void(std::optional<ClusterView>, const RedisResult&)> done) {
  redis_.command({"EVAL", kFetchLua, "1", prefix_ + "nodes", prefix_}, [done = std::move(done)](
                                                                           RedisResult r) {
    if (r.failed() || r.value.type != RedisValue::Type::array || r.value.elements.empty()) {
      done(std::nullopt, r);
      return;
    }
    const auto& e = r.value.elements;
    ClusterView view;
    view.redis_ms = e[0].integer;
    for (size_t i = 1; i + 1 < e.size(); i += 2) {
      auto node = node_from_json(e[i].str);
      if (!node) continue;  // a record we cannot read is skipped, not fatal
      for (const auto& rv : e[i + 1].elements) {
        auto room = room_from_json(rv.str);
        if (room && room->node == node->id) view.rooms.push_back(std::move(*room));
      }
      view.nodes.push_back(std::move(*node));
    }
    done(std::move(view), r);
  });
}

}  // namespace rookery::cluster
