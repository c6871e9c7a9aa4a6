#include "engine/reconfigure.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "engine/hall_rules.h"
#include "engine/status_macros.h"

namespace qcall {
namespace {

constexpr uint32_t kGone = UINT32_MAX;

}  // namespace

absl::StatusOr<v1::HallState> ReconfigureState(const v1::HallState& state,
                                               const v1::HallConfig& config) {
  // Refused by the same rules as a config at start-up.
  RETURN_IF_ERROR(HallRules::FromConfig(config).status());
  const v1::HallConfig& old = state.config();
  if (config.hall_id() != old.hall_id()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the config is for hall '", config.hall_id().substr(0, 64),
                     "', not '", old.hall_id(), "'"));
  }
  if (config.time_zone() != old.time_zone()) {
    return absl::FailedPreconditionError(
        absl::StrCat("hall ", old.hall_id(), " runs in ", old.time_zone(),
                     "; its time zone cannot change while it runs"));
  }

  // Old service index -> new index (kGone when dropped).
  absl::flat_hash_map<std::string, uint32_t> new_service;
  for (int s = 0; s < config.services_size(); ++s) {
    new_service[config.services(s).code()] = static_cast<uint32_t>(s);
  }
  std::vector<int> tickets_of(old.services_size(), 0);
  for (const v1::HallState::TicketRecord& t : state.tickets()) {
    if (t.service() < tickets_of.size()) ++tickets_of[t.service()];
    if (t.queue_service() != t.service() &&
        t.queue_service() < tickets_of.size()) {
      ++tickets_of[t.queue_service()];
    }
  }
  std::vector<uint32_t> service_map(old.services_size(), kGone);
  for (int s = 0; s < old.services_size(); ++s) {
    const v1::ServiceConfig& before = old.services(s);
    auto it = new_service.find(before.code());
    if (it == new_service.end()) {
      if (tickets_of[s] > 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            "service ", before.code(), " has ", tickets_of[s],
            " tickets today; it can be removed once the day is over"));
      }
      continue;
    }
    const v1::ServiceConfig& after = config.services(it->second);
    if (tickets_of[s] > 0 && (after.ticket_prefix() != before.ticket_prefix() ||
                              after.number_width() != before.number_width())) {
      return absl::FailedPreconditionError(absl::StrCat(
          "service ", before.code(), " has ", tickets_of[s],
          " tickets today; its ticket prefix and number width can change "
          "once the day is over"));
    }
    service_map[s] = it->second;
  }

  // Old window index -> new index.
  absl::flat_hash_map<int32_t, uint32_t> new_window;
  for (int w = 0; w < config.windows_size(); ++w) {
    new_window[config.windows(w).number()] = static_cast<uint32_t>(w);
  }
  std::vector<uint32_t> window_map(old.windows_size(), kGone);
  for (int w = 0; w < old.windows_size(); ++w) {
    const v1::HallState::WindowRecord& window = state.windows(w);
    auto it = new_window.find(window.number());
    if (it != new_window.end()) {
      window_map[w] = it->second;
    } else if (window.state() != v1::WINDOW_STATE_CLOSED ||
               window.direct_lane_size() > 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("window ", window.number(),
                       window.state() != v1::WINDOW_STATE_CLOSED
                           ? " is not closed"
                           : " has tickets transferred to it",
                       "; close it and clear it before removing it"));
    }
  }

  v1::HallState next;
  *next.mutable_config() = config;
  next.set_last_seq(state.last_seq());
  next.set_business_day(state.business_day());
  next.set_min_open_windows(config.min_open_windows() != old.min_open_windows()
                                ? config.min_open_windows()
                                : state.min_open_windows());
  next.set_below_min_alarm(state.below_min_alarm());
  *next.mutable_last_advice() = state.last_advice();
  *next.mutable_advice_following() = state.advice_following();
  // The steady advice's hold (what was told, when, what was dismissed)
  // outlives a reconfiguration like the advice itself; a held action on a
  // window the new config removes is dropped by the restore of this state
  // (StaffingAdvisor::Restore).
  *next.mutable_advice_hold() = state.advice_hold();
  // Ratings, follow-ups and cases name windows by number and services by
  // code; a removed window's ticket can no longer be rated.
  for (const v1::HallState::Ratable& r : state.ratables()) {
    for (const v1::WindowConfig& w : config.windows()) {
      if (w.number() == r.window()) *next.add_ratables() = r;
    }
  }
  *next.mutable_follow_ups() = state.follow_ups();
  next.set_last_follow_up_id(state.last_follow_up_id());
  *next.mutable_complaints() = state.complaints();
  // The boards' recent calls and notice are the hall's, not the config's.
  *next.mutable_recent_calls() = state.recent_calls();
  next.set_notice(state.notice());
  // Bookings too; one for a service the new config drops is refused at
  // check-in, saying so.
  *next.mutable_bookings() = state.bookings();
  // An acknowledged alarm of a removed window or service ends with it.
  const auto window_kept = [&config](int32_t window) {
    return window == 0 ||
           std::any_of(config.windows().begin(), config.windows().end(),
                       [window](const v1::WindowConfig& w) {
                         return w.number() == window;
                       });
  };
  for (const v1::HallEvent::Alarm& ack : state.acknowledged_alarms()) {
    const bool service_kept =
        ack.service_code().empty() ||
        std::any_of(config.services().begin(), config.services().end(),
                    [&ack](const v1::ServiceConfig& s) {
                      return s.code() == ack.service_code();
                    });
    // A complaint's alarm names where it was served, but the case (and its
    // alarm) outlives the window or service: its acknowledgement stays.
    const bool complaint =
        ack.kind() == v1::HallEvent::Alarm::KIND_COMPLAINT_DUE_SOON ||
        ack.kind() == v1::HallEvent::Alarm::KIND_COMPLAINT_OVERDUE;
    if (complaint || (window_kept(ack.window()) && service_kept)) {
      *next.add_acknowledged_alarms() = ack;
    }
  }
  for (const v1::HallState::TicketRecord& t : state.tickets()) {
    v1::HallState::TicketRecord* r = next.add_tickets();
    *r = t;
    // Every ticket's services survive: those with tickets were kept above.
    r->set_service(service_map[t.service()]);
    r->set_queue_service(service_map[t.queue_service()]);
    const uint32_t window = t.window() > 0 ? window_map[t.window() - 1] : kGone;
    r->set_window(window == kGone ? 0 : static_cast<int32_t>(window) + 1);
  }
  for (const v1::HallState::LaneRecord& lane : state.lanes()) {
    v1::HallState::LaneRecord* r = next.add_lanes();
    *r = lane;
    r->set_service(service_map[lane.service()]);
  }
  // Services and windows in the new config's order.
  // A new service starts the day afresh (its mean is the prior).
  for (int s = 0; s < config.services_size(); ++s) next.add_services();
  for (int w = 0; w < config.windows_size(); ++w) {
    v1::HallState::WindowRecord* r = next.add_windows();
    r->set_number(config.windows(w).number());
    r->set_state(v1::WINDOW_STATE_CLOSED);
  }
  for (int s = 0; s < old.services_size(); ++s) {
    if (service_map[s] != kGone) {
      *next.mutable_services(static_cast<int>(service_map[s])) =
          state.services(s);
    }
  }
  for (int w = 0; w < old.windows_size(); ++w) {
    if (window_map[w] != kGone) {
      *next.mutable_windows(static_cast<int>(window_map[w])) = state.windows(w);
    }
  }
  return next;
}

}  // namespace qcall
