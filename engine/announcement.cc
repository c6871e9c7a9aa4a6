#include "engine/announcement.h"

#include "absl/strings/str_cat.h"

namespace qcall {

void FormatTicketNumber(absl::string_view prefix, uint32_t number, int width,
                        std::string* out) {
  char digits[16];
  int length = 0;
  do {
    digits[length++] = static_cast<char>('0' + number % 10);
    number /= 10;
  } while (number > 0);
  out->assign(prefix.data(), prefix.size());
  for (int i = length; i < width; ++i) out->push_back('0');
  while (length > 0) out->push_back(digits[--length]);
}

std::string FormatTicketNumber(absl::string_view prefix, uint32_t number,
                               int width) {
  std::string out;
  FormatTicketNumber(prefix, number, width, &out);
  return out;
}

void FormatAnnouncement(v1::Language language, absl::string_view ticket,
                        int32_t window, std::string* out) {
  out->clear();
  if (language == v1::LANGUAGE_EN) {
    absl::StrAppend(out, "Ticket ", ticket, ", please go to window ", window);
  } else {
    absl::StrAppend(out, "请 ", ticket, " 号到 ", window, " 号窗口办理");
  }
}

}  // namespace qcall
