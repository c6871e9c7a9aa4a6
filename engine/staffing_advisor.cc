#include "engine/staffing_advisor.h"

#include <algorithm>
#include <bit>
#include <cstdint>

#include "engine/hall_texts.h"
#include "engine/input_checks.h"
#include "engine/service_stats.h"
#include "engine/ticket_queue.h"
#include "engine/window_board.h"

namespace qcall {

namespace {

// Bit for bit: equal inputs make equal plans, to the last bit of a double.
bool Same(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

uint8_t WindowBits(const StaffingInput::Window& window) {
  return static_cast<uint8_t>((window.open ? 1 : 0) | (window.idle ? 2 : 0));
}

}  // namespace

StaffingAdvisor::StaffingAdvisor(const HallRules& rules)
    : made_(rules.services().size() + 1) {
  const size_t services = rules.services().size();
  input_.windows.resize(rules.windows().size());
  for (size_t w = 0; w < rules.windows().size(); ++w) {
    std::vector<double>& share = input_.windows[w].share;
    share.assign(services, 0.0);
    for (const ServedService& served : rules.windows()[w].serves) {
      share[served.service] =
          static_cast<double>(served.share_permille) / 1000.0;
    }
  }
}

bool StaffingAdvisor::MadeFrom(const Made& made, const StaffingInput& input) {
  if (!made.valid || made.min_open != input.min_open ||
      made.named_to_close != input.named_to_close ||
      made.services.size() != input.services.size() ||
      made.windows.size() != input.windows.size()) {
    return false;
  }
  for (size_t s = 0; s < input.services.size(); ++s) {
    const StaffingInput::Service& a = made.services[s];
    const StaffingInput::Service& b = input.services[s];
    if (!Same(a.arrivals_per_second, b.arrivals_per_second) ||
        !Same(a.mean_handling_seconds, b.mean_handling_seconds) ||
        !Same(a.target_wait_seconds, b.target_wait_seconds) ||
        a.waiting != b.waiting) {
      return false;
    }
  }
  for (size_t w = 0; w < input.windows.size(); ++w) {
    if (made.windows[w] != WindowBits(input.windows[w])) return false;
  }
  return true;
}

const StaffingPlan& StaffingAdvisor::Plan(const HallParts& hall, int64_t now,
                                          const std::vector<double>& arrivals,
                                          int also_waiting) const {
  const HallRules& rules = hall.rules;
  const size_t services = rules.services().size();
  StaffingInput& input = input_;
  input.min_open = hall.BusinessHours(now) ? hall.board.min_open_windows() : 0;
  input.named_to_close = -1;
  input.services.clear();
  for (size_t s = 0; s < services; ++s) {
    const int service = static_cast<int>(s);
    const int waiting =
        hall.queue.waiting(service) + (service == also_waiting ? 1 : 0);
    input.services.push_back(
        {arrivals[s],
         static_cast<double>(hall.stats.mean_handling_ms(service)) / 1000.0,
         static_cast<double>(rules.services()[s].target_wait_ms) / 1000.0,
         waiting});
  }
  for (size_t w = 0; w < hall.board.size(); ++w) {
    const WindowSlot& slot = hall.board.window(static_cast<int>(w));
    StaffingInput::Window& window = input.windows[w];
    window.open = CountsAsOpen(slot.state);
    window.idle = slot.state == v1::WINDOW_STATE_IDLE;
    if (rules.windows()[w].number == last_advice_.close_window()) {
      input.named_to_close = static_cast<int>(w);
    }
  }
  // Any other `also_waiting` shares the first slot: the input decides.
  const size_t slot =
      also_waiting >= -1 && static_cast<size_t>(also_waiting + 1) < made_.size()
          ? static_cast<size_t>(also_waiting + 1)
          : 0;
  Made& made = made_[slot];
  if (MadeFrom(made, input)) return made.plan;
  made.plan = PlanStaffing(input, &memo_);
  made.services = input.services;
  made.windows.resize(input.windows.size());
  for (size_t w = 0; w < input.windows.size(); ++w) {
    made.windows[w] = WindowBits(input.windows[w]);
  }
  made.min_open = input.min_open;
  made.named_to_close = input.named_to_close;
  made.valid = true;
  return made.plan;
}

std::optional<StaffingAdvisor::Opening> StaffingAdvisor::ExpectedOpening(
    const HallParts& hall, int64_t now, const std::vector<double>& arrivals,
    int service, bool walk_in) const {
  const v1::HallState::AdviceFollowing& f = following_;
  if (f.opens_followed() < 2 || 2 * f.opens_followed() < f.opens_advised()) {
    return std::nullopt;
  }
  // Only a window of this service that is not open can be opened for it
  // (and only then is the plan worth its cost).
  bool closed = false;
  for (const int w : hall.rules.windows_serving(service)) {
    closed |= !CountsAsOpen(hall.board.window(w).state);
  }
  if (!closed) return std::nullopt;
  const StaffingPlan& plan = Plan(hall, now, arrivals, walk_in ? service : -1);
  if (plan.open_window < 0) return std::nullopt;
  const int64_t delay_ms = f.follow_delay_total_ms() / f.opens_followed();
  if (f.open_advised_at_ms() > 0 &&
      hall.rules.windows()[plan.open_window].number ==
          last_advice_.open_window()) {
    // Advised already: the clerk is on the way, unless the advice has gone
    // unanswered for longer than anyone answers one.
    if (now - f.open_advised_at_ms() > kAdviceAnswerMs) return std::nullopt;
    return Opening{plan.open_window,
                   std::max(now, f.open_advised_at_ms() + delay_ms)};
  }
  return Opening{plan.open_window, now + delay_ms};
}

void StaffingAdvisor::NoteWindowOpened(int32_t number, int64_t now) {
  v1::HallState::AdviceFollowing& f = following_;
  if (f.open_advised_at_ms() == 0 || number != last_advice_.open_window()) {
    return;
  }
  // Opened soon enough to be answering the advice: it was followed. Later
  // it is some other reason (a shift change), and the advice went unheeded.
  const int64_t delay_ms = std::max<int64_t>(0, now - f.open_advised_at_ms());
  if (delay_ms <= kAdviceAnswerMs) {
    f.set_opens_followed(f.opens_followed() + 1);
    f.set_follow_delay_total_ms(f.follow_delay_total_ms() + delay_ms);
  }
  f.set_open_advised_at_ms(0);
}

void StaffingAdvisor::Advise(const HallRules& rules, const StaffingPlan& plan,
                             int open_windows, EventLog* log, int64_t now,
                             Outcome* out) {
  // Every tick, so that nothing changes without an event (the journal keeps
  // only ticks that emitted some); announced only when the advice changes.
  v1::HallEvent::StaffingAdvised advice;
  advice.set_recommended_open_windows(plan.recommended_open);
  advice.set_open_windows(open_windows);
  if (plan.open_window >= 0) {
    advice.set_open_window(rules.windows()[plan.open_window].number);
    advice.set_open_for_service(rules.services()[plan.open_for_service].code);
  }
  if (plan.close_window >= 0) {
    advice.set_close_window(rules.windows()[plan.close_window].number);
  }
  // Announced when what to do changes, not when a count moves by one.
  if (advice.open_window() == last_advice_.open_window() &&
      advice.open_for_service() == last_advice_.open_for_service() &&
      advice.close_window() == last_advice_.close_window()) {
    return;
  }
  advice.set_text(AdviceText(
      rules.config().language(),
      plan.open_window >= 0 ? advice.open_window() : 0,
      plan.open_window >= 0 ? rules.services()[plan.open_for_service].name
                            : absl::string_view(),
      plan.close_window >= 0 ? advice.close_window() : 0));
  // A new window to open is a new advice; the same window for another
  // service is the same advice, its clock running on.
  v1::HallState::AdviceFollowing& f = following_;
  if (plan.open_window < 0) {
    f.set_open_advised_at_ms(0);
  } else if (f.open_advised_at_ms() == 0 ||
             advice.open_window() != last_advice_.open_window()) {
    f.set_opens_advised(f.opens_advised() + 1);
    f.set_open_advised_at_ms(now);
  }
  last_advice_ = advice;
  *log->Emit(v1::HallEvent::kStaffingAdvised, now, out)
       ->mutable_staffing_advised() = advice;
}

void StaffingAdvisor::Save(v1::HallState* state) const {
  *state->mutable_last_advice() = last_advice_;
  *state->mutable_advice_following() = following_;
}

absl::Status StaffingAdvisor::Restore(const v1::HallState& state) {
  last_advice_ = state.last_advice();
  following_ = state.advice_following();
  const v1::HallState::AdviceFollowing& f = state.advice_following();
  if (f.opens_advised() < 0 || f.opens_followed() < 0 ||
      f.opens_followed() > f.opens_advised() || f.follow_delay_total_ms() < 0 ||
      f.open_advised_at_ms() < 0) {
    return CorruptSnapshot("advice following");
  }
  return absl::OkStatus();
}

void StaffingAdvisor::AddViews(const HallRules& rules, const StaffingPlan& plan,
                               v1::HallView* view) {
  for (size_t s = 0; s < rules.services().size(); ++s) {
    v1::HallView::ServiceView* v = view->mutable_services(static_cast<int>(s));
    v->set_arrivals_per_hour(plan.services[s].arrivals_per_second * 3600.0);
    v->set_needed_windows(plan.services[s].needed);
  }
  view->set_recommended_open_windows(plan.recommended_open);
  if (plan.open_window >= 0) {
    view->mutable_advice()->set_open_window(
        rules.windows()[plan.open_window].number);
    view->mutable_advice()->set_open_for_service(
        rules.services()[plan.open_for_service].code);
  }
  if (plan.close_window >= 0) {
    view->mutable_advice()->set_close_window(
        rules.windows()[plan.close_window].number);
  }
}

}  // namespace qcall
