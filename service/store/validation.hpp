// Internal to store/: the input rules every store applies before queuing any work, so bad
// input never reaches SQL or the KDF, whatever the dialect.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rookery::store::rules {

inline constexpr size_t kUsernameMin = 3, kUsernameMax = 32;
inline constexpr size_t kPasswordMin = 8, kPasswordMax = 256;  // the cap bounds KDF input
inline constexpr size_t kDisplayNameMax = 32;
inline constexpr size_t kDeviceIdMin = 8, kDeviceIdMax = 128;
inline constexpr size_t kBanReasonMax = 256;
inline constexpr size_t kRoomTypeMax = 64;

/// 3..32 of [A-Za-z0-9_.-].
bool valid_username(std::string_view s);
/// 8..256 bytes, anything.
bool valid_password(std::string_view s);
/// 8..128 bytes of visible ASCII.
bool valid_device_id(std::string_view s);
/// 1..32 bytes of base::valid_text, not staff-like (base::staff_like_name).
bool valid_display_name(std::string_view s);
/// One of kAdminRoles.
bool valid_role(std::string_view role);
/// A LIKE pattern (with ESCAPE backslash) matching strings that start with `prefix` literally.
std::string like_prefix(std::string_view prefix);

}  // namespace rookery::store::rules
