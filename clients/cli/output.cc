#include "clients/cli/output.h"

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "utf8proc.h"

namespace qcall::cli {

void PrintLine(absl::string_view line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json).ok()) {
    return "{}";
  }
  return json;
}

namespace {

// "CATEGORY_GREEN_CHANNEL" without `prefix`, lower case, '_' as ' '.
std::string EnumWords(const std::string& name, absl::string_view prefix) {
  std::string words(absl::StripPrefix(name, prefix));
  absl::AsciiStrToLower(&words);
  absl::StrReplaceAll({{"_", " "}}, &words);
  return words;
}

std::string WindowText(int32_t window, absl::string_view name = "") {
  std::string text = absl::StrCat("window ", window);
  if (!name.empty()) absl::StrAppend(&text, " (", name, ")");
  return text;
}

std::string TicketTitle(const v1::Ticket& ticket) {
  std::string text = absl::StrCat(ticket.number(), "  ", ticket.service_name());
  if (ticket.category() != v1::CATEGORY_NORMAL &&
      ticket.category() != v1::CATEGORY_UNSPECIFIED) {
    absl::StrAppend(&text, " (", CategoryName(ticket.category()), ")");
  }
  return text;
}

}  // namespace

std::string CategoryName(v1::Category category) {
  if (category == v1::CATEGORY_UNSPECIFIED) return "normal";
  return EnumWords(v1::Category_Name(category), "CATEGORY_");
}

std::string WindowStateName(v1::WindowState state) {
  return EnumWords(v1::WindowState_Name(state), "WINDOW_STATE_");
}

std::string TicketStateName(v1::TicketState state) {
  if (state == v1::TICKET_STATE_NO_SHOW) return "no-show";
  return EnumWords(v1::TicketState_Name(state), "TICKET_STATE_");
}

std::string DescribeTicket(const v1::CommandReply& reply) {
  const v1::Ticket& ticket = reply.ticket();
  std::string where;
  switch (ticket.state()) {
    case v1::TICKET_STATE_WAITING:
      where = absl::StrCat(reply.people_ahead() == 0
                               ? std::string("nobody ahead")
                               : absl::StrCat(reply.people_ahead(), " ahead"),
                           ", ", FormatWait(reply.estimated_wait_seconds()));
      break;
    case v1::TICKET_STATE_CALLED:
      where = absl::StrCat("called to window ", ticket.window());
      break;
    case v1::TICKET_STATE_SERVING:
      where = absl::StrCat("being served at window ", ticket.window());
      break;
    case v1::TICKET_STATE_COMPLETED:
    case v1::TICKET_STATE_NO_SHOW:
      where = absl::StrCat(TicketStateName(ticket.state()), " at window ",
                           ticket.window());
      break;
    case v1::TICKET_STATE_EXPIRED:
      where = "expired: still waiting when its business day ended";
      break;
    default:
      where = TicketStateName(ticket.state());
  }
  return absl::StrCat(TicketTitle(ticket), "  ", where);
}

