#include "dispatcher/auth.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "dispatcher/token_hash.h"

namespace qcall {

Authenticator::Authenticator(const v1::ServerConfig& config) {
  for (const v1::TokenConfig& token : config.tokens()) {
    std::string digest;
    if (!token.token_sha256().empty()) {
      absl::StatusOr<std::string> stored = Sha256FromHex(token.token_sha256());
      if (!stored.ok()) continue;  // ValidateServerConfig refuses it first.
      digest = *std::move(stored);
    } else {
      digest = TokenSha256(token.token());
    }
    v1::TokenConfig& kept = tokens_[digest];
    kept = token;
    // Only the hash stays in memory.
    kept.clear_token();
    kept.clear_token_sha256();
  }
}

absl::StatusOr<Caller> Authenticator::Authenticate(
    const grpc::CallbackServerContext* context) const {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "missing metadata 'authorization: Bearer <token>'");
  }
  const absl::optional<absl::string_view> token =
      BearerToken(absl::string_view(it->second.data(), it->second.size()));
  if (!token) {
    return absl::UnauthenticatedError("authorization must be 'Bearer <token>'");
  }
  return AuthenticateToken(*token);
}

absl::StatusOr<Caller> Authenticator::AuthenticateToken(
    absl::string_view token) const {
  // By the token's hash: no comparison runs over the token's own bytes, so
  // the time an answer takes says nothing about how close a guess came.
  auto it = tokens_.find(TokenSha256(token));
  if (it == tokens_.end()) return absl::UnauthenticatedError("unknown token");
  return &it->second;
}

absl::optional<absl::string_view> Authenticator::BearerToken(
    absl::string_view authorization) {
  constexpr absl::string_view kBearer = "Bearer ";
  if (!absl::StartsWithIgnoreCase(authorization, kBearer)) {
    return absl::nullopt;
  }
  return authorization.substr(kBearer.size());
}

bool Authenticator::InScope(Caller caller, const std::string& hall_id) {
  return std::any_of(
      caller->halls().begin(), caller->halls().end(),
      [&](const std::string& h) { return h == "*" || h == hall_id; });
}

absl::Status Authenticator::Authorize(Caller caller, const MethodPolicy& policy,
                                      const std::string& hall_id,
                                      int32_t window) const {
  if (!InScope(caller, hall_id)) {
    return absl::PermissionDeniedError(
        absl::StrCat("token '", caller->name(), "' may not use hall '",
                     hall_id.substr(0, 64), "'"));
  }
  if (caller->role() == v1::ROLE_SUPERVISOR) return absl::OkStatus();
  if (!policy.roles.Has(caller->role())) {
    return absl::PermissionDeniedError(
        absl::StrCat("a ", v1::Role_Name(caller->role()),
                     " token may not call ", policy.method.substr(1)));
  }
  if ((caller->role() != v1::ROLE_COUNTER &&
       caller->role() != v1::ROLE_EVALUATOR) ||
      policy.scope == WindowScope::kHall) {
    return absl::OkStatus();
  }
  if (policy.scope == WindowScope::kNamedWindow && window == 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        policy.method.substr(1),
        " names the window (window); only a supervisor token may leave it "
        "out"));
  }
  if (window != 0 && !caller->windows().empty() &&
      std::find(caller->windows().begin(), caller->windows().end(), window) ==
          caller->windows().end()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "token '", caller->name(), "' may not work window ", window));
  }
  return absl::OkStatus();
}

}  // namespace qcall
