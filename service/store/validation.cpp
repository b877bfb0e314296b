#include "store/validation.hpp"

#include <algorithm>
#include <cstdint>

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

namespace {

// Length of the well-formed UTF-8 character at s[i] if it is not a control character (C0, DEL,
// C1), else 0. Also 0 for overlong forms, surrogates and code points past U+10FFFF.
size_t text_char_length(std::string_view s, size_t i) {
  static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  const auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) return lead < 0x20 || lead == 0x7f ? 0 : 1;
  size_t length = 0;
  uint32_t cp = 0;
  if ((lead & 0xe0) == 0xc0) {
    length = 2, cp = lead & 0x1fu;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, cp = lead & 0x0fu;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, cp = lead & 0x07u;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(s[i + k]);
    if ((next & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (next & 0x3fu);
  }
  const bool overlong = cp < kMinForLength[length];
  const bool surrogate = cp >= 0xd800 && cp <= 0xdfff;
  const bool c1_control = cp >= 0x80 && cp < 0xa0;
  if (overlong || surrogate || c1_control || cp > 0x10ffff) return 0;
  return length;
}

}  // namespace

// Well-formed UTF-8 without control characters: text shown to other players goes into protobuf
// string fields (which must be UTF-8) and onto screens (where controls are mischief).
bool valid_text(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t length = text_char_length(s, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

// `s` made valid_text and at most `max_bytes` long, for the audit log, which must record an
// action rather than refuse it: tab, CR and LF become a space, other controls and bytes of
// broken UTF-8 become '?', and the text is cut before the first character that does not fit.
std::string clean_text(std::string_view s, size_t max_bytes) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const size_t length = text_char_length(s, i);
    const size_t needed = length == 0 ? 1 : length;
    if (out.size() + needed > max_bytes) break;
    if (length > 0) {
      out.append(s.substr(i, length));
    } else {
      out += s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ? ' ' : '?';
    }
    i += needed;
  }
  return out;
}

bool valid_display_name(std::string_view s) {
  return !s.empty() && s.size() <= kDisplayNameMax && valid_text(s);
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
