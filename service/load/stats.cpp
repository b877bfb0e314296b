#include "load/stats.hpp"

#include <charconv>

namespace rookery::load {
namespace {

// Splits `text` at `sep`, calling fn(piece) for each non-empty piece.
template <class Fn>
void split(std::string_view text, char sep, Fn&& fn) {
  while (!text.empty()) {
    const size_t at = text.find(sep);
    const std::string_view piece = text.substr(0, at);
    if (!piece.empty()) fn(piece);
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
}

template <class T>
bool parse_num(std::string_view s, T& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

double Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  const auto rank = static_cast<uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const double mid = middle(i);
      return mid > static_cast<double>(max_) ? static_cast<double>(max_) : mid;
    }
  }
  return static_cast<double>(max_);
}

std::string Histogram::encode() const {
  std::string out;
  for (size_t i = 0; i < kBuckets; ++i) {
    if (counts_[i] == 0) continue;
    out += std::to_string(i);
    out += ':';
    out += std::to_string(counts_[i]);
    out += ';';
  }
  out += "max:";
  out += std::to_string(max_);
  return out;
}

void Histogram::merge_encoded(std::string_view text) {
  split(text, ';', [&](std::string_view piece) {
    const size_t colon = piece.find(':');
    if (colon == std::string_view::npos) return;
    const std::string_view k = piece.substr(0, colon);
    uint64_t v = 0;
    if (!parse_num(piece.substr(colon + 1), v)) return;
    if (k == "max") {
      if (v > max_) max_ = v;
      return;
    }
    size_t i = 0;
    if (!parse_num(k, i) || i >= kBuckets) return;
    counts_[i] += v;
    count_ += v;
  });
}

void Counters::add(const Counters& o) {
#define ROOKERY_LOAD_ADD(name) name += o.name;
  ROOKERY_LOAD_COUNTERS(ROOKERY_LOAD_ADD)
#undef ROOKERY_LOAD_ADD
}

void Counters::encode(std::string& out, std::string_view prefix) const {
#define ROOKERY_LOAD_ENC(name) \
  out += ' ';                  \
  out += prefix;               \
  out += #name "=";            \
  out += std::to_string(name);
  ROOKERY_LOAD_COUNTERS(ROOKERY_LOAD_ENC)
#undef ROOKERY_LOAD_ENC
}

bool Counters::set(std::string_view key, int64_t value) {
#define ROOKERY_LOAD_SET(name) \
  if (key == #name) {          \
    name = value;              \
    return true;               \
  }
  ROOKERY_LOAD_COUNTERS(ROOKERY_LOAD_SET)
#undef ROOKERY_LOAD_SET
  return false;
}

std::string encode_tally(const Tally& t) {
  std::string out;
  for (const auto& [k, v] : t) {
    out += k;
    out += ':';
    out += std::to_string(v);
    out += ';';
  }
  return out;
}

void merge_tally(Tally& into, std::string_view text) {
  split(text, ';', [&](std::string_view piece) {
    const size_t colon = piece.rfind(':');
    if (colon == std::string_view::npos) return;
    int64_t v = 0;
    if (!parse_num(piece.substr(colon + 1), v)) return;
    into[std::string(piece.substr(0, colon))] += v;
  });
}

std::string clean_key(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    out += ok ? c : '_';
  }
  if (out.empty()) out.push_back('_');
  return out;
}

}  // namespace rookery::load
