// The text rules for names shown to other players (base/text.hpp).
#include "base/text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace rookery::base {
namespace {

TEST(TextTest, AcceptsPlainAndInternationalText) {
  EXPECT_TRUE(valid_text("Bob the Builder"));
  EXPECT_TRUE(valid_text("Zoë"));
  EXPECT_TRUE(valid_text("東京"));
  EXPECT_TRUE(valid_text("🎲 dice"));
  EXPECT_TRUE(valid_text(""));
}

TEST(TextTest, RefusesControlCharacters) {
  EXPECT_FALSE(valid_text("line\nbreak"));
  EXPECT_FALSE(valid_text("esc\x1b[31mred"));
  EXPECT_FALSE(valid_text("tab\there"));
  EXPECT_FALSE(valid_text("del\x7f"));
  EXPECT_FALSE(valid_text("c1\xc2\x85"));  // U+0085 next line
  EXPECT_FALSE(valid_text(std::string("nul\0x", 5)));
}

TEST(TextTest, RefusesInvisibleFormattingCharacters) {
  EXPECT_FALSE(
      valid_text("abc\xe2\x80\xae"
                 "cba"));  // U+202E right-to-left override
  EXPECT_FALSE(
      valid_text("a\xe2\x81\xa6"
                 "b"));  // U+2066 left-to-right isolate
  EXPECT_FALSE(
      valid_text("bo\xe2\x80\x8b"
                 "b"));  // U+200B zero-width space
  EXPECT_FALSE(
      valid_text("bo\xe2\x80\x8d"
                 "b"));  // U+200D zero-width joiner
  EXPECT_FALSE(
      valid_text("\xef\xbb\xbf"
                 "bob"));  // U+FEFF byte order mark
  EXPECT_FALSE(
      valid_text("so\xc2\xad"
                 "ft"));  // U+00AD soft hyphen
  EXPECT_FALSE(
      valid_text("a\xe2\x80\xa8"
                 "b"));                          // U+2028 line separator
  EXPECT_FALSE(valid_text("\xe3\x85\xa4"));      // U+3164 Hangul filler
  EXPECT_FALSE(valid_text("\xf3\xa0\x80\x81"));  // U+E0001 language tag
}

TEST(TextTest, RefusesBrokenUtf8) {
  EXPECT_FALSE(valid_text("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(valid_text("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(valid_text("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(valid_text("\xe2\x82"));          // cut short
  EXPECT_FALSE(valid_text("\xff"));
}

TEST(TextTest, CleanTextKeepsWhatItCanAndCutsAtACharacter) {
  EXPECT_EQ(clean_text("a\tb\nc", 64), "a b c");
  EXPECT_EQ(clean_text("x\xe2\x80\xaey", 64), "x???y");
  EXPECT_EQ(clean_text("ab東", 4), "ab");
}

TEST(TextTest, StaffLikeNamesAreRecognised) {
  for (const char* name : {"admin", "Admin", "ADMIN_1", "TheAdmin", "admin bob", "[GM] bob", "gm",
                           "Moderator", "mod", "the mods", "r00t", "System", "support-team",
                           "Rookery", "server", "4dm1n", "@dmin", "staff.member", "GameMaster"}) {
    EXPECT_TRUE(staff_like_name(name)) << name;
  }
}

TEST(TextTest, OrdinaryNamesAreNotStaffLike) {
  for (const char* name : {"bob", "badminton", "gmail fan", "model", "modern", "developing",
                           "Devon", "rooster", "opal", "guest-42", "Zoë", "東京"}) {
    EXPECT_FALSE(staff_like_name(name)) << name;
  }
}

}  // namespace
}  // namespace rookery::base
