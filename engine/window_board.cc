#include "engine/window_board.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/hall_texts.h"
#include "engine/input_checks.h"

namespace qcall {

WindowBoard::WindowBoard(const HallRules& rules)
    : windows_(rules.windows().size()),
      services_(rules.services().size()),
      min_open_windows_(rules.config().min_open_windows()) {}

absl::StatusOr<int> WindowBoard::Find(const HallRules& rules,
                                      int32_t number) const {
  const std::optional<int> w = rules.FindWindow(number);
  if (!w) {
    return absl::NotFoundError(
        absl::StrCat("no window ", number, " in this hall"));
  }
  return *w;
}

std::string WindowBoard::FreeStandbyClerk(
    const HallRules& rules, int w,
    const std::vector<std::string>& taken) const {
  const int32_t number = rules.windows()[w].number;
  for (const v1::StandbyClerk& standby : rules.config().standby_clerks()) {
    if (ClerkWindow(standby.clerk_id()) >= 0 ||
        std::find(taken.begin(), taken.end(), standby.clerk_id()) !=
            taken.end()) {
      continue;
    }
    for (int32_t n : standby.windows()) {
      if (n == number) return standby.clerk_id();
    }
  }
  return "";
}

int WindowBoard::ClerkWindow(absl::string_view clerk) const {
  for (size_t w = 0; w < windows_.size(); ++w) {
    if (windows_[w].state != v1::WINDOW_STATE_CLOSED &&
        windows_[w].clerk == clerk) {
      return static_cast<int>(w);
    }
  }
  return -1;
}

void WindowBoard::SetState(const HallRules& rules, int w, v1::WindowState state,
                           int64_t now) {
  WindowSlot& window = windows_[w];
  const bool was_open = CountsAsOpen(window.state);
  const bool was_idle = window.state == v1::WINDOW_STATE_IDLE;
  const bool open = CountsAsOpen(state);
  const bool idle = state == v1::WINDOW_STATE_IDLE;
  window.state = state;
  window.since_ms = now;
  if (was_open == open && was_idle == idle) return;
  const int opened = static_cast<int>(open) - static_cast<int>(was_open);
  open_windows_ += opened;
  for (const ServedService& served : rules.windows()[w].serves) {
    ServiceCounts& service = services_[served.service];
    service.open += opened;
    service.idle += static_cast<int>(idle) - static_cast<int>(was_idle);
  }
}

int64_t WindowBoard::OpenShareNow(const HallRules& rules,
                                  const TicketQueue& queue, int service) const {
  // With the others' lanes empty a shared window is all this service's. (The
  // configured share alone made estimates pessimistic whenever the hall was
  // not full; docs/staffing.md.)
  int64_t share = 0;
  for (const int w : rules.windows_serving(service)) {
    if (!CountsAsOpen(windows_[w].state)) continue;
    int64_t mine = 0, busy = 0;
    for (const ServedService& served : rules.windows()[w].serves) {
      if (served.service == service) {
        mine = served.weight;
        busy += served.weight;
      } else if (queue.waiting(served.service) > 0) {
        busy += served.weight;
      }
    }
    if (busy > 0) share += 1000 * mine / busy;
  }
  return share;
}

absl::Status WindowBoard::CheckMinimumKept(const HallRules& rules, int w,
                                           const v1::Override& override,
                                           bool has_override,
                                           bool business_hours,
                                           absl::string_view action) const {
  if (has_override) return CheckOverride(override);
  if (!CountsAsOpen(windows_[w].state) || !business_hours) {
    return absl::OkStatus();
  }
  if (open_windows_ - 1 < min_open_windows_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "hall needs ", min_open_windows_, " open windows, ", open_windows_,
        " are open; ", action, " ", WindowText(rules.windows()[w].number),
        " needs a supervisor override"));
  }
  return absl::OkStatus();
}

std::vector<uint32_t> WindowBoard::HeldTickets() const {
  std::vector<uint32_t> tickets;
  tickets.reserve(windows_.size());
  for (const WindowSlot& window : windows_) tickets.push_back(window.ticket);
  return tickets;
}

void WindowBoard::SetHeldTickets(const std::vector<uint32_t>& tickets) {
  for (size_t w = 0; w < windows_.size(); ++w) windows_[w].ticket = tickets[w];
}

