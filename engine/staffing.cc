#include "engine/staffing.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine/erlang_c.h"

namespace qcall {
namespace {

// Windows for `load` to meet the target; a service without a target only
// has to keep up.
int Needed(double arrivals, double handling, double target_wait, double share) {
  if (arrivals <= 0 || handling <= 0) return 0;
  const ErlangC queue(arrivals, handling);
  if (target_wait <= 0) {
    return static_cast<int>(std::floor(queue.offered_load())) + 1;
  }
  return queue.LeastServers(target_wait, share);
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

}  // namespace

StaffingPlan PlanStaffing(const StaffingInput& input) {
  const int n = static_cast<int>(input.services.size());
  StaffingPlan plan;
  plan.services.resize(n);
  for (int s = 0; s < n; ++s) {
    const StaffingInput::Service& in = input.services[s];
    StaffingPlan::Service& out = plan.services[s];
    out.arrivals_per_second = in.arrivals_per_second;
    out.offered_load = in.arrivals_per_second * in.mean_handling_seconds;
    out.needed = std::max(
        Needed(in.arrivals_per_second, in.mean_handling_seconds,
               in.target_wait_seconds, input.target_share),
        ToClear(in.waiting, in.mean_handling_seconds, in.target_wait_seconds));
  }
  for (const StaffingInput::Window& w : input.windows) {
    if (!w.open) continue;
    ++plan.open;
    for (int s = 0; s < n && s < static_cast<int>(w.share.size()); ++s) {
      plan.services[s].open_capacity += w.share[s];
    }
  }

  // Pooled need per group of linked services.
  const std::vector<int> group = Groups(input);
  int pooled = 0;
  for (int g = 0; g < n; ++g) {
    double arrivals = 0, work = 0, target = 0, backlog = 0;
    bool any = false;
    for (int s = 0; s < n; ++s) {
      if (group[s] != g) continue;
      const StaffingInput::Service& in = input.services[s];
      arrivals += in.arrivals_per_second;
      work += in.arrivals_per_second * in.mean_handling_seconds;
      if (in.target_wait_seconds > 0) {
        backlog +=
            in.waiting * in.mean_handling_seconds / in.target_wait_seconds;
      }
      if (in.target_wait_seconds > 0 && in.arrivals_per_second > 0) {
        target = any ? std::min(target, in.target_wait_seconds)
                     : in.target_wait_seconds;
        any = true;
      }
    }
    int group_need = static_cast<int>(std::ceil(backlog));
    if (arrivals > 0) {
      group_need = std::max(group_need, Needed(arrivals, work / arrivals,
                                               target, input.target_share));
    }
    pooled += group_need;
  }
  plan.recommended_open = std::max(input.min_open, pooled);

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
  } else if (plan.open > plan.recommended_open) {
    // An idle window whose every service keeps its need without it.
    for (int w = 0; w < static_cast<int>(input.windows.size()); ++w) {
      const StaffingInput::Window& window = input.windows[w];
      if (!window.open || !window.idle) continue;
      bool spare = true;
      for (int s = 0; s < n && s < static_cast<int>(window.share.size()); ++s) {
        if (window.share[s] > 0 &&
            plan.services[s].open_capacity - window.share[s] <
                plan.services[s].needed) {
          spare = false;
        }
      }
      if (spare) {
        plan.close_window = w;
        break;
      }
    }
  }
  return plan;
}

}  // namespace qcall
