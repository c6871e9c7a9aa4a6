// ClusterStore is the table of the qcalld nodes that share one store
// (PostgreSQL): each node's name, the addresses clients reach it at, its
// store session and its heartbeat. ClusterNode (cluster_node.h) writes this
// node's row and reads everyone's to place the halls (placement.h).
//
//   RETURN_IF_ERROR(cluster->Heartbeat(self));
//   ASSIGN_OR_RETURN(ClusterView view, cluster->View());
#ifndef QCALL_DISPATCHER_CLUSTER_STORE_H_
#define QCALL_DISPATCHER_CLUSTER_STORE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dispatcher/hall_locator.h"
#include "dispatcher/placement.h"

namespace qcall {

class ClusterStore {
 public:
  virtual ~ClusterStore() = default;

  // Writes this node's row: its addresses, the store session that holds its
  // halls' locks, and a heartbeat at the database's clock. The node's name
  // is also the owner its takes write (HallOwnership).
  virtual absl::Status Heartbeat(const NodeAddress& self) = 0;
  // Every node, every hall (journals), each hall's last owner, and the
  // database's clock.
  virtual absl::StatusOr<ClusterView> View() = 0;
  // Ends the store session of node `name` if its heartbeat is older than
  // `lease` (it is paused or cut off), so its advisory locks go and its
  // later writes are refused. OK when there was nothing to end.
  virtual absl::Status Terminate(const std::string& name,
                                 absl::Duration lease) = 0;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_CLUSTER_STORE_H_
