// StaffingAdvisor owns the staffing advice: the plan for the hall as it is
// (engine/staffing.h does the queueing), the advice last announced, and
// whether clerks follow it: how many advices to open a window were followed
// today, and how long the clerks took. Where they do follow it, the wait
// estimator counts on the window the advice names opening.
//
//   const StaffingPlan plan = advisor.Plan(hall, now, arrivals);
//   advisor.Advise(rules, plan, board.open_windows(), &log, now, &out);
//   ...
//   advisor.NoteWindowOpened(rules, number, now);  // OpenWindow, ResumeWindow.
//
// The steady advice (ticks with Command.Tick.steady_advice; the advice of
// older journals is told at every change of the plan, and replays so): what
// a duty manager is told is one action, which holds until it is done (that
// window opens or closes: no further word, the window's event says it) or
// dismissed. Only the action counts: while the plan wants a window opened
// and the one named is still closed, the advice stands, whichever window or
// service the plan names now (and the same for closing). An opening the plan
// no longer wants is withdrawn only kMinChangeMs after it was told; a
// closing that no longer holds goes at once, and so does one in the way of
// an opening. A closing is advised only with 50 % more customers kept
// (StaffingPlan::steady_close_window) and not within kCloseAfterOpenMs of
// the last opening advised: the hysteresis between the two. A dismissed
// action is not advised again for kDismissMs.
//
// The steady advice on sets (Tick.ADVICE_RULES_WINDOW_SETS, qcalld's): the
// same, on a set of windows. When fewer windows are open than the load needs,
// the advice is to open every window that takes the hall to what 50 % more
// customers need (StaffingPlan::open_to); a closing names every window that
// can close with the steady margin. Each window opened or closed leaves the
// rest of the advice standing without a word (a manager who opens 2 of 3 is
// still shown the third); it is done when all are. An opening grows (at once)
// only when even all of it would leave the hall short of the bare need; it
// is withdrawn when the plan, margin included, no longer wants a window, no
// sooner than kMinChangeMs after it was told. A closing goes at once when
// closing all it names would leave the hall short (no margin), or an opening
// is wanted. A dismissed action stays away kDismissMs unless the plan comes
// to want more windows of it than the dismissed advice named.
#ifndef QCALL_ENGINE_STAFFING_ADVISOR_H_
#define QCALL_ENGINE_STAFFING_ADVISOR_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "engine/hall_parts.h"
#include "engine/hall_rules.h"
#include "engine/outcome.h"
#include "engine/staffing.h"
#include "qcall/v1/engine.pb.h"

namespace qcall {

// Which advice a tick gives (Command.Tick.advice_rules, or steady_advice in
// ticks journaled before it).
enum class AdviceRules { kEveryChange, kSteady, kWindowSets };
AdviceRules AdviceRulesOf(const v1::Command::Tick& tick);

class StaffingAdvisor {
 public:
  // An advice to open a window counts as followed when that window opens
  // (or resumes) within this long; later it was not.
  static constexpr int64_t kAdviceAnswerMs = 15 * 60 * 1000;
  // The steady advice's timings (measured on the demo day: docs/staffing.md).
  static constexpr int64_t kMinChangeMs = 10 * 60 * 1000;
  static constexpr int64_t kCloseAfterOpenMs = 60 * 60 * 1000;
  static constexpr int64_t kDismissMs = 30 * 60 * 1000;

  // The window shares of `rules`, which stay the advisor's for its life (a
  // new configuration makes a new hall).
  explicit StaffingAdvisor(const HallRules& rules);

  // The staffing plan for `arrivals` (ServiceStats::ArrivalsPerSecond,
  // which a tick already has) and the hall as it is now. A walk-in of
  // service `also_waiting` not issued yet counts as waiting. Valid until
  // the next call.
  //
  // A plan depends on nothing but its input, so the plan made last from
  // the same input (bit for bit) is returned again instead of made anew:
  // within a command and time the estimates, the view and the tick share
  // one plan per walk-in service asked about, whatever changed in between
  // and however they are called. One thread at a time, as the hall.
  const StaffingPlan& Plan(const HallParts& hall, int64_t now,
                           const std::vector<double>& arrivals,
                           int also_waiting = -1) const;