void WindowBoard::Save(const HallRules& rules, v1::HallState* state) const {
  for (size_t w = 0; w < windows_.size(); ++w) {
    const WindowSlot& window = windows_[w];
    v1::HallState::WindowRecord* r = state->add_windows();
    r->set_number(rules.windows()[w].number);
    r->set_state(window.state);
    r->set_clerk_id(window.clerk);
    r->set_ticket(window.ticket == kNoTicket ? 0 : window.ticket + 1);
    r->set_state_since_ms(window.since_ms);
    r->set_reason(window.reason);
    r->set_priority_streak(window.priority_streak);
    r->set_standby(window.standby);
  }
}

absl::Status WindowBoard::Restore(const HallRules& rules, int w,
                                  const v1::HallState::WindowRecord& r,
                                  const TicketQueue& queue) {
  const int32_t number = rules.windows()[w].number;
  if (r.number() != number) {
    return CorruptSnapshot(absl::StrCat("window record ", w + 1,
                                        " is of window ", r.number(),
                                        "; the config has window ", number));
  }
  if (!v1::WindowState_IsValid(r.state()) ||
      r.state() == v1::WINDOW_STATE_UNSPECIFIED) {
    return CorruptSnapshot(absl::StrCat("window ", number,
                                        " is in no known state (",
                                        static_cast<int>(r.state()), ")"));
  }
  if (r.priority_streak() < 0) {
    return CorruptSnapshot(absl::StrCat("window ", number, " has a streak of ",
                                        r.priority_streak()));
  }
  // A window holds a ticket exactly while it calls or serves it, and that
  // ticket is called or served there. (So no two windows hold one ticket.)
  const bool calling = r.state() == v1::WINDOW_STATE_CALLING;
  const bool holds = calling || r.state() == v1::WINDOW_STATE_SERVING;
  if (r.ticket() == 0 && holds) {
    return CorruptSnapshot(absl::StrCat("window ", number, " is ",
                                        v1::WindowState_Name(r.state()),
                                        " but holds no ticket"));
  }
  if (r.ticket() != 0) {
    const uint32_t id = r.ticket() - 1;
    if (r.ticket() > queue.size()) {
      return CorruptSnapshot(
          absl::StrCat("window ", number, " holds ticket id ", id,
                       ", and there are only ", queue.size(), " tickets"));
    }
    if (!holds) {
      return CorruptSnapshot(absl::StrCat("window ", number, " is ",
                                          v1::WindowState_Name(r.state()),
                                          " but holds ticket id ", id));
    }
    const TicketSlot& t = queue.ticket(id);
    const uint8_t expected =
        calling ? v1::TICKET_STATE_CALLED : v1::TICKET_STATE_SERVING;
    if (t.state != expected || t.window != w) {
      return CorruptSnapshot(absl::StrCat(
          "window ", number, " holds ticket id ", id, ", which is ",
          StateWord(t.state), " at window record ", t.window + 1));
    }
  }
  WindowSlot& window = windows_[w];
  window.clerk = r.clerk_id();
  window.reason = r.reason();
  window.ticket = r.ticket() == 0 ? kNoTicket : r.ticket() - 1;
  window.priority_streak = r.priority_streak();
  window.standby = r.standby();
  SetState(rules, w, r.state(), r.state_since_ms());
  return absl::OkStatus();
}

void WindowBoard::AddViews(const HallRules& rules, const TicketQueue& queue,
                           v1::HallView* view) const {
  for (size_t w = 0; w < windows_.size(); ++w) {
    const WindowSlot& window = windows_[w];
    v1::HallView::WindowView* v = view->add_windows();
    v->set_number(rules.windows()[w].number);
    v->set_name(rules.windows()[w].name);
    v->set_state(window.state);
    v->set_clerk_id(window.clerk);
    v->set_state_since_unix_ms(window.since_ms);
    v->set_reason(window.reason);
    v->set_standby(window.standby);
    for (const ServedService& served : rules.windows()[w].serves) {
      v->add_service_codes(rules.services()[served.service].code);
    }
    if (window.ticket != kNoTicket) {
      queue.FillTicket(rules, window.ticket, v->mutable_ticket());
    }
  }
}

}  // namespace qcall
