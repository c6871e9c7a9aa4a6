#include "dispatcher/placement.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace qcall {
namespace {

// A hash every node computes alike, whatever its build or process (absl's
// and std's hashes are seeded per process or per library): FNV-1a, then
// splitmix64's finalizer so that close inputs score far apart.
uint64_t StableHash(absl::string_view a, absl::string_view b) {
  uint64_t h = 14695981039346656037ull;
  auto mix = [&h](absl::string_view bytes) {
    for (unsigned char ch : bytes) {
      h ^= ch;
      h *= 1099511628211ull;
    }
  };
  mix(a);
  mix(absl::string_view("\0", 1));
  mix(b);
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

}  // namespace

bool IsLive(const NodeSeen& node, absl::Time now, absl::Duration lease) {
  return node.session_alive && now - node.heartbeat < lease;
}

std::vector<std::string> LiveNodes(const ClusterView& view,
                                   absl::Duration lease) {
  std::vector<std::string> live;
  for (const NodeSeen& node : view.nodes) {
    if (IsLive(node, view.now, lease)) live.push_back(node.address.node);
  }
  std::sort(live.begin(), live.end());
  return live;
}

std::optional<std::string> PlaceHall(absl::string_view hall_id,
                                     const std::vector<std::string>& live) {
  std::optional<std::string> best;
  uint64_t best_score = 0;
  for (const std::string& node : live) {
    const uint64_t score = StableHash(node, hall_id);
    // Ties (never seen in practice) go to the smaller name, on every node.
    if (!best || score > best_score || (score == best_score && node < *best)) {
      best = node;
      best_score = score;
    }
  }
  return best;
}

ClusterPlan PlanStep(const std::string& self, const ClusterView& view,
                     const absl::flat_hash_set<std::string>& served,
                     absl::Duration lease) {
  ClusterPlan plan;
  const std::vector<std::string> live = LiveNodes(view, lease);
  for (const NodeSeen& node : view.nodes) {
    if (node.address.node != self && node.session_alive &&
        !IsLive(node, view.now, lease)) {
      plan.terminate.push_back(node.address.node);
    }
  }
  if (!std::binary_search(live.begin(), live.end(), self)) return plan;
  for (const std::string& hall : view.halls) {
    const std::optional<std::string> at = PlaceHall(hall, live);
    if (*at == self) {
      if (!served.contains(hall)) plan.take.push_back(hall);
    } else if (served.contains(hall)) {
      plan.release.emplace_back(hall, *at);
    }
  }
  std::sort(plan.take.begin(), plan.take.end());
  std::sort(plan.release.begin(), plan.release.end());
  return plan;
}

absl::StatusOr<std::optional<NodeAddress>> LocateIn(const ClusterView& view,
                                                    const std::string& self,
                                                    absl::string_view hall_id,
                                                    absl::Duration lease) {
  if (!view.halls.contains(hall_id)) {
    return absl::NotFoundError(
        absl::StrCat("no hall '", hall_id.substr(0, 64), "' on any node"));
  }
  auto owner = view.owners.find(hall_id);
  if (owner == view.owners.end() || owner->second == self) return std::nullopt;
  for (const NodeSeen& node : view.nodes) {
    if (node.address.node == owner->second && IsLive(node, view.now, lease)) {
      return node.address;
    }
  }
  return std::nullopt;
}

}  // namespace qcall
