// HallOwnership says which halls this node may write, where several nodes
// share one store (PostgreSQL). Each hall has one owner at a time and an
// epoch that goes up by one at every take; the store commits a hall's records
// only while the epoch this node took it at is still the hall's epoch,
// checked in the commit's own transaction (fencing). A node that was paused
// or cut off while another took the hall can therefore never write to it
// again: its commit is refused as ABORTED and writes nothing.
//
//   HallOwnership* owner = store->ownership();  // nullptr: single node.
//   ASSIGN_OR_RETURN(uint64_t epoch, owner->Take("hall-1"));
//   ... store->Commit(records, snapshots) ...    // ABORTED once fenced.
//   RETURN_IF_ERROR(owner->Release("hall-1"));
#ifndef QCALL_DISPATCHER_HALL_OWNERSHIP_H_
#define QCALL_DISPATCHER_HALL_OWNERSHIP_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace qcall {

class HallOwnership {
 public:
  virtual ~HallOwnership() = default;

  // Takes the hall for this node and returns its new epoch. The hall must
  // be free: FAILED_PRECONDITION naming its owner and epoch while another
  // node holds it. Taking a hall this node holds already returns the epoch
  // it holds (no new epoch).
  virtual absl::StatusOr<uint64_t> Take(absl::string_view hall_id) = 0;
  // Lets another node take the hall; its epoch stays until one does.
  virtual absl::Status Release(absl::string_view hall_id) = 0;
  // The epoch this node holds the hall at; 0 when it holds it not (never
  // taken, released, or found fenced by a commit).
  virtual uint64_t HeldEpoch(absl::string_view hall_id) = 0;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_HALL_OWNERSHIP_H_
