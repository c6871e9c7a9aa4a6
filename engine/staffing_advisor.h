// StaffingAdvisor owns the staffing advice: the plan for the hall as it is
// (engine/staffing.h does the queueing), the advice last announced, and
// whether clerks follow it: how many advices to open a window were followed
// today, and how long the clerks took. Where they do follow it, the wait
// estimator counts on the window the advice names opening.
//
//   const StaffingPlan plan = advisor.Plan(hall, now, arrivals);
//   advisor.Advise(rules, plan, board.open_windows(), &log, now, &out);
//   ...
//   advisor.NoteWindowOpened(number, now);  // An OpenWindow or ResumeWindow.
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

class StaffingAdvisor {
 public:
  // An advice to open a window counts as followed when that window opens
  // (or resumes) within this long; later it was not.
  static constexpr int64_t kAdviceAnswerMs = 15 * 60 * 1000;

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

  // Window `number` opened or resumed.
  void NoteWindowOpened(int32_t number, int64_t now);
  // On a tick: announces the plan's advice when what to do changes.
  void Advise(const HallRules& rules, const StaffingPlan& plan,
              int open_windows, EventLog* log, int64_t now, Outcome* out);
  // How promptly advice is followed is learnt afresh each day, like the
  // handling times; yesterday's advice is no longer waiting to be followed.
  void StartDay() { following_.Clear(); }

  void Save(v1::HallState* state) const;
  absl::Status Restore(const v1::HallState& state);
  // The plan's advice and each service's arrivals and needed windows.
  static void AddViews(const HallRules& rules, const StaffingPlan& plan,
                       v1::HallView* view);

 private:
  // A plan with what it was made from but the window shares, which are
  // the config's and do not change.
  struct Made {
    bool valid = false;
    std::vector<StaffingInput::Service> services;
    std::vector<uint8_t> windows;  // Bit 0: open, bit 1: idle.
    int min_open = 0;
    int named_to_close = -1;
    StaffingPlan plan;
  };
  static bool MadeFrom(const Made& made, const StaffingInput& input);

  v1::HallEvent::StaffingAdvised last_advice_;
  v1::HallState::AdviceFollowing following_;
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
