// UTF-8 to the byte encodings printers understand, through glibc's iconv.
//
//   std::string bytes = Utf8ToGb18030("上海徐家汇营业厅");  //
//   "\xC9\xCF\xBA\xA3..."
//
// A printer has no way to report a character it cannot show, so conversion
// never fails: each character the target charset lacks becomes one '?', and
// so does each byte that is not part of well-formed UTF-8.
#ifndef QCALL_CLIENTS_ESCPOS_CHARSET_H_
#define QCALL_CLIENTS_ESCPOS_CHARSET_H_

#include <string>

#include "absl/strings/string_view.h"

namespace qcall {

// `charset` is an iconv name ("GB18030", "ASCII", ...). Should this system's
// iconv not know it, ASCII still passes and everything else becomes '?'.
std::string ConvertFromUtf8(absl::string_view utf8, const char* charset);

// What a Chinese-mode (FS &) ESC/POS printer expects.
inline std::string Utf8ToGb18030(absl::string_view utf8) {
  return ConvertFromUtf8(utf8, "GB18030");
}

}  // namespace qcall

#endif  // QCALL_CLIENTS_ESCPOS_CHARSET_H_
