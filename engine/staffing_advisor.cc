#include "engine/staffing_advisor.h"

#include <algorithm>
#include <bit>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "engine/hall_texts.h"
#include "engine/input_checks.h"
#include "engine/service_stats.h"
#include "engine/status_macros.h"
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

using Advised = v1::HallEvent::StaffingAdvised;

bool Empty(const Advised& advice) {
  return advice.open_window() == 0 && advice.close_window() == 0 &&
         advice.openings_size() == 0 && advice.closings_size() == 0;
}

// Sets `advice` to open `openings` or close `closings`, the single fields
// the first of them.
void SetWindows(std::vector<Advised::Opening> openings,
                std::vector<int32_t> closings, Advised* advice) {
  advice->clear_openings();
  advice->clear_closings();
  advice->set_open_window(openings.empty() ? 0 : openings[0].window());
  if (openings.empty()) {
    advice->clear_open_for_service();
  } else {
    advice->set_open_for_service(openings[0].for_service());
  }
  advice->set_close_window(closings.empty() ? 0 : closings[0]);
  for (Advised::Opening& o : openings) *advice->add_openings() = std::move(o);
  for (const int32_t c : closings) advice->add_closings(c);
}

// The text of an advice on sets.
std::string SetText(const HallRules& rules, const Advised& advice) {
  std::vector<int32_t> open,
      close(advice.closings().begin(), advice.closings().end());
  std::vector<absl::string_view> services;
  for (const Advised::Opening& o : advice.openings()) {
    open.push_back(o.window());
    const std::optional<int> s = rules.FindService(o.for_service());
    if (!s) continue;
    const absl::string_view name = rules.services()[*s].name;
    if (std::find(services.begin(), services.end(), name) == services.end()) {
      services.push_back(name);
    }
  }
  return AdviceText(rules.config().language(), open, services, close);
}

}  // namespace

AdviceRules AdviceRulesOf(const v1::Command::Tick& tick) {
  switch (tick.advice_rules()) {
    case v1::Command::Tick::ADVICE_RULES_EVERY_CHANGE:
      return AdviceRules::kEveryChange;
    case v1::Command::Tick::ADVICE_RULES_STEADY:
      return AdviceRules::kSteady;
    case v1::Command::Tick::ADVICE_RULES_WINDOW_SETS:
      return AdviceRules::kWindowSets;
    default:
      return tick.steady_advice() ? AdviceRules::kSteady
                                  : AdviceRules::kEveryChange;
  }
}

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
      made.held_close != input.held_close ||
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
  input.held_close.clear();
  for (const int32_t number : last_advice_.closings()) {
    if (const std::optional<int> w = rules.FindWindow(number)) {
      input.held_close.push_back(*w);
    }
  }
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
  made.held_close = input.held_close;
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

void StaffingAdvisor::NoteWindowOpened(const HallRules& rules, int32_t number,
                                       int64_t now) {
  v1::HallState::AdviceFollowing& f = following_;
  const auto in_set = [number](const Advised::Opening& o) {
    return o.window() == number;
  };
  const bool in_openings = std::any_of(last_advice_.openings().begin(),
                                       last_advice_.openings().end(), in_set);
  const bool advised = f.open_advised_at_ms() != 0 &&
                       (number == last_advice_.open_window() || in_openings);
  if (hold_.announced_at_ms() > 0 && in_openings) {
    // One of a set: the rest stands, with nothing more to tell.
    std::vector<Advised::Opening> rest;
    for (const Advised::Opening& o : last_advice_.openings()) {
      if (!in_set(o)) rest.push_back(o);
    }
    SetWindows(std::move(rest), {}, &last_advice_);
    last_advice_.set_text(SetText(rules, last_advice_));
  } else if (hold_.announced_at_ms() > 0 &&
             number == last_advice_.open_window()) {
    // Done as advised: nothing is left to tell (the window's own event says
    // it), and the advice holds nothing until the plan wants more.
    last_advice_.set_open_window(0);
    last_advice_.clear_open_for_service();
    last_advice_.set_text(AdviceText(rules.config().language(), 0, {},
                                     last_advice_.close_window()));
  }
  if (!advised) return;
  // Opened soon enough to be answering the advice: it was followed. Later
  // it is some other reason (a shift change), and the advice went unheeded.
  const int64_t delay_ms = std::max<int64_t>(0, now - f.open_advised_at_ms());
  if (delay_ms <= kAdviceAnswerMs) {
    f.set_opens_followed(f.opens_followed() + 1);
    f.set_follow_delay_total_ms(f.follow_delay_total_ms() + delay_ms);
  }
  f.set_open_advised_at_ms(0);
}