std::string DescribeEvent(const v1::HallEvent& event) {
  using Event = v1::HallEvent;
  switch (event.kind_case()) {
    case Event::kTicketIssued: {
      const Event::TicketIssued& e = event.ticket_issued();
      return absl::StrCat(TicketTitle(e.ticket()), "  issued, ",
                          e.people_ahead(), " ahead");
    }
    case Event::kTicketCalled: {
      const Event::TicketCalled& e = event.ticket_called();
      std::string text = absl::StrCat(
          e.ticket().number(), " → ",
          e.window_name().empty() ? absl::StrCat(e.window()) : e.window_name(),
          "  ", e.announcement());
      if (e.recall() > 0) absl::StrAppend(&text, "  (recall ", e.recall(), ")");
      return text;
    }
    case Event::kTicketStateChanged: {
      const Event::TicketStateChanged& e = event.ticket_state_changed();
      std::string text = absl::StrCat(e.ticket().number(), " ",
                                      TicketStateName(e.ticket().state()));
      if (e.window() != 0) absl::StrAppend(&text, " at window ", e.window());
      if (e.ticket().state() == v1::TICKET_STATE_COMPLETED) {
        absl::StrAppend(&text, ", handled in ",
                        FormatDuration(e.handling_ms() / 1000));
        if (e.rating() > 0) absl::StrAppend(&text, ", rated ", e.rating());
      }
      if (!e.reason().empty()) absl::StrAppend(&text, ": ", e.reason());
      if (!e.supervisor_id().empty()) {
        absl::StrAppend(&text, " (by ", e.supervisor_id(), ")");
      }
      return text;
    }
    case Event::kTicketTransferred: {
      const Event::TicketTransferred& e = event.ticket_transferred();
      return absl::StrCat(e.ticket().number(), " transferred from window ",
                          e.from_window(), " to ",
                          e.to_window() != 0
                              ? absl::StrCat("window ", e.to_window())
                              : e.to_service_code());
    }
    case Event::kWindowChanged: {
      const Event::WindowChanged& e = event.window_changed();
      std::string text = absl::StrCat(WindowText(e.window(), e.window_name()),
                                      " ", WindowStateName(e.state()));
      if (!e.clerk_id().empty())
        absl::StrAppend(&text, ", clerk ", e.clerk_id());
      if (!e.reason().empty()) absl::StrAppend(&text, ": ", e.reason());
      if (e.standby()) absl::StrAppend(&text, " (standby clerk)");
      if (e.lost()) absl::StrAppend(&text, " (lost: no heartbeat)");
      if (e.has_override()) {
        absl::StrAppend(&text, " (override by ", e.override().supervisor_id(),
                        ": ", e.override().reason(), ")");
      }
      absl::StrAppend(&text, "; ", e.open_windows(), " open");
      return text;
    }
    case Event::kMinOpenWindowsChanged: {
      const Event::MinOpenWindowsChanged& e = event.min_open_windows_changed();
      return absl::StrCat("minimum of open windows is now ",
                          e.min_open_windows(), " (by ", e.supervisor_id(),
                          ")");
    }
    case Event::kAlarm: {
      const Event::Alarm& e = event.alarm();
      return absl::StrCat(e.raised() ? "ALARM: " : "alarm cleared: ",
                          e.message());
    }
    case Event::kAlarmAcknowledged: {
      const Event::Alarm& e = event.alarm_acknowledged().alarm();
      return absl::StrCat("alarm acknowledged by ", e.acknowledged_by(), ": ",
                          e.message());
    }
    case Event::kTicketRated: {
      const Event::TicketRated& e = event.ticket_rated();
      std::string text =
          absl::StrCat(e.ticket(), " rated ", e.level(), " of 5 at window ",
                       e.window(), " (clerk ", e.clerk_id(), ")");
      if (!e.reason().empty()) absl::StrAppend(&text, ": ", e.reason());
      return text;
    }
    case Event::kFollowUpChanged: {
      const v1::FollowUp& f = event.follow_up_changed().follow_up();
      return f.state() == v1::FollowUp::STATE_OPEN
                 ? absl::StrCat("follow-up ", f.id(), " opened: ", f.ticket(),
                                " rated ", f.level(), " (clerk ", f.clerk_id(),
                                "): ", f.reason())
                 : absl::StrCat("follow-up ", f.id(), " closed by ",
                                f.closed_by(), ": ", f.closing_text());
    }
    case Event::kComplaintChanged: {
      const v1::ComplaintCase& c = event.complaint_changed().complaint();
      switch (c.state()) {
        case v1::ComplaintCase::STATE_OPEN:
          return absl::StrCat("complaint ", c.ticket(), " opened, owner ",
                              c.owner_clerk_id());
        case v1::ComplaintCase::STATE_CALLED_BACK:
          return absl::StrCat("complaint ", c.ticket(), " called back by ",
                              c.called_back_by());
        default:
          return absl::StrCat("complaint ", c.ticket(), " resolved by ",
                              c.resolved_by(), ": ", c.resolution());
      }
    }
    case Event::kDayStarted: {
      const Event::DayStarted& e = event.day_started();
      return absl::StrCat("business day ", e.business_day(), " started, ",
                          e.expired(), " tickets of the day before expired");
    }
    default:
      break;
  }
  if (event.waiting_size() > 0) {  // The counts of a window filtered out.
    std::vector<std::string> counts;
    for (const auto& w : event.waiting()) {
      counts.push_back(absl::StrCat(w.service_code(), " ", w.waiting()));
    }
    return absl::StrCat("waiting  ", absl::StrJoin(counts, ", "));
  }
  return absl::StrCat("event ", event.seq());
}

