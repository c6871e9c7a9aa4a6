#include "clients/cli/dashboard.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/cli/output.h"

namespace qcall::cli {
namespace {

constexpr char kBold[] = "\x1b[1m";
constexpr char kDim[] = "\x1b[2m";
constexpr char kRed[] = "\x1b[31m";
constexpr char kGreen[] = "\x1b[32m";
constexpr char kYellow[] = "\x1b[33m";
constexpr char kMagenta[] = "\x1b[35m";
constexpr char kCyan[] = "\x1b[36m";

using Alarm = v1::HallEvent::Alarm;

class Painter {
 public:
  explicit Painter(bool color) : color_(color) {}
  std::string operator()(const char* style, absl::string_view text) const {
    if (!color_ || style == nullptr) return std::string(text);
    return absl::StrCat(style, text, "\x1b[0m");
  }

 private:
  bool color_;
};

const char* StateStyle(v1::WindowState state) {
  switch (state) {
    case v1::WINDOW_STATE_IDLE:
      return kGreen;
    case v1::WINDOW_STATE_CALLING:
      return kYellow;
    case v1::WINDOW_STATE_SERVING:
      return kCyan;
    case v1::WINDOW_STATE_PAUSED:
      return kMagenta;
    default:
      return kDim;
  }
}

// The colour of a wait of `oldest` seconds for service `s`: red at or past
// its target (or while the server's alarm for it is up), yellow from 80 % of
// it on, green below; without a target yellow only when people wait and no
// open window serves them.
const char* WaitStyle(const v1::HallView::ServiceView& s, int64_t oldest,
                      const std::set<std::string>& late_services) {
  if (s.waiting() == 0) return nullptr;
  if (late_services.count(s.code()) > 0) return kRed;
  if (s.target_wait_seconds() > 0) {
    if (oldest >= s.target_wait_seconds()) return kRed;
    if (oldest * 5 >= s.target_wait_seconds() * 4) return kYellow;
    return kGreen;
  }
  return s.open_windows() == 0 ? kYellow : nullptr;
}

// Columns: (text, cells) pairs padded and joined.
std::string Row(std::initializer_list<std::pair<std::string, int>> cells) {
  std::string row;
  for (const auto& [text, width] : cells) {
    absl::StrAppend(&row, width > 0 ? PadRight(text, width) : text);
  }
  absl::StripTrailingAsciiWhitespace(&row);
  return row;
}

}  // namespace

std::string RenderDashboard(const v1::HallView& view, absl::Time taken,
                            absl::Time now, const DashboardStyle& style) {
  const Painter paint(style.color);
  const int64_t aged = std::max<int64_t>(0, absl::ToInt64Seconds(now - taken));
  const int64_t now_ms = absl::ToUnixMillis(now);

  // What the alarms say about services and windows.
  std::set<std::string> late_services;
  std::set<int32_t> troubled_windows;
  for (const Alarm& alarm : view.alarms()) {
    if (alarm.kind() == Alarm::KIND_WAIT_OVER_TARGET) {
      late_services.insert(alarm.service_code());
    }
    if (alarm.kind() == Alarm::KIND_HANDLING_OVER_TARGET ||
        alarm.kind() == Alarm::KIND_WINDOW_LOST) {
      troubled_windows.insert(alarm.window());
    }
  }

  std::map<std::string, int64_t> handling_targets;
  for (const auto& s : view.services()) {
    handling_targets[s.code()] = s.target_handling_seconds();
  }

  std::vector<std::string> lines;
  int waiting = 0;
  for (const auto& s : view.services()) waiting += s.waiting();
  lines.push_back(absl::StrCat(
      paint(kBold, absl::StrCat(view.name(), " (", view.hall_id(), ")")), "  ",
      absl::FormatTime("%H:%M:%S", now,
                       HallZone(view.time_zone(), style.zone))));
  const bool below_min =
      view.business_hours() && view.open_windows() < view.min_open_windows();
  lines.push_back(absl::StrCat(
      "day ", view.business_day(),
      view.business_hours() ? ", business hours" : ", outside business hours",
      "   open windows ",
      paint(below_min ? kRed : kGreen,
            absl::StrCat(view.open_windows(), " / min ",
                         view.min_open_windows())),
      "   recommended ",
      paint(view.open_windows() < view.recommended_open_windows() ? kYellow
                                                                  : kGreen,
            absl::StrCat(view.recommended_open_windows())),
      "   waiting ", waiting, "   seq ", view.last_seq()));
  // The staffing plan's advice (Erlang C on the last half hour), on a set
  // of windows or one.
  const v1::HallView::StaffingAdvice& advice = view.advice();
  if (advice.openings_size() > 1) {
    std::vector<std::string> windows, services;
    for (const auto& o : advice.openings()) {
      windows.push_back(absl::StrCat(o.window()));
      if (std::find(services.begin(), services.end(), o.for_service()) ==
          services.end()) {
        services.push_back(o.for_service());
      }
    }
    lines.push_back(absl::StrCat("advice: open windows ",
                                 absl::StrJoin(windows, ", "), " for ",
                                 absl::StrJoin(services, ", ")));
  } else if (advice.closings_size() > 1) {
    lines.push_back(absl::StrCat("advice: windows ",
                                 absl::StrJoin(advice.closings(), ", "),
                                 " can close"));
  } else if (view.advice().open_window() > 0) {
    lines.push_back(absl::StrCat("advice: open window ",
                                 view.advice().open_window(), " for ",
                                 view.advice().open_for_service()));
  } else if (view.advice().close_window() > 0) {
    lines.push_back(absl::StrCat("advice: window ",
                                 view.advice().close_window(), " can close"));
  }

  if (view.alarms_size() > 0) {
    lines.push_back(paint(kBold, "ALARMS"));
    for (const Alarm& alarm : view.alarms()) {
      // An acknowledged alarm is still raised, but someone is on it.
      lines.push_back(absl::StrCat(
          "  ",
          alarm.acknowledged_by().empty()
              ? paint(kRed, "! " + alarm.message())
              : paint(kYellow,
                      absl::StrCat("  ", alarm.message(), " (acknowledged by ",
                                   alarm.acknowledged_by(), ")"))));
    }
  }

  lines.push_back(paint(kBold, Row({{"SERVICE", 36},
                                    {"WAITING", 9},
                                    {"OLDEST", 9},
                                    {"EXPECTED", 16},
                                    {"OPEN", 6},
                                    {"ISSUED", 8},
                                    {"MEAN", 0}})));
  for (const v1::HallView::ServiceView& s : view.services()) {
    const int64_t oldest = s.waiting() > 0 ? s.oldest_wait_seconds() + aged : 0;
    const char* wait_style = WaitStyle(s, oldest, late_services);
    lines.push_back(Row(
        {{absl::StrCat(PadRight(s.code(), 10), s.name()), 36},
         {paint(wait_style, absl::StrCat(s.waiting())), 9},
         {paint(wait_style, s.waiting() > 0 ? FormatDuration(oldest) : "-"), 9},
         {FormatWait(s.estimated_wait_seconds()), 16},
         {absl::StrCat(s.open_windows()), 6},
         {absl::StrCat(s.issued_today()), 8},
         {FormatDuration(s.mean_handling_seconds()), 0}}));
    for (const v1::HallView::LaneView& lane : view.lanes()) {
      if (lane.service_code() != s.code() || lane.waiting() == 0) continue;
      const int64_t lane_oldest = lane.oldest_wait_seconds() + aged;
      const char* lane_style = WaitStyle(s, lane_oldest, late_services);
      lines.push_back(
          Row({{absl::StrCat("  · ", CategoryName(lane.category())), 36},
               {paint(lane_style, absl::StrCat(lane.waiting())), 9},
               {paint(lane_style, FormatDuration(lane_oldest)), 0}}));
    }
  }

  lines.push_back(paint(kBold, Row({{"WINDOW", 16},
                                    {"STATE", 10},
                                    {"FOR", 9},
                                    {"CLERK", 16},
                                    {"TICKET", 0}})));
  const size_t fixed = lines.size();
  for (const v1::HallView::WindowView& w : view.windows()) {
    const bool closed = w.state() == v1::WINDOW_STATE_CLOSED;
    bool troubled = troubled_windows.count(w.number()) > 0;
    if (w.state() == v1::WINDOW_STATE_SERVING && w.has_ticket()) {
      const int64_t target = handling_targets[w.ticket().service_code()];
      troubled |=
          target > 0 && now_ms - w.state_since_unix_ms() >= target * 1000;
    }
    std::string ticket;
    if (w.has_ticket()) {
      ticket =
          absl::StrCat(w.ticket().number(), "  ", w.ticket().service_name());
    } else if (!w.reason().empty()) {
      ticket = w.reason();
    }
    lines.push_back(Row(
        {{absl::StrCat(w.number(), " ", w.name()), 16},
         {paint(StateStyle(w.state()), WindowStateName(w.state())), 10},
         {paint(
              troubled ? kRed : nullptr,
              closed || w.state_since_unix_ms() == 0
                  ? "-"
                  : FormatDuration((now_ms - w.state_since_unix_ms()) / 1000)),
          9},
         {w.clerk_id(), 16},
         {ticket, 0}}));
  }

  if (style.height > 0 && lines.size() > static_cast<size_t>(style.height)) {
    // Keep the header, alarms and services; count the windows left out.
    const size_t keep = std::max<size_t>(fixed, style.height - 1);
    const size_t hidden = lines.size() - keep;
    lines.resize(keep);
    lines.push_back(paint(kDim, absl::StrCat("… ", hidden, " more")));
  }
  std::string frame;
  for (const std::string& line : lines) {
    absl::StrAppend(&frame,
                    style.width > 0 ? FitWidth(line, style.width) : line, "\n");
  }
  return frame;
}

}  // namespace qcall::cli
