// ClusterNode runs this node's part where several qcalld nodes share one
// store (PostgreSQL): a heartbeat thread that keeps its row in the node table
// fresh, and a step thread that reads the table, places every hall
// (placement.h) and moves halls to match: it takes the halls placed here
// (advisory lock and a new epoch, then recovery from the store), lets go of
// those placed at another live node (stops serving them once what they
// applied is durable, ends their Watch streams naming the new owner, then
// releases the lock), gives up the ones it lost (fenced), and ends the store
// sessions of nodes whose lease ran out while their sessions live, so their
// locks go. It is also the server's HallLocator, answering from the last
// table it read.
//
//   ClusterNode node(cluster_store, ownership, &host, options);
//   ... services get &node as their locator ...
//   RETURN_IF_ERROR(node.Join(self, absl::Seconds(5)));  // Then threads run.
#ifndef QCALL_DISPATCHER_CLUSTER_NODE_H_
#define QCALL_DISPATCHER_CLUSTER_NODE_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "dispatcher/cluster_store.h"
#include "dispatcher/hall_locator.h"
#include "dispatcher/hall_ownership.h"
#include "dispatcher/owner_redirect.h"
#include "dispatcher/placement.h"

namespace qcall {

// The halls of this node, as the server runs them.
class HallHost {
 public:
  virtual ~HallHost() = default;
  virtual absl::flat_hash_set<std::string> ServedHalls() = 0;
  // Recovers a hall this node has just taken from the store and serves it.
  virtual absl::Status Serve(const std::string& hall_id) = 0;
  // Stops serving the hall; requests get `why`. Returns once what it
  // applied is durable, or failed (or after a few seconds).
  virtual void Leave(const std::string& hall_id, const OwnerAnswer& why) = 0;
};

struct ClusterOptions {
  absl::Duration heartbeat_every = absl::Milliseconds(500);
  // How often the node table is read and halls moved: a dead node's halls
  // move at most this long after it is seen dead.
  absl::Duration step_every = absl::Milliseconds(250);
  // A node whose heartbeat is older is dead: its halls move.
  absl::Duration lease = absl::Seconds(2);
  // Halls of the --config file, which exist before any journal does.
  std::vector<std::string> configured_halls;
};

class ClusterNode : public HallLocator {
 public:
  ClusterNode(ClusterStore* store, HallOwnership* ownership, HallHost* host,
              ClusterOptions options);
  // Stops the threads.
  ~ClusterNode() override;

  // Registers as `self`, steps until the halls placed here are served (at
  // most `wait`), then starts the heartbeat and step threads. A hall placed
  // here that cannot be recovered fails the join, as it fails a single
  // node's start.
  absl::Status Join(const NodeAddress& self, absl::Duration wait);
  // Stops the threads; halls stay served (the store's close lets them go).
  void Stop();

  // One step (see above); how many halls placed here are not served yet.
  // A hall taken but not recovered (say, its journal fails its check) is
  // let go and tried again next step; `serve_failure`, when given, gets the
  // first such error.
  absl::StatusOr<size_t> Step(absl::Status* serve_failure = nullptr);

  absl::StatusOr<std::optional<NodeAddress>> Locate(
      absl::string_view hall_id) override;

 private:
  void HeartbeatLoop();
  void StepLoop();

  ClusterStore* const store_;
  HallOwnership* const ownership_;
  HallHost* const host_;
  const ClusterOptions options_;
  NodeAddress self_;  // Set by Join, before the threads start.
  absl::Mutex mu_;
  std::shared_ptr<const ClusterView> view_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::vector<std::thread> threads_;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_CLUSTER_NODE_H_
