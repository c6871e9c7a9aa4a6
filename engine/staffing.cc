#include "engine/staffing.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "engine/erlang_c.h"

namespace qcall {
namespace {

// A window closes only if what stays open would also do for this many times
// the customers: the gap between opening and closing, so a window opened
// for a load is not closed the moment the load dips. (Measured on the demo
// day, docs/staffing.md: 1.0 means twice the announcements, 1.25 five
// window-hours a day more than Erlang C needs.)
constexpr double kCloseMargin = 1.1;
// The steady advice's (StaffingPlan::steady_close_window): a closing a duty
// manager is told of is one the hall can keep for a while, not one the next
// small rise undoes (docs/staffing.md measured 1.1-1.5).
constexpr double kSteadyCloseMargin = 1.5;

// Windows for `load` to meet the target; a service without a target only
// has to keep up.
int ComputeNeeded(double arrivals, double handling, double target_wait,
                  double share) {
  if (arrivals <= 0 || handling <= 0) return 0;
  const ErlangC queue(arrivals, handling);
  if (target_wait <= 0) {
    return static_cast<int>(std::floor(queue.offered_load())) + 1;
  }
  return queue.LeastServers(target_wait, share);
}

// The same, from `memo` where it has the answer in `slot`.
int Needed(StaffingMemo* memo, size_t slot, double arrivals, double handling,
           double target_wait, double share) {
  const auto compute = [&] {
    return ComputeNeeded(arrivals, handling, target_wait, share);
  };
  if (memo == nullptr) return compute();
  return memo->Needed(slot, arrivals, handling, target_wait, share, compute);
}

// Services linked through a window that serves both share one group.
std::vector<int> Groups(const StaffingInput& input) {
  const int n = static_cast<int>(input.services.size());
  std::vector<int> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](int x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (const StaffingInput::Window& w : input.windows) {
    int first = -1;
    for (int s = 0; s < n && s < static_cast<int>(w.share.size()); ++s) {
      if (w.share[s] <= 0) continue;
      if (first < 0) {
        first = s;
      } else {
        parent[find(s)] = find(first);
      }
    }
  }
  std::vector<int> group(n);
  for (int s = 0; s < n; ++s) group[s] = find(s);
  return group;
}

// Windows that clear `waiting` customers within `target_wait` seconds.
int ToClear(int waiting, double handling, double target_wait) {
  if (waiting <= 0 || target_wait <= 0) return 0;
  return static_cast<int>(std::ceil(waiting * handling / target_wait));
}

// Windows a group needs: Erlang C for its pooled arrivals (times
// `load_factor`) at its strictest target, or what clears its line, if more.
int GroupNeed(const StaffingInput& input, const std::vector<int>& group, int g,
              double load_factor, StaffingMemo* memo, size_t slot) {
  double arrivals = 0, work = 0, target = 0, backlog = 0;
  bool any = false;
  for (size_t s = 0; s < input.services.size(); ++s) {
    if (group[s] != g) continue;
    const StaffingInput::Service& in = input.services[s];
    arrivals += load_factor * in.arrivals_per_second;
    work += load_factor * in.arrivals_per_second * in.mean_handling_seconds;
    if (in.target_wait_seconds > 0) {
      backlog += in.waiting * in.mean_handling_seconds / in.target_wait_seconds;
    }
    if (in.target_wait_seconds > 0 && in.arrivals_per_second > 0) {
      target = any ? std::min(target, in.target_wait_seconds)
                   : in.target_wait_seconds;
      any = true;
    }
  }
  int need = static_cast<int>(std::ceil(backlog));
  if (arrivals > 0) {
    need = std::max(need, Needed(memo, slot, arrivals, work / arrivals, target,
                                 input.target_share));
  }
  return need;
}

}  // namespace

StaffingPlan PlanStaffing(const StaffingInput& input, StaffingMemo* memo) {
  const int n = static_cast<int>(input.services.size());
  StaffingPlan plan;
  plan.services.resize(n);
  for (int s = 0; s < n; ++s) {
    const StaffingInput::Service& in = input.services[s];
    StaffingPlan::Service& out = plan.services[s];
    out.arrivals_per_second = in.arrivals_per_second;
    out.offered_load = in.arrivals_per_second * in.mean_handling_seconds;
    out.needed = std::max(
        Needed(memo, static_cast<size_t>(s), in.arrivals_per_second,
               in.mean_handling_seconds, in.target_wait_seconds,
               input.target_share),
        ToClear(in.waiting, in.mean_handling_seconds, in.target_wait_seconds));
  }
  for (const StaffingInput::Window& w : input.windows) {
    if (!w.open) continue;
    ++plan.open;
    for (int s = 0; s < n && s < static_cast<int>(w.share.size()); ++s) {
      plan.services[s].open_capacity += w.share[s];
    }
  }

  // Pooled need per group of linked services, for the load as observed and
  // for a closing margin more.
  const std::vector<int> group = Groups(input);
  std::vector<int> group_need(n, 0), group_keep(n, 0), group_keep_steady(n, 0),
      group_open(n, 0);
  for (int g = 0; g < n; ++g) {
    // Memo slots: each service's own need, then each group's three.
    const size_t slot = static_cast<size_t>(n + 3 * g);
    group_need[g] = GroupNeed(input, group, g, 1.0, memo, slot);
    group_keep[g] = GroupNeed(input, group, g, kCloseMargin, memo, slot + 1);
    group_keep_steady[g] =
        GroupNeed(input, group, g, kSteadyCloseMargin, memo, slot + 2);
  }
  std::vector<int> window_group(input.windows.size(), -1);
  for (size_t w = 0; w < input.windows.size(); ++w) {
    const StaffingInput::Window& window = input.windows[w];
    for (int s = 0; s < n && s < static_cast<int>(window.share.size()); ++s) {
      if (window.share[s] > 0) window_group[w] = group[s];
    }
    if (window.open && window_group[w] >= 0) ++group_open[window_group[w]];
  }
  plan.recommended_open = std::max(
      input.min_open, std::accumulate(group_need.begin(), group_need.end(), 0));

  // Close the idle window (or the one named before) whose services keep the
  // most headroom, if its group would still have what it needs with
  // `margin` times the customers (`keep`: each group's need then) and each
  // of its services would still keep up with that many. Headroom is
  // relative (windows left per erlang), so a quiet service's spare window
  // goes before a busy one's.
  const auto choose_close = [&](double margin, const std::vector<int>& keep) {
    int close = -1;
    double best = 0;
    for (int w = 0; w < static_cast<int>(input.windows.size()); ++w) {
      const StaffingInput::Window& window = input.windows[w];
      const int g = window_group[w];
      const bool named = w == input.named_to_close;
      if (!window.open || !(window.idle || named) || g < 0 ||
          group_open[g] - 1 < keep[g]) {
        continue;
      }
      double headroom = std::numeric_limits<double>::infinity();
      for (int s = 0; s < n && s < static_cast<int>(window.share.size()); ++s) {
        if (window.share[s] <= 0) continue;
        const StaffingInput::Service& in = input.services[s];
        const double left = plan.services[s].open_capacity - window.share[s];
        const double load = margin * plan.services[s].offered_load;
        if (left <= 0 && (in.arrivals_per_second > 0 || in.waiting > 0)) {
          headroom = 0;  // It would leave the service without a window.
        } else if (load > 0) {
          headroom = std::min(headroom, left / load);
        }
      }
      if (headroom >= 1 && (named || headroom > best)) {
        best = named ? std::numeric_limits<double>::infinity() : headroom;
        close = w;
      }
    }
    return close;
  };

  // Advice: the service furthest below its need (or, when none is, nearest
  // to it) gets the closed window that gives it the most time.
  if (plan.open < plan.recommended_open) {
    double worst = -1e18;
    for (int s = 0; s < n; ++s) {
      const double gap =
          plan.services[s].needed - plan.services[s].open_capacity;
      if (gap > worst) {
        worst = gap;
        plan.open_for_service = s;
      }
    }
    double best = 0;
    for (int w = 0; w < static_cast<int>(input.windows.size()); ++w) {
      const StaffingInput::Window& window = input.windows[w];
      const int s = plan.open_for_service;
      if (window.open || s < 0 || s >= static_cast<int>(window.share.size())) {
        continue;
      }
      if (window.share[s] > best) {
        best = window.share[s];
        plan.open_window = w;
      }
    }
    if (plan.open_window < 0) {
      // Nobody closed serves it: the closed window that serves most.
      double most = 0;
      for (int w = 0; w < static_cast<int>(input.windows.size()); ++w) {
        if (input.windows[w].open) continue;
        double total = 0;
        for (double share : input.windows[w].share) total += share;
        if (total > most) {
          most = total;
          plan.open_window = w;
        }
      }
      if (plan.open_window < 0) plan.open_for_service = -1;
    }
  } else if (plan.open > input.min_open) {
    plan.close_window = choose_close(kCloseMargin, group_keep);
    plan.steady_close_window =
        choose_close(kSteadyCloseMargin, group_keep_steady);
  }
  return plan;
}

}  // namespace qcall
