// The answer to a request for a hall this node does not serve, where several
// nodes share the store (the protocol in hall_locator.h): UNAVAILABLE naming
// the owner, with its addresses as trailing metadata (qcall-owner-grpc,
// qcall-owner-http) for clients to ask there; UNAVAILABLE "moving" while no
// live node serves it; NOT_FOUND when no node has it.
//
//   OwnerAnswer answer = NotServedHere(id, locator->Locate(id));
//   for (const auto& [k, v] : answer.trailers) context->AddTrailingMetadata(k,
//   v); return answer.status;
#ifndef QCALL_DISPATCHER_OWNER_STATUS_H_
#define QCALL_DISPATCHER_OWNER_STATUS_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dispatcher/grpc_status.h"
#include "dispatcher/hall_locator.h"

namespace qcall {

inline constexpr char kOwnerGrpcKey[] = "qcall-owner-grpc";
inline constexpr char kOwnerHttpKey[] = "qcall-owner-http";

struct OwnerAnswer {
  absl::Status status;
  Trailers trailers;
};

OwnerAnswer NotServedHere(
    absl::string_view hall_id,
    const absl::StatusOr<std::optional<NodeAddress>>& located);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_OWNER_STATUS_H_
