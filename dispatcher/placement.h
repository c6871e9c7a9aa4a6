// Placement decides which live node serves each hall when several qcalld
// nodes share one store: pure functions of what the store shows (nodes with
// their heartbeats, the database's clock, the halls and their last owners),
// so every node computes the same answer and tests inject the time.
//
// A node is live while its store session exists and its heartbeat is younger
// than the lease. Each hall goes to the live node that scores highest for it
// (rendezvous hashing of hall id and node name): halls spread evenly, and a
// node joining or leaving moves only the halls it gains or loses.
//
//   ClusterPlan plan = PlanStep("node-a", view, served, absl::Seconds(2));
//   for (const std::string& id : plan.take) ...      // placed here
//   for (const auto& [id, to] : plan.release) ...    // placed at `to`
#ifndef QCALL_DISPATCHER_PLACEMENT_H_
#define QCALL_DISPATCHER_PLACEMENT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "dispatcher/hall_locator.h"

namespace qcall {

// One row of the store's node table.
struct NodeSeen {
  NodeAddress address;
  absl::Time heartbeat;       // Its last heartbeat, by the database's clock.
  bool session_alive = true;  // Its store session still exists.
};

// What a node reads of the store at each step.
struct ClusterView {
  absl::Time now;  // The database's clock when it was read.
  std::vector<NodeSeen> nodes;
  // Every hall there is (journals and configured ones).
  absl::flat_hash_set<std::string> halls;
  // The node that took each hall last (hall_owner), live or not.
  absl::flat_hash_map<std::string, std::string> owners;
};

bool IsLive(const NodeSeen& node, absl::Time now, absl::Duration lease);
// Names of the live nodes, sorted.
std::vector<std::string> LiveNodes(const ClusterView& view,
                                   absl::Duration lease);
// The node of `live` that serves `hall_id`; nullopt when none is live.
std::optional<std::string> PlaceHall(absl::string_view hall_id,
                                     const std::vector<std::string>& live);

struct ClusterPlan {
  // Halls placed at this node that it does not serve: to take.
  std::vector<std::string> take;
  // Halls it serves that are placed at another live node: (hall, node).
  std::vector<std::pair<std::string, std::string>> release;
  // Nodes whose lease ran out while their session lives (paused, cut off):
  // their sessions are ended so their locks go.
  std::vector<std::string> terminate;
};

// What node `self` does now. A node that is not live itself (its heartbeat
// late) takes and releases nothing: the others are about to take its halls.
ClusterPlan PlanStep(const std::string& self, const ClusterView& view,
                     const absl::flat_hash_set<std::string>& served,
                     absl::Duration lease);

// HallLocator's answer from a view, for a hall `self` does not serve:
// NOT_FOUND when the store has no such hall; the last owner when it is live
// and not `self`; nullopt (moving) otherwise.
absl::StatusOr<std::optional<NodeAddress>> LocateIn(const ClusterView& view,
                                                    const std::string& self,
                                                    absl::string_view hall_id,
                                                    absl::Duration lease);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_PLACEMENT_H_
