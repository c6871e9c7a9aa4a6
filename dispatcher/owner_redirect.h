// What a node answers when asked for a hall it does not serve, and what a
// client reads from that answer (the protocol: README "Several nodes").
// gRPC: UNAVAILABLE, naming the owner in the message and in the trailing
// metadata qcall-owner-grpc (host:port) and qcall-owner-http (base URL,
// omitted when the owner has none); no owner while the hall is moving.
//
//   // A service, for a hall it does not serve:
//   OwnerAnswer answer = NotServedHere(hall_id, locator->Locate(hall_id));
//   (answer.trailers go into the context's trailing metadata)
//   // Or, with the owner known:
//   return OwnerRedirect(hall_id, owner, context);
//   // A client, after the call:
//   if (std::string owner = OwnerGrpcOf(context); !owner.empty()) ...
#ifndef QCALL_DISPATCHER_OWNER_REDIRECT_H_
#define QCALL_DISPATCHER_OWNER_REDIRECT_H_

#include <grpcpp/grpcpp.h>

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dispatcher/grpc_status.h"
#include "dispatcher/hall_locator.h"

namespace qcall {

inline constexpr char kOwnerGrpcKey[] = "qcall-owner-grpc";
inline constexpr char kOwnerHttpKey[] = "qcall-owner-http";

// "hall X is served by node N at HOST:PORT; ask there", or, with no owner,
// "hall X is moving to another node; retry in a moment".
std::string NotServedHereMessage(absl::string_view hall_id,
                                 const std::optional<NodeAddress>& owner);

// The answer to a request for a hall this node does not serve, from what
// the locator said: UNAVAILABLE with that message and the owner's addresses
// as trailers; UNAVAILABLE while the owner is unknown (moving, or the store
// cannot say); NOT_FOUND when no node has the hall.
struct OwnerAnswer {
  absl::Status status;
  Trailers trailers;
};
OwnerAnswer NotServedHere(
    absl::string_view hall_id,
    const absl::StatusOr<std::optional<NodeAddress>>& located);

// NotServedHere of a known answer, its trailers put into `context`'s
// trailing metadata.
grpc::Status OwnerRedirect(absl::string_view hall_id,
                           const std::optional<NodeAddress>& owner,
                           grpc::ServerContextBase* context);

// The owner a finished call was sent to: the trailing metadata's
// qcall-owner-grpc / qcall-owner-http, "" when the server named none.
std::string OwnerGrpcOf(const grpc::ClientContext& context);
std::string OwnerHttpOf(const grpc::ClientContext& context);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_OWNER_REDIRECT_H_
