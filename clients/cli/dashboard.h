// The hall as `qcall top` and `qcall admin hall` draw it: a header with the
// open windows against the minimum, the raised alarms, the services with
// their lanes (waiting, oldest wait), and the windows with their state and
// time in state.
//
//   PrintLine(RenderDashboard(view, fetched_at, absl::Now(),
//                             {.color = isatty(1), .width = 100}));
#ifndef QCALL_CLIENTS_CLI_DASHBOARD_H_
#define QCALL_CLIENTS_CLI_DASHBOARD_H_

#include <string>

#include "absl/time/time.h"
#include "qcall/v1/engine.pb.h"

namespace qcall::cli {

struct DashboardStyle {
  // ANSI colours: window states; waits green, yellow from 80 % of the
  // service's target, red past it; handling past its target and open
  // windows below the minimum red.
  bool color = false;
  // Cells per line and lines in all; 0 means no limit. Lines are cut, and
  // windows that do not fit are counted in a last line.
  int width = 0;
  int height = 0;
  // For a view that names no time zone (HallView.time_zone): times are
  // shown in the hall's zone, not the machine's.
  absl::TimeZone zone = absl::LocalTimeZone();
};

// `view` was taken at `taken`; its waits and times in state are shown as
// they are at `now`, so a view can be redrawn every second without asking
// the server again. Lines end with '\n'.
std::string RenderDashboard(const v1::HallView& view, absl::Time taken,
                            absl::Time now, const DashboardStyle& style);

}  // namespace qcall::cli

#endif  // QCALL_CLIENTS_CLI_DASHBOARD_H_
