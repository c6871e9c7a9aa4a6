// The SHA-256 of a bearer token: how the config stores a token
// (TokenConfig.token_sha256, 64 hex digits) and how Authenticator finds a
// request's token (by its hash, so no comparison ever runs over the token's
// bytes). Tokens are long and random, so one unsalted fast hash is enough:
// nobody can guess a token from its hash, and a request costs one hash.
//
//   const std::string digest = TokenSha256("kiosk-token-from-the-request");
//   absl::StatusOr<std::string> stored = Sha256FromHex(config.token_sha256());
//   bool same = stored.ok() && *stored == digest;
//   std::string line = Sha256Hex(digest);  // "5e88489..."
#ifndef QCALL_DISPATCHER_TOKEN_HASH_H_
#define QCALL_DISPATCHER_TOKEN_HASH_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace qcall {

// The 32 bytes of SHA-256(token).
std::string TokenSha256(absl::string_view token);

// 64 lower-case hex digits of a 32-byte digest.
std::string Sha256Hex(absl::string_view digest);

// The 32 bytes that 64 hex digits (either case) spell; INVALID_ARGUMENT
// saying what is wrong otherwise.
absl::StatusOr<std::string> Sha256FromHex(absl::string_view hex);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_TOKEN_HASH_H_
