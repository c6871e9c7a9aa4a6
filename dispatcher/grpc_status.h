// absl::Status to grpc::Status: the codes are the same numbers by design of
// both libraries, the message goes along.
//
//   reactor->Finish(ToGrpc(absl::NotFoundError("no window 9 in this hall")));
#ifndef QCALL_DISPATCHER_GRPC_STATUS_H_
#define QCALL_DISPATCHER_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace qcall {

// Trailing metadata a call ends with, (key, value) in order.
using Trailers = std::vector<std::pair<std::string, std::string>>;

inline grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

}  // namespace qcall

#endif  // QCALL_DISPATCHER_GRPC_STATUS_H_
