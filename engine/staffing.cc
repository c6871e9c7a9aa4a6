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
// The steady advice on sets opens for this many times the customers
// (StaffingPlan::open_to): the hall gets ahead of a rising load, and what
// it opens is what a closing keeps (measured on the demo day, 1.2-1.5:
// docs/staffing.md).
constexpr double kOpenMargin = 1.5;
// Shares (permille) are far above this; a sum of them less the same is not.
constexpr double kNoShare = 1e-9;

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

  // Pooled need per group of linked services, for the load as observed, for
  // a closing margin more and for the opening margin.
  const std::vector<int> group = Groups(input);
  std::vector<int> group_need(n, 0), group_keep(n, 0), group_keep_steady(n, 0),
      group_open_to(n, 0), group_open(n, 0);
  for (int g = 0; g < n; ++g) {
    // Memo slots: each service's own need, then each group's four.
    const size_t slot = static_cast<size_t>(n + 4 * g);
    group_need[g] = GroupNeed(input, group, g, 1.0, memo, slot);
    group_keep[g] = GroupNeed(input, group, g, kCloseMargin, memo, slot + 1);
    group_keep_steady[g] =
        GroupNeed(input, group, g, kSteadyCloseMargin, memo, slot + 2);
    group_open_to[g] = GroupNeed(input, group, g, kOpenMargin, memo, slot + 3);
  }
  std::vector<int> window_group(input.windows.size(), -1);
  std::vector<bool> open(input.windows.size(), false);
  for (size_t w = 0; w < input.windows.size(); ++w) {
    const StaffingInput::Window& window = input.windows[w];
    for (int s = 0; s < n && s < static_cast<int>(window.share.size()); ++s) {
      if (window.share[s] > 0) window_group[w] = group[s];
    }
    open[w] = window.open;
    if (window.open && window_group[w] >= 0) ++group_open[window_group[w]];
  }
  plan.recommended_open = std::max(
      input.min_open, std::accumulate(group_need.begin(), group_need.end(), 0));
  plan.open_to =
      std::max(plan.recommended_open,
               std::accumulate(group_open_to.begin(), group_open_to.end(), 0));
  std::vector<bool> held(input.windows.size(), false);
  for (const int w : input.held_close) held[w] = true;
  std::vector<double> capacity(n);
  for (int s = 0; s < n; ++s) capacity[s] = plan.services[s].open_capacity;
  // Window `w` opens (`by` 1) or closes (-1) in a plan of several.
  const auto change = [&](int w, int by, std::vector<bool>* opened,
                          std::vector<int>* groups,
                          std::vector<double>* capacities) {
    (*opened)[w] = by > 0;
    if (window_group[w] >= 0) (*groups)[window_group[w]] += by;
    const std::vector<double>& share = input.windows[w].share;
    for (int s = 0; s < n && s < static_cast<int>(share.size()); ++s) {
      (*capacities)[s] += by * share[s];
    }
  };

  // Close the idle window (or one named before) whose services keep the
  // most headroom, if its group would still have what it needs with
  // `margin` times the customers (`keep`: each group's need then) and each
  // of its services would still keep up with that many. Headroom is
  // relative (windows left per erlang), so a quiet service's spare window
  // goes before a busy one's. `opened`, `groups` and `capacities`: the
  // windows open, per group and each service's share of them; `busy_too`:
  // a window serving someone may be named too (its clerk closes after).
  const auto choose_close = [&](double margin, const std::vector<int>& keep,
                                const std::vector<bool>& opened,
                                const std::vector<int>& groups,
                                const std::vector<double>& capacities,
                                bool busy_too) {
    int close = -1;
    double best = 0;
    for (int w = 0; w < static_cast<int>(input.windows.size()); ++w) {
      const StaffingInput::Window& window = input.windows[w];
      const int g = window_group[w];
      const bool named = w == input.named_to_close || held[w];
      if (!opened[w] || !(window.idle || named || busy_too) || g < 0 ||
          groups[g] - 1 < keep[g]) {
        continue;
      }
      double headroom = std::numeric_limits<double>::infinity();
      for (int s = 0; s < n && s < static_cast<int>(window.share.size()); ++s) {
        if (window.share[s] <= 0) continue;
        const StaffingInput::Service& in = input.services[s];
        const double left = capacities[s] - window.share[s];
        const double load = margin * plan.services[s].offered_load;
        // (Sums of shares taken away again may leave a rounding error.)
        if (left <= kNoShare &&
            (in.arrivals_per_second > 0 || in.waiting > 0)) {
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

  // The service furthest below its need (or, when none is, nearest to it)
  // gets the closed window that gives it the most time.
  const auto choose_open = [&](const std::vector<bool>& opened,
                               const std::vector<double>& capacities) {
    StaffingPlan::Opening opening;
    double worst = -1e18;
    for (int s = 0; s < n; ++s) {
      const double gap = plan.services[s].needed - capacities[s];
      if (gap > worst) {
        worst = gap;
        opening.service = s;
      }
    }
    double best = 0;
    for (int w = 0; w < static_cast<int>(input.windows.size()); ++w) {
      const StaffingInput::Window& window = input.windows[w];
      const int s = opening.service;
      if (opened[w] || s < 0 || s >= static_cast<int>(window.share.size())) {
        continue;
      }
      if (window.share[s] > best) {
        best = window.share[s];
        opening.window = w;
      }
    }
    if (opening.window < 0) {
      // Nobody closed serves it: the closed window that serves most.
      double most = 0;
      for (int w = 0; w < static_cast<int>(input.windows.size()); ++w) {
        if (opened[w]) continue;
        double total = 0;
        for (double share : input.windows[w].share) total += share;
        if (total > most) {
          most = total;
          opening.window = w;
        }
      }
      if (opening.window < 0) opening.service = -1;
    }
    return opening;
  };

  if (plan.open < plan.recommended_open) {
    const StaffingPlan::Opening first = choose_open(open, capacity);
    plan.open_window = first.window;
    plan.open_for_service = first.service;
    // The set: in turn, each window as if the ones before had opened.
    std::vector<bool> opened = open;
    std::vector<int> groups = group_open;
    std::vector<double> capacities = capacity;
    for (int count = plan.open; count < plan.open_to; ++count) {
      const StaffingPlan::Opening next = choose_open(opened, capacities);
      if (next.window < 0) break;
      plan.open_set.push_back(next);
      change(next.window, 1, &opened, &groups, &capacities);
    }
  } else if (plan.open > input.min_open) {
    plan.close_window = choose_close(kCloseMargin, group_keep, open, group_open,
                                     capacity, false);
    plan.steady_close_window =
        choose_close(kSteadyCloseMargin, group_keep_steady, open, group_open,
                     capacity, false);
    std::vector<bool> opened = open;
    std::vector<int> groups = group_open;
    std::vector<double> capacities = capacity;
    for (int count = plan.open; count > input.min_open; --count) {
      const int next = choose_close(kSteadyCloseMargin, group_keep_steady,
                                    opened, groups, capacities, true);
      if (next < 0) break;
      plan.close_set.push_back(next);
      change(next, -1, &opened, &groups, &capacities);
    }
  }

  // Whether the held windows can all still close, without a margin.
  if (!input.held_close.empty()) {
    std::vector<bool> opened = open;
    std::vector<int> groups = group_open;
    std::vector<double> capacities = capacity;
    int count = plan.open;
    for (const int w : input.held_close) {
      if (!opened[w]) continue;
      change(w, -1, &opened, &groups, &capacities);
      --count;
    }
    bool holds = count >= plan.recommended_open;
    for (int g = 0; g < n; ++g) holds = holds && groups[g] >= group_need[g];
    for (int s = 0; s < n; ++s) {
      const StaffingInput::Service& in = input.services[s];
      holds = holds && (capacities[s] > kNoShare ||
                        (in.arrivals_per_second <= 0 && in.waiting <= 0));
    }
    plan.held_close_holds = holds;
  }
  return plan;
}

}  // namespace qcall
