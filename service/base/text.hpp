// Text that players and operators show to each other (display names, room names, reasons):
// what is allowed, and how the audit log cleans what it must record anyway. One place for
// these rules, used by the store (names it saves) and the core (room names it shows).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rookery::base {

/// Well-formed UTF-8 without control characters (C0, DEL, C1) or invisible formatting ones
/// (bidi overrides and isolates, zero-width characters, soft hyphen, tags, line separators).
bool valid_text(std::string_view s);

/// `s` made valid_text and at most `max_bytes` long, for records that must keep an action
/// rather than refuse it: tab, CR, LF become a space, other bad characters '?', cut at a
/// character boundary.
std::string clean_text(std::string_view s, size_t max_bytes);

/// `s` with ASCII letters in lower case (usernames ignore case: the store's rule, and so the
/// per-account limits').
std::string ascii_lower(std::string_view s);

/// True for a name a player could use to pass as staff: "admin", "Moderator_7", "[GM] bob",
/// "the.system", "r00t" (see text.cpp for the rule).
bool staff_like_name(std::string_view s);

}  // namespace rookery::base
