#include "dispatcher/owner_status.h"

#include "absl/strings/str_cat.h"

namespace qcall {

OwnerAnswer NotServedHere(
    absl::string_view hall_id,
    const absl::StatusOr<std::optional<NodeAddress>>& located) {
  const absl::string_view id = hall_id.substr(0, 64);
  if (!located.ok()) {
    if (absl::IsNotFound(located.status())) {
      return {absl::NotFoundError(
                  absl::StrCat("no hall '", id, "' on this server")),
              {}};
    }
    // The store cannot say where it is: as good as moving.
    return {absl::UnavailableError(absl::StrCat(
                "hall ", id, " is not served here and its owner is unknown (",
                located.status().message(), "); retry in a moment")),
            {}};
  }
  if (!located->has_value()) {
    return {absl::UnavailableError(absl::StrCat(
                "hall ", id, " is moving to another node; retry in a moment")),
            {}};
  }
  const NodeAddress& owner = **located;
  OwnerAnswer answer{absl::UnavailableError(absl::StrCat(
                         "hall ", id, " is served by node ", owner.node, " at ",
                         owner.grpc, "; ask there")),
                     {{kOwnerGrpcKey, owner.grpc}}};
  if (!owner.http.empty())
    answer.trailers.emplace_back(kOwnerHttpKey, owner.http);
  return answer;
}

}  // namespace qcall
