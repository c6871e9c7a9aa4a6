#include "dispatcher/owner_redirect.h"

#include "absl/strings/str_cat.h"

namespace qcall {
namespace {

std::string Trailer(const grpc::ClientContext& context, absl::string_view key) {
  const auto& metadata = context.GetServerTrailingMetadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  return it == metadata.end()
             ? ""
             : std::string(it->second.data(), it->second.size());
}

}  // namespace

std::string NotServedHereMessage(absl::string_view hall_id,
                                 const std::optional<NodeAddress>& owner) {
  if (!owner) {
    return absl::StrCat("hall ", hall_id,
                        " is moving to another node; retry in a moment");
  }
  return absl::StrCat("hall ", hall_id, " is served by node ", owner->node,
                      " at ", owner->grpc, "; ask there");
}

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
  OwnerAnswer answer{absl::UnavailableError(NotServedHereMessage(id, *located)),
                     {}};
  if (const std::optional<NodeAddress>& owner = *located; owner) {
    if (!owner->grpc.empty())
      answer.trailers.emplace_back(kOwnerGrpcKey, owner->grpc);
    if (!owner->http.empty())
      answer.trailers.emplace_back(kOwnerHttpKey, owner->http);
  }
  return answer;
}

grpc::Status OwnerRedirect(absl::string_view hall_id,
                           const std::optional<NodeAddress>& owner,
                           grpc::ServerContextBase* context) {
  OwnerAnswer answer = NotServedHere(hall_id, owner);
  for (const auto& [key, value] : answer.trailers) {
    context->AddTrailingMetadata(key, value);
  }
  return ToGrpc(answer.status);
}

std::string OwnerGrpcOf(const grpc::ClientContext& context) {
  return Trailer(context, kOwnerGrpcKey);
}

std::string OwnerHttpOf(const grpc::ClientContext& context) {
  return Trailer(context, kOwnerHttpKey);
}

}  // namespace qcall