namespace {

// The terminal cells of the character at `text[*i]`, by utf8proc's Unicode
// tables (East Asian wide and fullwidth: 2; combining marks and other zero
// width characters: 0), and moves `*i` past it. A byte that is not UTF-8
// takes one cell.
int NextCells(absl::string_view text, size_t* i) {
  utf8proc_int32_t code = 0;
  const utf8proc_ssize_t length = utf8proc_iterate(
      reinterpret_cast<const utf8proc_uint8_t*>(text.data() + *i),
      static_cast<utf8proc_ssize_t>(text.size() - *i), &code);
  if (length <= 0) {
    ++*i;
    return 1;
  }
  *i += static_cast<size_t>(length);
  return utf8proc_charwidth(code);
}

// Length of the escape sequence at `text[i]` ("\x1b[1;31m"), 0 if none.
size_t EscapeLength(absl::string_view text, size_t i) {
  if (text[i] != '\x1b' || i + 1 >= text.size() || text[i + 1] != '[') {
    return 0;
  }
  size_t end = i + 2;
  while (end < text.size() && !(text[end] >= 0x40 && text[end] <= 0x7E)) {
    ++end;
  }
  return end < text.size() ? end + 1 - i : text.size() - i;
}

}  // namespace

int DisplayWidth(absl::string_view text) {
  int width = 0;
  for (size_t i = 0; i < text.size();) {
    if (const size_t escape = EscapeLength(text, i); escape > 0) {
      i += escape;
      continue;
    }
    width += NextCells(text, &i);
  }
  return width;
}

std::string PadRight(absl::string_view text, int width) {
  std::string padded(text);
  const int cells = DisplayWidth(text);
  if (cells < width) padded.append(width - cells, ' ');
  return padded;
}

std::string FitWidth(absl::string_view line, int width) {
  std::string fitted;
  bool styled = false;
  int cells = 0;
  for (size_t i = 0; i < line.size();) {
    if (const size_t escape = EscapeLength(line, i); escape > 0) {
      absl::StrAppend(&fitted, line.substr(i, escape));
      styled = true;
      i += escape;
      continue;
    }
    const size_t start = i;
    const int c = NextCells(line, &i);
    if (cells + c > width) {
      if (styled) fitted.append("\x1b[0m");
      return fitted;
    }
    cells += c;
    absl::StrAppend(&fitted, line.substr(start, i - start));
  }
  return fitted;
}

std::string FormatWait(int64_t seconds) {
  if (seconds <= 0) return "no wait";
  const int64_t minutes = (seconds + 59) / 60;
  if (minutes < 60) return absl::StrCat("about ", minutes, " min");
  return absl::StrCat("about ", minutes / 60, " h ", minutes % 60, " min");
}

std::string FormatDuration(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  const int64_t h = seconds / 3600, m = seconds / 60 % 60, s = seconds % 60;
  if (h > 0) return absl::StrFormat("%d:%02d:%02d", h, m, s);
  return absl::StrFormat("%d:%02d", m, s);
}

absl::TimeZone HallZone(absl::string_view name, absl::TimeZone fallback) {
  absl::TimeZone zone;
  if (name.empty() || !absl::LoadTimeZone(std::string(name), &zone)) {
    return fallback;
  }
  return zone;
}

std::string FormatClock(int64_t unix_ms, absl::TimeZone zone) {
  return absl::FormatTime("%H:%M:%S", absl::FromUnixMillis(unix_ms), zone);
}

}  // namespace qcall::cli
