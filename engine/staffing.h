// Staffing: how many windows a hall needs now, from Erlang C, and which
// window to open or close. Pure: the hall passes its observed load.
//
// Windows serving several services are shared by weight (a window giving
// BILL 2/3 of its time counts as 2/3 of a BILL window). The hall's total
// comes from pooling: services linked by shared windows form one M/M/s
// group (arrivals added, handling time averaged by arrivals) held to the
// strictest target among them. Pooling is what a shared window does, so the
// total is close; the per-service needs ignore it and so err high, which is
// the side to err on when choosing the next window to open.
//
//   StaffingPlan plan = PlanStaffing(input);
//   plan.recommended_open;   // never below the hall's minimum
#ifndef QCALL_ENGINE_STAFFING_H_
#define QCALL_ENGINE_STAFFING_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace qcall {

struct StaffingInput {
  struct Service {
    double arrivals_per_second = 0;
    double mean_handling_seconds = 0;
    // Customers should wait at most this long; 0: no target (the service
    // only needs to keep up).
    double target_wait_seconds = 0;
    // Waiting now. Erlang C is the steady state; a line already long needs
    // the windows that clear it within the target as well.
    int waiting = 0;
  };
  struct Window {
    // This window's share of its time per service (index as `services`).
    std::vector<double> share;
    bool open = false;
    // Open and holding nobody. Only idle windows are advised to close, and
    // the one named before (see named_to_close).
    bool idle = false;
  };
  std::vector<Service> services;
  std::vector<Window> windows;
  int min_open = 0;
  // The window the last advice said could close, or -1. While it still may
  // close it is named again, even as it serves a last customer (its clerk
  // closes after), so the advice does not hop from window to window.
  int named_to_close = -1;
  // The windows the steady advice on sets said could close (indexes into
  // `windows`, in no order), each named as named_to_close is.
  std::vector<int> held_close;
  // The share of customers to serve within the target (e.g. 0.8).
  double target_share = 0.8;
};

struct StaffingPlan {
  struct Service {
    double arrivals_per_second = 0;
    double offered_load = 0;   // Windows busy on average (erlangs).
    int needed = 0;            // Windows it needs alone.
    double open_capacity = 0;  // Open windows' shares of it.
  };
  std::vector<Service> services;
  // Pooled need of all groups; at least the minimum of open windows.
  int recommended_open = 0;
  int open = 0;
  // -1 when there is nothing to advise. Open: the closed window that serves
  // the most short service. Close: the idle (or already named) window whose
  // services keep the most headroom, when its group would still meet the
  // pooled need with 10 % more customers; ties go to the first window.
  int open_window = -1;
  int open_for_service = -1;
  int close_window = -1;
  // The same with a wider margin (50 % more customers): the steady advice's
  // (StaffingAdvisor), which a duty manager is told and should not see
  // undone soon.
  int steady_close_window = -1;
  // The steady advice on sets of windows (StaffingAdvisor): open windows the
  // load with 50 % more customers needs (never below the minimum), so the
  // hall gets ahead of a rising load instead of a window at a time; when
  // fewer than recommended_open are open, the windows to open to get there,
  // each for the service it is chosen for (as open_window, in turn), and
  // otherwise the windows that can close together with
  // steady_close_window's margin (as it, in turn, busy ones too: their
  // clerks close after the customer).
  struct Opening {
    int window = -1;
    int service = -1;
  };
  int open_to = 0;
  std::vector<Opening> open_set;
  std::vector<int> close_set;
  // Closing every window of StaffingInput::held_close still leaves each
  // group what it needs (no margin), each service that has customers a
  // window, and the minimum open.
  bool held_close_holds = false;
};

// What PlanStaffing may remember from one call to the next: the windows a
// load needs (Erlang C, linear in the load and the costliest part of a
// plan), by the exact figures they came from. A plan for a hall where one
// service's load changed then recomputes only that service's and its
// group's. Only an answer for the same figures, bit for bit, is reused, so
// a plan is the same with a memo or without.
class StaffingMemo {
 public:
  // The windows `arrivals` at `handling` need to meet `target_wait` for
  // `share` of them, from the one remembered in `slot` where its figures are
  // the same; `compute` otherwise.
  template <typename Compute>
  int Needed(size_t slot, double arrivals, double handling, double target_wait,
             double share, const Compute& compute);

 private:
  struct Need {
    bool valid = false;
    double figures[4] = {};
    int needed = 0;
  };
  std::vector<Need> needs_;
};

StaffingPlan PlanStaffing(const StaffingInput& input,
                          StaffingMemo* memo = nullptr);

template <typename Compute>
int StaffingMemo::Needed(size_t slot, double arrivals, double handling,
                         double target_wait, double share,
                         const Compute& compute) {
  if (slot >= needs_.size()) needs_.resize(slot + 1);
  Need& need = needs_[slot];
  const double figures[4] = {arrivals, handling, target_wait, share};
  if (need.valid && std::memcmp(need.figures, figures, sizeof figures) == 0) {
    return need.needed;
  }
  need.needed = compute();
  std::memcpy(need.figures, figures, sizeof figures);
  need.valid = true;
  return need.needed;
}

}  // namespace qcall

#endif  // QCALL_ENGINE_STAFFING_H_