  // Where clerks follow the advice to open a window (today at least two
  // such advices and at least half of them were followed), the window the
  // advice names now and when it will be open: after the day's mean delay
  // from the advice. For a ticket of `service` (`walk_in`: not issued yet,
  // so the plan counts one more waiting); only a window that serves it.
  struct Opening {
    int window = -1;
    int64_t at_ms = 0;
  };
  std::optional<Opening> ExpectedOpening(const HallParts& hall, int64_t now,
                                         const std::vector<double>& arrivals,
                                         int service, bool walk_in) const;

  // Window `number` opened or resumed: a steady advice to open it is done.
  void NoteWindowOpened(const HallRules& rules, int32_t number, int64_t now);
  // Window `number` closed: a steady advice to close it is done.
  void NoteWindowClosed(const HallRules& rules, int32_t number);
  // On a tick: announces the plan's advice when what to do changes, or
  // (`steady`) as the steady advice above says.
  void Advise(const HallRules& rules, const StaffingPlan& plan,
              const WindowBoard& board, AdviceRules advice, EventLog* log,
              int64_t now, Outcome* out);
  // Whether the advice held (on sets) opens a window that serves `service`:
  // it answers that service's growing queue already.
  bool OpensFor(const HallRules& rules, int service) const;
  // A supervisor dismisses the advice announced (FAILED_PRECONDITION when
  // `c` names another action, or there is none).
  absl::Status Dismiss(const HallRules& rules,
                       const v1::Command::DismissAdvice& c, EventLog* log,
                       int64_t now, Outcome* out);
  // How promptly advice is followed is learnt afresh each day, like the
  // handling times; yesterday's advice is no longer waiting to be followed.
  void StartDay() { following_.Clear(); }

  void Save(v1::HallState* state) const;
  // A held advice naming a window `rules` lack (a snapshot from another
  // configuration) is dropped, as a reconfiguration drops it: the next
  // steady tick tells what this hall needs.
  absl::Status Restore(const HallRules& rules, const v1::HallState& state);
  // The advice (the steady advice announced, or the plan's) and each
  // service's arrivals and needed windows.
  void AddViews(const HallRules& rules, const StaffingPlan& plan,
                v1::HallView* view) const;

 private:
  // A plan with what it was made from but the window shares, which are
  // the config's and do not change.
  struct Made {
    bool valid = false;
    std::vector<StaffingInput::Service> services;
    std::vector<uint8_t> windows;  // Bit 0: open, bit 1: idle.
    int min_open = 0;
    int named_to_close = -1;
    std::vector<int> held_close;
    StaffingPlan plan;
  };
  static bool MadeFrom(const Made& made, const StaffingInput& input);
  // The steady advice's rules: the advice to announce instead of
  // last_advice_, or nullopt to keep it.
  std::optional<v1::HallEvent::StaffingAdvised> Steady(
      const HallRules& rules, const WindowBoard& board,
      v1::HallEvent::StaffingAdvised advice, int64_t now) const;
  // The steady advice on sets: the same for sets of windows.
  std::optional<v1::HallEvent::StaffingAdvised> Sets(
      const HallRules& rules, const StaffingPlan& plan,
      const WindowBoard& board, v1::HallEvent::StaffingAdvised advice,
      int64_t now) const;
  // Announces `advice` (its text set here) and remembers it.
  // `steady`: under the steady advice's rules (holds from now).
  void Announce(const HallRules& rules, v1::HallEvent::StaffingAdvised advice,
                bool steady, EventLog* log, int64_t now, Outcome* out);

  v1::HallEvent::StaffingAdvised last_advice_;
  v1::HallState::AdviceFollowing following_;
  v1::HallState::AdviceHold hold_;
  // The input of the plan being asked for, its window shares filled once.
  mutable StaffingInput input_;
  // The last plan made for each `also_waiting` + 1 (the hall's as it is,
  // then each service's walk-in), which a view asks for at every refresh.
  mutable std::vector<Made> made_;
  // What the plans' queueing had worked out, for the next plan.
  mutable StaffingMemo memo_;
};

}  // namespace qcall

#endif  // QCALL_ENGINE_STAFFING_ADVISOR_H_
