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

grpc::Status OwnerRedirect(absl::string_view hall_id,
                           const std::optional<NodeAddress>& owner,
                           grpc::ServerContextBase* context) {
  if (owner) {
    if (!owner->grpc.empty()) {
      context->AddTrailingMetadata(kOwnerGrpcKey, owner->grpc);
    }
    if (!owner->http.empty()) {
      context->AddTrailingMetadata(kOwnerHttpKey, owner->http);
    }
  }
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      NotServedHereMessage(hall_id, owner));
}

std::string OwnerGrpcOf(const grpc::ClientContext& context) {
  return Trailer(context, kOwnerGrpcKey);
}

std::string OwnerHttpOf(const grpc::ClientContext& context) {
  return Trailer(context, kOwnerHttpKey);
}

}  // namespace qcall
