// Encoding an Envelope into the wire frame format (u32 LE length + bytes), once, into a buffer
// that can be shared by every recipient.
#pragma once

#include <memory>
#include <string>

#include "rookery.pb.h"

namespace rookery::proto {

/// Appends one frame holding `env` to `out` (several frames may share one buffer).
void append_frame(std::string& out, const Envelope& env);

/// One frame holding `env`, in a shared immutable buffer.
std::shared_ptr<const std::string> make_frame(const Envelope& env);

/// An Error envelope frame answering `request_id`.
std::shared_ptr<const std::string> make_error_frame(uint32_t request_id, ErrorCode code,
                                                    const std::string& message, bool fatal,
                                                    uint32_t retry_after_ms = 0);

}  // namespace rookery::proto
