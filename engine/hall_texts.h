// Every sentence the hall says to people, in one place: ticket numbers
// ("A012"), the call a board speaks ("请 A012 号到 3 号窗口办理" or "Ticket
// A012, please go to window 3"), the staffing advice in Chinese or English,
// alarm messages and the words for a ticket's state. Error messages stay with
// the checks that produce them.
//
//   std::string number = FormatTicketNumber("A", 12, 3);  // "A012"
//   FormatAnnouncement(v1::LANGUAGE_EN, number, 3, &sentence);
//   alarm->set_message(AlarmText(kind, rules, service, window, 2, 1));
#ifndef QCALL_ENGINE_HALL_TEXTS_H_
#define QCALL_ENGINE_HALL_TEXTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/hall_rules.h"
#include "qcall/v1/engine.pb.h"
#include "qcall/v1/hall_config.pb.h"

namespace qcall {

// Pads the number with zeros to `width` digits and never cuts it: a number
// wider than `width` is written out in full.
void FormatTicketNumber(absl::string_view prefix, uint32_t number, int width,
                        std::string* out);
std::string FormatTicketNumber(absl::string_view prefix, uint32_t number,
                               int width);

// The call sentence in the hall's language; a recall repeats the same words.
void FormatAnnouncement(v1::Language language, absl::string_view ticket,
                        int32_t window, std::string* out);

// "window 3", as error messages and alarms name a window.
std::string WindowText(int32_t number);

// "waiting", "being served": a ticket's state inside a sentence.
absl::string_view StateWord(uint8_t state);

// What an alarm says; `service` or `window` is -1 where the kind has none.
// `min_open` and `open` are the hall's minimum and open windows now.
std::string AlarmText(v1::HallEvent::Alarm::Kind kind, const HallRules& rules,
                      int service, int window, int min_open, int open);
// A complaint case's alarm (due soon or overdue): ticket, owner, deadline as
// local time "2026-01-05 14:30".
std::string ComplaintAlarmText(v1::HallEvent::Alarm::Kind kind,
                               absl::string_view ticket,
                               absl::string_view owner,
                               absl::string_view due_local);
// The lost-window alarm's end when its window left the configuration.
std::string WindowRemovedText(int32_t number);
// A standby clerk's window's reason: "standby for window 2".
std::string StandbyReason(int32_t lost_window_number);
// Why a window whose counter stopped answering is closed.
inline constexpr absl::string_view kCounterLostReason = "counter lost";

// The staffing advice in the hall's language: open `open_window` (a number,
// 0: none) for `service_name`, or close `close_window`, or nothing to do.
std::string AdviceText(v1::Language language, int32_t open_window,
                       absl::string_view service_name, int32_t close_window);
// The same for a set of windows: open `open_windows` for `service_names`
// ("建议开 4、5、6 号窗口办理话费缴纳、新卡办理"), or close `close_windows`.
// One window reads as AdviceText.
std::string AdviceText(v1::Language language,
                       const std::vector<int32_t>& open_windows,
                       const std::vector<absl::string_view>& service_names,
                       const std::vector<int32_t>& close_windows);

}  // namespace qcall

#endif  // QCALL_ENGINE_HALL_TEXTS_H_
