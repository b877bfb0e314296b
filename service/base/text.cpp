#include "base/text.hpp"

#include <array>
#include <cstdint>

namespace rookery::base {

namespace {

// Invisible characters that change how text around them is shown: a name with a bidi override
// reads backwards, a zero-width joiner makes two names look alike. Unicode's Cf (format)
// category, plus the line and paragraph separators, as ranges of code points.
constexpr std::array<std::pair<uint32_t, uint32_t>, 19> kFormatRanges{{
    {0x00ad, 0x00ad},    // soft hyphen
    {0x061c, 0x061c},    // Arabic letter mark
    {0x115f, 0x1160},    // Hangul fillers (blank)
    {0x180e, 0x180e},    // Mongolian vowel separator
    {0x200b, 0x200f},    // zero-width space, joiners, LRM, RLM
    {0x2028, 0x202e},    // line/paragraph separators, bidi embeddings and overrides
    {0x2060, 0x2064},    // word joiner, invisible operators
    {0x2066, 0x206f},    // bidi isolates, deprecated format characters
    {0x3164, 0x3164},    // Hangul filler (blank)
    {0xfe00, 0xfe0f},    // variation selectors
    {0xfeff, 0xfeff},    // zero-width no-break space (BOM)
    {0xffa0, 0xffa0},    // halfwidth Hangul filler
    {0xfff9, 0xfffb},    // interlinear annotation
    {0x110bd, 0x110bd},  // Kaithi number sign
    {0x1bca0, 0x1bca3},  // shorthand format controls
    {0x1d173, 0x1d17a},  // musical symbol format controls
    {0xe0000, 0xe007f},  // tags
    {0xe0100, 0xe01ef},  // variation selectors supplement
    {0xfffe, 0xffff},    // noncharacters
}};

bool format_character(uint32_t cp) {
  for (const auto& [low, high] : kFormatRanges) {
    if (cp >= low && cp <= high) return true;
  }
  return false;
}

// Length of the well-formed UTF-8 character at s[i] if it is allowed text, else 0: 0 for
// controls (C0, DEL, C1), format characters, overlong forms, surrogates and code points past
// U+10FFFF.
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
  if (overlong || surrogate || c1_control || cp > 0x10ffff || format_character(cp)) return 0;
  return length;
}

// Words a player may not present as their name, compared after folding (see staff_like_name).
// Long words are refused anywhere at the start or end of the name ("AdminBob", "TheModerator");
// short ones only as a whole word ("[GM] bob", "mod squad"), so "gmail" or "model" stay fine.
constexpr std::array<std::string_view, 13> kLongStaffWords{
    "admin",    "administrator", "moderator", "staff", "system",     "support",  "official",
    "operator", "rookery",       "server",    "sysop", "gamemaster", "developer"};
constexpr std::array<std::string_view, 6> kShortStaffWords{"gm",  "mod",  "mods",
                                                           "dev", "root", "op"};

// Lower-case ASCII letters, with digits and symbols read as the letters they imitate (0 -> o,
// 4 -> a, ...) and i, l, 1, | as one letter (so "4dm1n" and "adm|n" read "admin"); anything
// else is a word break (returned as 0). Names and the word lists are compared folded.
char fold(char c) {
  if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  switch (c) {
    case 'l':
    case '1':
    case '|':
    case '!':
      return 'i';
    case '0':
      return 'o';
    case '3':
      return 'e';
    case '4':
    case '@':
      return 'a';
    case '5':
    case '$':
      return 's';
    case '7':
      return 't';
    default:
      return c >= 'a' && c <= 'z' ? c : 0;
  }
}

std::string folded(std::string_view word) {
  std::string out;
  for (const char c : word) out += fold(c);
  return out;
}

bool starts_or_ends_with(std::string_view s, std::string_view word) {
  return s.size() >= word.size() &&
         (s.substr(0, word.size()) == word || s.substr(s.size() - word.size()) == word);
}

}  // namespace

// Well-formed UTF-8 without controls or invisible formatting characters: text shown to other
// players goes into protobuf string fields (which must be UTF-8) and onto screens (where
// controls and bidi overrides are mischief).
bool valid_text(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t length = text_char_length(s, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

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

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Folds the name (ASCII case, digits and symbols that imitate letters) into its letters with
// breaks dropped, and into words split at the breaks; then checks both against the word lists.
// Non-ASCII letters are breaks too, so "admіn" with a Cyrillic i still folds to "adm" + "n":
// such look-alikes are left to moderation rather than a table of every script's confusables.
bool staff_like_name(std::string_view s) {
  std::string letters;
  std::string word;
  auto word_done = [&] {
    for (const std::string_view w : kShortStaffWords) {
      if (word == folded(w)) return true;
    }
    for (const std::string_view w : kLongStaffWords) {
      if (word == folded(w)) return true;
    }
    word.clear();
    return false;
  };
  for (const char c : s) {
    const char f = fold(c);
    if (f == 0) {
      if (word_done()) return true;
      continue;
    }
    letters += f;
    word += f;
  }
  if (word_done()) return true;
  for (const std::string_view w : kLongStaffWords) {
    if (starts_or_ends_with(letters, folded(w))) return true;
  }
  return false;
}

}  // namespace rookery::base
