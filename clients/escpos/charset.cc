#include "clients/escpos/charset.h"

#include <iconv.h>

#include <cerrno>
#include <cstddef>

namespace qcall {
namespace {

// The length of the well-formed UTF-8 character at the start of `s`, or 1 for
// a malformed one, so that each bad byte becomes its own '?'.
size_t Utf8CharLength(absl::string_view s) {
  const auto lead = static_cast<unsigned char>(s[0]);
  size_t length = 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
  }
  if (length > s.size()) return 1;
  for (size_t i = 1; i < length; ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return 1;
  }
  return length;
}

std::string AsciiOnly(absl::string_view utf8) {
  std::string out;
  while (!utf8.empty()) {
    const size_t length = Utf8CharLength(utf8);
    const auto c = static_cast<unsigned char>(utf8[0]);
    out.push_back(c < 0x80 ? utf8[0] : '?');
    utf8.remove_prefix(length);
  }
  return out;
}

}  // namespace

std::string ConvertFromUtf8(absl::string_view utf8, const char* charset) {
  const iconv_t cd = iconv_open(charset, "UTF-8");
  if (cd == reinterpret_cast<iconv_t>(-1)) return AsciiOnly(utf8);

  std::string out;
  char buffer[256];
  // iconv's prototype takes a non-const input pointer but never writes to it.
  char* in = const_cast<char*>(utf8.data());
  size_t in_left = utf8.size();
  while (in_left > 0) {
    char* out_next = buffer;
    size_t out_left = sizeof(buffer);
    const size_t result = iconv(cd, &in, &in_left, &out_next, &out_left);
    out.append(buffer, out_next - buffer);
    if (result != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) continue;
    // EILSEQ (unconvertible or malformed) or EINVAL (cut off at the end).
    out.push_back('?');
    const size_t skip = Utf8CharLength(absl::string_view(in, in_left));
    in += skip;
    in_left -= skip;
  }
  // Returns a stateful encoding to its initial shift state; GB18030 has none,
  // but other charsets passed here might.
  char* out_next = buffer;
  size_t out_left = sizeof(buffer);
  iconv(cd, nullptr, nullptr, &out_next, &out_left);
  out.append(buffer, out_next - buffer);
  iconv_close(cd);
  return out;
}

}  // namespace qcall
