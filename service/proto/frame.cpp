#include "proto/frame.hpp"

namespace rookery::proto {

void append_frame(std::string& out, const Envelope& env) {
  const size_t size = env.ByteSizeLong();
  const size_t at = out.size();
  out.resize(at + 4 + size);
  char* p = out.data() + at;
  const auto len = static_cast<uint32_t>(size);
  p[0] = static_cast<char>(len & 0xff);
  p[1] = static_cast<char>((len >> 8) & 0xff);
  p[2] = static_cast<char>((len >> 16) & 0xff);
  p[3] = static_cast<char>((len >> 24) & 0xff);
  env.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(p + 4));
}

std::shared_ptr<const std::string> make_frame(const Envelope& env) {
  auto out = std::make_shared<std::string>();
  append_frame(*out, env);
  return out;
}

std::shared_ptr<const std::string> make_error_frame(uint32_t request_id, ErrorCode code,
                                                    const std::string& message, bool fatal,
                                                    uint32_t retry_after_ms) {
  Envelope env;
  env.set_request_id(request_id);
  auto* e = env.mutable_error();
  e->set_code(code);
  e->set_message(message);
  e->set_fatal(fatal);
  e->set_retry_after_ms(retry_after_ms);
  return make_frame(env);
}

}  // namespace rookery::proto
