// Unit tests for the TCP frame decoder: whole, split, coalesced, empty and oversize frames.
#include "net/framing.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rookery::net {
namespace {

std::string frame(const std::string& body) {
  std::string out(4, '\0');
  put_frame_length(out.data(), static_cast<uint32_t>(body.size()));
  return out + body;
}

struct Collector {
  std::vector<std::string> frames;
  FrameDecoder::Result feed(FrameDecoder& d, const std::string& bytes) {
    return d.feed(bytes.data(), bytes.size(), [&](std::string_view f) {
      frames.emplace_back(f);
      return true;
    });
  }
};

TEST(Framing, LengthIsLittleEndian) {
  char buf[4];
  put_frame_length(buf, 0x01020304);
  EXPECT_EQ(buf[0], 0x04);
  EXPECT_EQ(buf[3], 0x01);
  EXPECT_EQ(get_frame_length(buf), 0x01020304u);
}

TEST(Framing, WholeFramesInOneRead) {
  FrameDecoder d(1024);
  Collector c;
  ASSERT_EQ(c.feed(d, frame("abc") + frame("de") + frame("f")), FrameDecoder::Result::ok);
  EXPECT_EQ(c.frames, (std::vector<std::string>{"abc", "de", "f"}));
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(Framing, FrameSplitAtEveryByte) {
  const std::string bytes = frame("hello") + frame("world!");
  FrameDecoder d(1024);
  Collector c;
  for (char ch : bytes) ASSERT_EQ(c.feed(d, std::string(1, ch)), FrameDecoder::Result::ok);
  EXPECT_EQ(c.frames, (std::vector<std::string>{"hello", "world!"}));
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(Framing, PartialTailIsKeptUntilComplete) {
  const std::string bytes = frame("first") + frame("second");
  FrameDecoder d(1024);
  Collector c;
  ASSERT_EQ(c.feed(d, bytes.substr(0, 12)), FrameDecoder::Result::ok);
  EXPECT_EQ(c.frames.size(), 1u);
  EXPECT_GT(d.buffered(), 0u);
  ASSERT_EQ(c.feed(d, bytes.substr(12)), FrameDecoder::Result::ok);
  EXPECT_EQ(c.frames, (std::vector<std::string>{"first", "second"}));
}

TEST(Framing, EmptyFrameIsAnError) {
  FrameDecoder d(1024);
  Collector c;
  EXPECT_EQ(c.feed(d, std::string(4, '\0')), FrameDecoder::Result::empty_frame);
}

TEST(Framing, OversizeFrameIsRejectedFromItsHeader) {
  FrameDecoder d(16);
  Collector c;
  std::string header(4, '\0');
  put_frame_length(header.data(), 17);
  // Rejected as soon as the length is known, before any body arrives.
  EXPECT_EQ(c.feed(d, header), FrameDecoder::Result::oversize_frame);
  EXPECT_EQ(d.buffered(), 0u);
  FrameDecoder d2(16);
  EXPECT_EQ(c.feed(d2, header.substr(0, 2)), FrameDecoder::Result::ok);
  EXPECT_EQ(c.feed(d2, header.substr(2)), FrameDecoder::Result::oversize_frame);
  FrameDecoder d3(16);
  EXPECT_EQ(c.feed(d3, frame(std::string(16, 'x'))), FrameDecoder::Result::ok);
}

TEST(Framing, StopsWhenCallbackSaysSo) {
  FrameDecoder d(1024);
  int seen = 0;
  const std::string bytes = frame("a") + frame("b") + frame("c");
  d.feed(bytes.data(), bytes.size(), [&](std::string_view) { return ++seen < 2; });
  EXPECT_EQ(seen, 2);
}

TEST(Framing, ForEachFrameSplitsServerBuffers) {
  const std::string bytes = frame("one") + frame("two") + frame("three");
  std::vector<std::string> out;
  for_each_frame(bytes, [&](std::string_view f) { out.emplace_back(f); });
  EXPECT_EQ(out, (std::vector<std::string>{"one", "two", "three"}));
}

}  // namespace
}  // namespace rookery::net
