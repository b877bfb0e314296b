#include "store/validation.hpp"

#include <algorithm>
#include <cstdint>

#include "base/text.hpp"
#include "store/admin_store.hpp"

namespace rookery::store::rules {

bool valid_username(std::string_view s) {
  if (s.size() < kUsernameMin || s.size() > kUsernameMax) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

bool valid_password(std::string_view s) {
  return s.size() >= kPasswordMin && s.size() <= kPasswordMax;
}

// Visible ASCII: device ids are UUIDs, hex or base64 in practice; this keeps logs and SQL clean.
bool valid_device_id(std::string_view s) {
  if (s.size() < kDeviceIdMin || s.size() > kDeviceIdMax) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

bool valid_display_name(std::string_view s) {
  return !s.empty() && s.size() <= kDisplayNameMax && base::valid_text(s) &&
         !base::staff_like_name(s);
}

bool valid_role(std::string_view role) {
  return admin_role_rank(role) > 0;
}

// A LIKE pattern matching strings that start with `prefix`: %, _ and the escape character \ are
// escaped, so they match themselves (the statements say ESCAPE '\').
std::string like_prefix(std::string_view prefix) {
  std::string out;
  out.reserve(prefix.size() + 1);
  for (const char c : prefix) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  out += '%';
  return out;
}

}  // namespace rookery::store::rules

namespace rookery::store {

bool valid_admin_username(std::string_view username) {
  return rules::valid_username(username);
}

}  // namespace rookery::store
