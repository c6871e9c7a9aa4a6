#include "engine/hall_texts.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace qcall {

using Alarm = v1::HallEvent::Alarm;

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

std::string WindowText(int32_t number) {
  return absl::StrCat("window ", number);
}

absl::string_view StateWord(uint8_t state) {
  switch (state) {
    case v1::TICKET_STATE_WAITING:
      return "waiting";
    case v1::TICKET_STATE_CALLED:
      return "called";
    case v1::TICKET_STATE_SERVING:
      return "being served";
    case v1::TICKET_STATE_COMPLETED:
      return "completed";
    case v1::TICKET_STATE_NO_SHOW:
      return "a no-show";
    case v1::TICKET_STATE_CANCELLED:
      return "cancelled";
    case v1::TICKET_STATE_VOIDED:
      return "voided";
    case v1::TICKET_STATE_EXPIRED:
      return "expired";
  }
  return "unknown";
}

std::string AlarmText(Alarm::Kind kind, const HallRules& rules, int service,
                      int w, int min_open, int open) {
  switch (kind) {
    case Alarm::KIND_BELOW_MIN_OPEN:
      return absl::StrCat("hall needs ", min_open, " open windows, ", open,
                          " are open");
    case Alarm::KIND_WAIT_OVER_TARGET: {
      // Targets under a minute (tests, express services) keep their seconds.
      const int64_t target_ms = rules.services()[service].target_wait_ms;
      return absl::StrCat(
          rules.services()[service].name, ": customers wait longer than the ",
          target_ms % 60000 == 0 ? absl::StrCat(target_ms / 60000, "-minute")
                                 : absl::StrCat(target_ms / 1000, "-second"),
          " target");
    }
    case Alarm::KIND_HANDLING_OVER_TARGET:
      return absl::StrCat(WindowText(rules.windows()[w].number),
                          " is serving longer than the target handling time");
    case Alarm::KIND_WINDOW_LOST:
      return absl::StrCat(WindowText(rules.windows()[w].number),
                          " lost its counter (heartbeat stopped)");
    case Alarm::KIND_QUEUE_GROWING:
      return absl::StrCat(rules.services()[service].name,
                          ": customers arrive faster than the open windows "
                          "serve them");
    case Alarm::KIND_NO_WINDOW_SERVES:
      return absl::StrCat(rules.services()[service].name,
                          ": customers wait and no open window serves it");
    case Alarm::KIND_WINDOW_IDLE:
      return absl::StrCat(WindowText(rules.windows()[w].number),
                          " is open and calls nobody while customers wait");
    default:
      return "";
  }
}

std::string ComplaintAlarmText(Alarm::Kind kind, absl::string_view ticket,
                               absl::string_view owner,
                               absl::string_view due_local) {
  return absl::StrCat("complaint ", ticket, " (owner ", owner, ") ",
                      kind == Alarm::KIND_COMPLAINT_OVERDUE
                          ? "is overdue: it was due "
                          : "is due ",
                      due_local, " and is not resolved");
}

std::string WindowRemovedText(int32_t number) {
  return absl::StrCat(WindowText(number), " was removed from the hall");
}

std::string StandbyReason(int32_t lost_window_number) {
  return absl::StrCat("standby for ", WindowText(lost_window_number));
}

std::string AdviceText(v1::Language language, int32_t open_window,
                       absl::string_view service_name, int32_t close_window) {
  const bool chinese = language != v1::LANGUAGE_EN;
  if (open_window != 0) {
    return chinese ? absl::StrCat("建议开 ", open_window, " 号窗口办理",
                                  service_name)
                   : absl::StrCat("open window ", open_window, " for ",
                                  service_name);
  }
  if (close_window != 0) {
    return chinese ? absl::StrCat(close_window, " 号窗口可关闭")
                   : absl::StrCat("window ", close_window, " can close");
  }
  return chinese ? "人手合适" : "staffing is right";
}

namespace {

// "4、5、6" or "4, 5 and 6".
std::string Numbers(bool chinese, const std::vector<int32_t>& numbers) {
  if (chinese) return absl::StrJoin(numbers, "、");
  std::string text;
  for (size_t i = 0; i < numbers.size(); ++i) {
    const char* between = i == 0                    ? ""
                          : i + 1 == numbers.size() ? " and "
                                                    : ", ";
    absl::StrAppend(&text, between, numbers[i]);
  }
  return text;
}

}  // namespace

std::string AdviceText(v1::Language language,
                       const std::vector<int32_t>& open_windows,
                       const std::vector<absl::string_view>& service_names,
                       const std::vector<int32_t>& close_windows) {
  const bool chinese = language != v1::LANGUAGE_EN;
  if (open_windows.size() > 1) {
    return chinese
               ? absl::StrCat("建议开 ", Numbers(true, open_windows),
                              " 号窗口办理", absl::StrJoin(service_names, "、"))
               : absl::StrCat("open windows ", Numbers(false, open_windows),
                              " for ", absl::StrJoin(service_names, ", "));
  }
  if (open_windows.empty() && close_windows.size() > 1) {
    return chinese ? absl::StrCat(Numbers(true, close_windows), " 号窗口可关闭")
                   : absl::StrCat("windows ", Numbers(false, close_windows),
                                  " can close");
  }
  return AdviceText(
      language, open_windows.empty() ? 0 : open_windows[0],
      service_names.empty() ? absl::string_view() : service_names[0],
      close_windows.empty() ? 0 : close_windows[0]);
}

}  // namespace qcall
