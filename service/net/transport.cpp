#include "net/transport.hpp"

namespace rookery::net {

const char* to_string(CloseReason reason) {
  switch (reason) {
    case CloseReason::normal:
      return "normal";
    case CloseReason::timeout:
      return "timeout";
    case CloseReason::slow_consumer:
      return "slow_consumer";
    case CloseReason::rate_limited:
      return "rate_limited";
    case CloseReason::protocol_error:
      return "protocol_error";
    case CloseReason::kicked:
      return "kicked";
    case CloseReason::shutdown:
      return "shutdown";
    case CloseReason::refused:
      return "refused";
    case CloseReason::error:
      return "error";
  }
  return "error";
}

}  // namespace rookery::net