void StaffingAdvisor::NoteWindowClosed(const HallRules& rules, int32_t number) {
  if (hold_.announced_at_ms() == 0) return;
  const auto closings = last_advice_.closings();
  if (std::find(closings.begin(), closings.end(), number) != closings.end()) {
    std::vector<int32_t> rest;
    for (const int32_t c : closings) {
      if (c != number) rest.push_back(c);
    }
    SetWindows({}, std::move(rest), &last_advice_);
    last_advice_.set_text(SetText(rules, last_advice_));
    return;
  }
  if (number != last_advice_.close_window()) return;
  last_advice_.set_close_window(0);
  last_advice_.set_text(AdviceText(rules.config().language(), 0, {}, 0));
}

std::optional<v1::HallEvent::StaffingAdvised> StaffingAdvisor::Steady(
    const HallRules& rules, const WindowBoard& board,
    v1::HallEvent::StaffingAdvised advice, int64_t now) const {
  const v1::HallState::AdviceHold& h = hold_;
  if (h.dismissed_at_ms() > 0 && now - h.dismissed_at_ms() < kDismissMs &&
      advice.open_window() == h.dismissed_open_window() &&
      advice.close_window() == h.dismissed_close_window()) {
    advice.set_open_window(0);
    advice.clear_open_for_service();
    advice.set_close_window(0);
  }
  if (advice.close_window() != 0 && h.open_advised_at_ms() > 0 &&
      now - h.open_advised_at_ms() < kCloseAfterOpenMs) {
    // Too soon after an opening to close one: the hysteresis between them.
    advice.set_close_window(0);
  }
  const auto open = [&](int32_t number) {
    const std::optional<int> w = rules.FindWindow(number);
    return w.has_value() && CountsAsOpen(board.window(*w).state);
  };
  // What is held, unless it was done some other way (a standby clerk opened
  // the window; the window to close closed or was lost).
  const int32_t to_open =
      last_advice_.open_window() != 0 && !open(last_advice_.open_window())
          ? last_advice_.open_window()
          : 0;
  const int32_t to_close =
      last_advice_.close_window() != 0 && open(last_advice_.close_window())
          ? last_advice_.close_window()
          : 0;
  const bool held_stands = to_open == last_advice_.open_window() &&
                           to_close == last_advice_.close_window();
  // The action is what counts, not the window: while the plan wants a window
  // opened (or closed) and the one held can still be, the advice stands.
  if ((advice.open_window() != 0 && to_open != 0) ||
      (advice.close_window() != 0 && to_close != 0) ||
      (advice.open_window() == 0 && advice.close_window() == 0 &&
       to_open == 0 && to_close == 0)) {
    if (held_stands) return std::nullopt;
    if (to_open != 0 || to_close != 0) {
      advice.set_open_window(to_open);
      advice.set_open_for_service(last_advice_.open_for_service());
      advice.set_close_window(to_close);
    }
    return advice;
  }
  // An opening is withdrawn no sooner than the minimum time after it was
  // announced; a close that no longer holds goes at once, and so does
  // what stands in the way of an opening.
  if (to_open != 0 && advice.open_window() == 0 &&
      now - h.announced_at_ms() < kMinChangeMs) {
    return std::nullopt;
  }
  return advice;
}

