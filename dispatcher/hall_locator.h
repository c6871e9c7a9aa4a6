// HallLocator says where a hall is served when several qcalld nodes share
// one store (PostgreSQL) and this node does not serve it. The server answers
// a request for such a hall with UNAVAILABLE and the owner's addresses in
// trailing metadata (gRPC) or a redirect (HTTP), so clients ask the owner.
// A single node (SQLite) has no locator.
//
//   ASSIGN_OR_RETURN(std::optional<NodeAddress> owner, locator->Locate(id));
//   if (!owner) ...  // No live node serves it now: it is moving; retry.
//   else ...         // Tell the client to ask owner->grpc / owner->http.
#ifndef QCALL_DISPATCHER_HALL_LOCATOR_H_
#define QCALL_DISPATCHER_HALL_LOCATOR_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace qcall {

// How clients reach a node.
struct NodeAddress {
  std::string node;  // The node's name.
  std::string grpc;  // host:port for gRPC.
  std::string http;  // Base URL of its HTTP side ("http://host:port"); empty
                     // when it has none.
};

class HallLocator {
 public:
  virtual ~HallLocator() = default;

  // The node serving `hall_id`, asked when this node does not serve it:
  // nullopt while no live node does (the hall is moving), NOT_FOUND when no
  // node has ever served it (the store has no journal for it).
  virtual absl::StatusOr<std::optional<NodeAddress>> Locate(
      absl::string_view hall_id) = 0;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_HALL_LOCATOR_H_
