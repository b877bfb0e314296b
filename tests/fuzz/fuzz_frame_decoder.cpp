// The TCP frame decoder (net/framing.hpp): a client's byte stream split into Envelope frames.
// The input is a stream as a client would send it; it is fed twice, whole and cut at points the
// fuzzer picks (as TCP may deliver it), and both must give the same frames and the same verdict.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "net/framing.hpp"

namespace {

using rookery::net::FrameDecoder;

// Small enough that the oversize check is reached; the server's default is larger.
constexpr uint32_t kMaxFrame = 4096;

struct Decoded {
  std::vector<std::string> frames;
  FrameDecoder::Result result = FrameDecoder::Result::ok;
  size_t buffered = 0;
};

// Feeds `stream` in pieces of the given sizes (the rest in one last piece); stops at an error,
// as the transport does (it closes the connection).
Decoded decode(const std::string& stream, const std::vector<size_t>& cuts) {
  Decoded out;
  FrameDecoder decoder(kMaxFrame);
  size_t at = 0;
  auto feed = [&](size_t n) {
    out.result = decoder.feed(stream.data() + at, n, [&](std::string_view frame) {
      if (frame.empty() || frame.size() > kMaxFrame) std::abort();
      out.frames.emplace_back(frame);
      return true;
    });
    at += n;
    return out.result == FrameDecoder::Result::ok;
  };
  for (size_t cut : cuts) {
    if (!feed(std::min(cut, stream.size() - at))) return out;
  }
  if (feed(stream.size() - at)) out.buffered = decoder.buffered();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  std::vector<size_t> cuts(in.ConsumeIntegralInRange<size_t>(0, 16));
  for (auto& cut : cuts) cut = in.ConsumeIntegralInRange<size_t>(0, 64);
  const std::string stream = in.ConsumeRemainingBytesAsString();

  const Decoded whole = decode(stream, {});
  const Decoded pieces = decode(stream, cuts);
  if (whole.frames != pieces.frames || whole.result != pieces.result ||
      whole.buffered != pieces.buffered) {
    std::abort();
  }
  // What stays buffered is one incomplete frame, never more than its header and body.
  if (whole.buffered > rookery::net::kFrameHeaderBytes + kMaxFrame) std::abort();

  // The sender's side: frames written with put_frame_length come back out of for_each_frame.
  std::string framed;
  for (const auto& f : whole.frames) {
    char header[rookery::net::kFrameHeaderBytes];
    rookery::net::put_frame_length(header, static_cast<uint32_t>(f.size()));
    framed.append(header, sizeof header).append(f);
  }
  size_t i = 0;
  rookery::net::for_each_frame(framed, [&](std::string_view f) {
    if (i >= whole.frames.size() || f != whole.frames[i]) std::abort();
    ++i;
  });
  if (i != whole.frames.size()) std::abort();
  return 0;
}