std::optional<v1::HallEvent::StaffingAdvised> StaffingAdvisor::Sets(
    const HallRules& rules, const StaffingPlan& plan, const WindowBoard& board,
    v1::HallEvent::StaffingAdvised advice, int64_t now) const {
  const v1::HallState::AdviceHold& h = hold_;
  const auto open = [&](int32_t number) {
    const std::optional<int> w = rules.FindWindow(number);
    return w.has_value() && CountsAsOpen(board.window(*w).state);
  };
  // What is left of the advice held (one of a single window's, from ticks
  // before sets, is a set of one), unless done some other way (a standby
  // clerk opened the window; the window to close was lost).
  std::vector<Advised::Opening> held_open;
  std::vector<int32_t> held_close;
  if (last_advice_.openings_size() > 0 || last_advice_.closings_size() > 0) {
    held_open.assign(last_advice_.openings().begin(),
                     last_advice_.openings().end());
    held_close.assign(last_advice_.closings().begin(),
                      last_advice_.closings().end());
  } else {
    if (last_advice_.open_window() != 0) {
      held_open.emplace_back();
      held_open.back().set_window(last_advice_.open_window());
      held_open.back().set_for_service(last_advice_.open_for_service());
    }
    if (last_advice_.close_window() != 0) {
      held_close.push_back(last_advice_.close_window());
    }
  }
  std::vector<Advised::Opening> to_open;
  for (const Advised::Opening& o : held_open) {
    if (!open(o.window())) to_open.push_back(o);
  }
  std::vector<int32_t> to_close;
  for (const int32_t c : held_close) {
    if (open(c)) to_close.push_back(c);
  }
  // (A single window's held from before sets is told again as a set.)
  const bool held_stands =
      last_advice_.openings_size() == static_cast<int>(to_open.size()) &&
      last_advice_.closings_size() == static_cast<int>(to_close.size());
  const bool settled = now - h.announced_at_ms() >= kMinChangeMs;
  const bool opening_wanted = plan.open < plan.recommended_open;
  // Whether the advice held stays as it is (what is left of it).
  bool keep = false;
  std::vector<Advised::Opening> opens;
  std::vector<int32_t> closes;
  if (!to_open.empty()) {
    if (plan.open >= plan.open_to) {
      // No longer wanted, margin included: withdrawn once settled.
      keep = !settled;
    } else if (plan.open + static_cast<int>(to_open.size()) <
                   plan.recommended_open &&
               plan.open_set.size() > to_open.size()) {
      // All of it would leave the hall short of its bare need: it grows at
      // once (what it says is too little, not a change of mind).
      for (const StaffingPlan::Opening& o : plan.open_set) {
        opens.emplace_back();
        opens.back().set_window(rules.windows()[o.window].number);
        opens.back().set_for_service(rules.services()[o.service].code);
      }
    } else {
      keep = true;
    }
  } else if (!to_close.empty()) {
    keep = !opening_wanted && plan.held_close_holds;
  }
  if (keep) {
    if (held_stands) return std::nullopt;
    SetWindows(std::move(to_open), std::move(to_close), &advice);
    return advice;
  }
  const bool dismissed =
      h.dismissed_at_ms() > 0 && now - h.dismissed_at_ms() < kDismissMs;
  // A dismissal from before sets named one window.
  const size_t dismissed_opens = static_cast<size_t>(
      std::max(h.dismissed_opens(), h.dismissed_open_window() != 0 ? 1 : 0));
  const size_t dismissed_closes = static_cast<size_t>(
      std::max(h.dismissed_closes(), h.dismissed_close_window() != 0 ? 1 : 0));
  if (opens.empty() && opening_wanted && !plan.open_set.empty() &&
      !(dismissed && plan.open_set.size() <= dismissed_opens)) {
    for (const StaffingPlan::Opening& o : plan.open_set) {
      opens.emplace_back();
      opens.back().set_window(rules.windows()[o.window].number);
      opens.back().set_for_service(rules.services()[o.service].code);
    }
  }
  if (opens.empty() && !opening_wanted && !plan.close_set.empty() &&
      !(h.open_advised_at_ms() > 0 &&
        now - h.open_advised_at_ms() < kCloseAfterOpenMs) &&
      !(dismissed && plan.close_set.size() <= dismissed_closes)) {
    for (const int w : plan.close_set) {
      closes.push_back(rules.windows()[w].number);
    }
  }
  if (opens.empty() && closes.empty() && Empty(last_advice_)) {
    return std::nullopt;
  }
  // Told in the order of the windows' numbers, as a manager reads them.
  std::sort(opens.begin(), opens.end(),
            [](const Advised::Opening& a, const Advised::Opening& b) {
              return a.window() < b.window();
            });
  std::sort(closes.begin(), closes.end());
  SetWindows(std::move(opens), std::move(closes), &advice);
  return advice;
}

