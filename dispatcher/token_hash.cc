#include "dispatcher/token_hash.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace qcall {
namespace {

// Fetched once: OpenSSL 3 would look the algorithm up on every digest.
const EVP_MD* Sha256() {
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

}  // namespace

std::string TokenSha256(absl::string_view token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (Sha256() == nullptr ||
      EVP_Digest(token.data(), token.size(), digest, &size, Sha256(),
                 nullptr) != 1 ||
      size != 32) {
    // Only an OpenSSL without its default provider gets here. Going on
    // could let tokens match that differ: stop.
    std::fprintf(stderr, "OpenSSL cannot compute SHA-256\n");
    std::abort();
  }
  return std::string(reinterpret_cast<const char*>(digest), size);
}

std::string Sha256Hex(absl::string_view digest) {
  return absl::BytesToHexString(digest);
}

absl::StatusOr<std::string> Sha256FromHex(absl::string_view hex) {
  if (hex.size() != 64) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a SHA-256 is 64 hex digits, this has ", hex.size(), " characters"));
  }
  for (char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(
          "a SHA-256 is 64 hex digits (0-9, a-f), this has other characters");
    }
  }
  return absl::HexStringToBytes(hex);
}

}  // namespace qcall
