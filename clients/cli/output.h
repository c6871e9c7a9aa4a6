// How qcall shows things: proto3 JSON for scripts (--json), short lines in
// words for people, and columns that stay aligned with Chinese names.
//
//   PrintLine(json ? ToJson(reply) : DescribeTicket(reply));
//   // A012  话费缴纳 Bill payment  waiting, 3 ahead, about 9 min
//   PadRight("话费缴纳", 10);  // "话费缴纳  ": four characters, eight cells
#ifndef QCALL_CLIENTS_CLI_OUTPUT_H_
#define QCALL_CLIENTS_CLI_OUTPUT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "qcall/v1/api.pb.h"

namespace qcall::cli {

// Writes the line and a newline to stdout and flushes, so that a pipe or a
// file sees every line of a stream as it happens.
void PrintLine(absl::string_view line);

// The message as proto3 JSON (lowerCamelCase names, enums by name, as on
// qcalld's HTTP side) on one line.
std::string ToJson(const google::protobuf::Message& message);

// Lower-case words: "green channel", "idle", "no-show".
std::string CategoryName(v1::Category category);
std::string WindowStateName(v1::WindowState state);
std::string TicketStateName(v1::TicketState state);

// "A012  话费缴纳 Bill payment  3 ahead, about 9 min": what a kiosk prints
// after issuing and `ticket status` prints for a waiting ticket; other states
// say where the ticket is ("called to window 3", "completed at window 3").
std::string DescribeTicket(const v1::CommandReply& reply);

// One event in words, without its time: "A012 → 3号窗口  请 A012 号到 3 号
// 窗口办理", "window 3 (3号窗口) paused: lunch", "ALARM: ...".
std::string DescribeEvent(const v1::HallEvent& event);

// The cells a terminal gives the text: CJK and full-width characters take
// two, ANSI escape sequences none.
int DisplayWidth(absl::string_view text);
// The text with spaces up to `width` cells (unchanged when wider).
std::string PadRight(absl::string_view text, int width);
// The line cut to at most `width` cells; escape sequences are kept whole,
// and a cut line ends with a colour reset.
std::string FitWidth(absl::string_view line, int width);

// "no wait", "about 9 min", "about 1 h 5 min" (rounded up: a promise is
// better kept early).
std::string FormatWait(int64_t seconds);
// "0:42", "12:05", "1:02:03".
std::string FormatDuration(int64_t seconds);
// "14:03:22" in `zone`.
std::string FormatClock(int64_t unix_ms, absl::TimeZone zone);
// The hall's zone, named by the server (HallView / ListServicesResponse
// time_zone), or `fallback` when it names none (an older server) or one this
// machine does not know.
absl::TimeZone HallZone(absl::string_view name, absl::TimeZone fallback);

}  // namespace qcall::cli

#endif  // QCALL_CLIENTS_CLI_OUTPUT_H_