void StaffingAdvisor::Advise(const HallRules& rules, const StaffingPlan& plan,
                             const WindowBoard& board, AdviceRules rules_of,
                             EventLog* log, int64_t now, Outcome* out) {
  // Every tick, so that nothing changes without an event (the journal keeps
  // only ticks that emitted some); announced only when the advice changes.
  v1::HallEvent::StaffingAdvised advice;
  advice.set_recommended_open_windows(plan.recommended_open);
  advice.set_open_windows(board.open_windows());
  if (rules_of == AdviceRules::kWindowSets) {
    std::optional<v1::HallEvent::StaffingAdvised> changed =
        Sets(rules, plan, board, std::move(advice), now);
    if (changed) Announce(rules, *std::move(changed), true, log, now, out);
    return;
  }
  const bool steady = rules_of == AdviceRules::kSteady;
  if (plan.open_window >= 0) {
    advice.set_open_window(rules.windows()[plan.open_window].number);
    advice.set_open_for_service(rules.services()[plan.open_for_service].code);
  }
  const int close = steady ? plan.steady_close_window : plan.close_window;
  if (close >= 0) advice.set_close_window(rules.windows()[close].number);
  if (steady) {
    std::optional<v1::HallEvent::StaffingAdvised> changed =
        Steady(rules, board, std::move(advice), now);
    if (!changed) return;
    Announce(rules, *std::move(changed), true, log, now, out);
    return;
  }
  // Announced when what to do changes, not when a count moves by one.
  if (advice.open_window() == last_advice_.open_window() &&
      advice.open_for_service() == last_advice_.open_for_service() &&
      advice.close_window() == last_advice_.close_window()) {
    return;
  }
  Announce(rules, std::move(advice), false, log, now, out);
}

void StaffingAdvisor::Announce(const HallRules& rules,
                               v1::HallEvent::StaffingAdvised advice,
                               bool steady, EventLog* log, int64_t now,
                               Outcome* out) {
  const std::optional<int> service =
      advice.open_window() != 0 ? rules.FindService(advice.open_for_service())
                                : std::nullopt;
  advice.set_text(
      advice.openings_size() > 0 || advice.closings_size() > 0
          ? SetText(rules, advice)
          : AdviceText(
                rules.config().language(), service ? advice.open_window() : 0,
                service ? absl::string_view(rules.services()[*service].name)
                        : absl::string_view(),
                advice.close_window()));
  // A new window to open is a new advice; the same window for another
  // service is the same advice, its clock running on.
  v1::HallState::AdviceFollowing& f = following_;
  if (advice.open_window() == 0) {
    f.set_open_advised_at_ms(0);
  } else if (f.open_advised_at_ms() == 0 ||
             advice.open_window() != last_advice_.open_window()) {
    f.set_opens_advised(f.opens_advised() + 1);
    f.set_open_advised_at_ms(now);
  }
  if (steady) {
    hold_.set_announced_at_ms(now);
    if (advice.open_window() != 0) hold_.set_open_advised_at_ms(now);
  }
  last_advice_ = advice;
  *log->Emit(v1::HallEvent::kStaffingAdvised, now, out)
       ->mutable_staffing_advised() = std::move(advice);
}

absl::Status StaffingAdvisor::Dismiss(const HallRules& rules,
                                      const v1::Command::DismissAdvice& c,
                                      EventLog* log, int64_t now,
                                      Outcome* out) {
  RETURN_IF_ERROR(
      CheckText(c.supervisor_id(), "supervisor_id", true, kMaxIdLength));
  if (last_advice_.open_window() == 0 && last_advice_.close_window() == 0) {
    return absl::FailedPreconditionError("there is no staffing advice now");
  }
  if (c.since_unix_ms() != 0
          ? c.since_unix_ms() != hold_.announced_at_ms()
          : c.open_window() != last_advice_.open_window() ||
                c.close_window() != last_advice_.close_window()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the staffing advice is now: ", last_advice_.text()));
  }
  hold_.set_dismissed_open_window(last_advice_.open_window());
  hold_.set_dismissed_close_window(last_advice_.close_window());
  hold_.set_dismissed_opens(last_advice_.openings_size());
  hold_.set_dismissed_closes(last_advice_.closings_size());
  hold_.set_dismissed_at_ms(now);
  v1::HallEvent::StaffingAdvised advice;
  advice.set_recommended_open_windows(last_advice_.recommended_open_windows());
  advice.set_open_windows(last_advice_.open_windows());
  advice.set_dismissed_by(c.supervisor_id());
  Announce(rules, std::move(advice), true, log, now, out);
  return absl::OkStatus();
}

void StaffingAdvisor::Save(v1::HallState* state) const {
  *state->mutable_last_advice() = last_advice_;
  *state->mutable_advice_following() = following_;
  *state->mutable_advice_hold() = hold_;
}

absl::Status StaffingAdvisor::Restore(const HallRules& rules,
                                      const v1::HallState& state) {
  last_advice_ = state.last_advice();
  following_ = state.advice_following();
  hold_ = state.advice_hold();
  const v1::HallState::AdviceHold& h = state.advice_hold();
  if (h.announced_at_ms() < 0 || h.open_advised_at_ms() < 0 ||
      h.dismissed_at_ms() < 0 || h.dismissed_open_window() < 0 ||
      h.dismissed_close_window() < 0 || h.dismissed_opens() < 0 ||
      h.dismissed_closes() < 0) {
    return CorruptSnapshot("advice hold");
  }
  // A held advice on a window this hall lacks is void (a new configuration
  // removed it): dropped, and the next steady tick tells what the hall
  // needs. (The advice of older journals holds nothing, and stays as it is
  // for their replay.)
  bool lacking = false;
  const auto lacks = [&](int32_t number) {
    lacking |= number != 0 && !rules.FindWindow(number).has_value();
  };
  lacks(last_advice_.open_window());
  lacks(last_advice_.close_window());
  for (const Advised::Opening& o : last_advice_.openings()) lacks(o.window());
  for (const int32_t c : last_advice_.closings()) lacks(c);
  if (h.announced_at_ms() > 0 && lacking) {
    last_advice_.Clear();
    hold_.set_announced_at_ms(0);
  }
  const v1::HallState::AdviceFollowing& f = state.advice_following();
  if (f.opens_advised() < 0 || f.opens_followed() < 0 ||
      f.opens_followed() > f.opens_advised() || f.follow_delay_total_ms() < 0 ||
      f.open_advised_at_ms() < 0) {
    return CorruptSnapshot("advice following");
  }
  return absl::OkStatus();
}

void StaffingAdvisor::AddViews(const HallRules& rules, const StaffingPlan& plan,
                               v1::HallView* view) const {
  for (size_t s = 0; s < rules.services().size(); ++s) {
    v1::HallView::ServiceView* v = view->mutable_services(static_cast<int>(s));
    v->set_arrivals_per_hour(plan.services[s].arrivals_per_second * 3600.0);
    v->set_needed_windows(plan.services[s].needed);
  }
  view->set_recommended_open_windows(plan.recommended_open);
  if (hold_.announced_at_ms() > 0) {
    // The steady advice: what the duty manager was told, until done.
    if (last_advice_.open_window() == 0 && last_advice_.close_window() == 0) {
      return;
    }
    v1::HallView::StaffingAdvice* advice = view->mutable_advice();
    advice->set_open_window(last_advice_.open_window());
    advice->set_open_for_service(last_advice_.open_for_service());
    advice->set_close_window(last_advice_.close_window());
    advice->set_since_unix_ms(hold_.announced_at_ms());
    for (const Advised::Opening& o : last_advice_.openings()) {
      v1::HallView::StaffingAdvice::Opening* v = advice->add_openings();
      v->set_window(o.window());
      v->set_for_service(o.for_service());
    }
    *advice->mutable_closings() = last_advice_.closings();
    return;
  }
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

bool StaffingAdvisor::OpensFor(const HallRules& rules, int service) const {
  if (hold_.announced_at_ms() == 0) return false;
  for (const Advised::Opening& o : last_advice_.openings()) {
    const std::optional<int> w = rules.FindWindow(o.window());
    if (!w) continue;
    for (const ServedService& served : rules.windows()[*w].serves) {
      if (served.service == service && served.share_permille > 0) return true;
    }
  }
  return false;
}

}  // namespace qcall
