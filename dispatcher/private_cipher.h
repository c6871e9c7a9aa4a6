// PrivateCipher encrypts customers' private data (a phone) for the store:
// one random key per (hall, business day), kept only wrapped (encrypted) by
// the master key of --private-key-file, which lives apart from the data.
// Destroying a day's wrapped key erases every record of that day, wherever
// a copy of its ciphertext survives (crypto-shredding). Both layers are
// libsodium's XChaCha20-Poly1305 (IETF AEAD), a random 24-byte nonce each;
// the associated data binds a sealed record to its (hall, day, ticket) and a
// wrapped key to its (hall, day), so nothing can be moved to another ticket.
//
//   ASSIGN_OR_RETURN(PrivateCipher cipher, PrivateCipher::FromKeyFile(path));
//   PrivateCipher::DayKey day = cipher.NewDayKey("hall-1", 20261207);
//   std::string sealed =
//       PrivateCipher::Seal(day.key, "hall-1", 20261207, "A012", phone);
//   // Store day.wrapped and sealed; later:
//   ASSIGN_OR_RETURN(std::string key,
//                    cipher.UnwrapDayKey(day.wrapped, "hall-1", 20261207));
//   ASSIGN_OR_RETURN(std::string phone, PrivateCipher::Open(
//                        key, "hall-1", 20261207, "A012", sealed));
#ifndef QCALL_DISPATCHER_PRIVATE_CIPHER_H_
#define QCALL_DISPATCHER_PRIVATE_CIPHER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace qcall {

class PrivateCipher {
 public:
  static constexpr size_t kKeyBytes = 32;

  // `master_key` must be kKeyBytes long (INVALID_ARGUMENT otherwise).
  static absl::StatusOr<PrivateCipher> WithMasterKey(std::string master_key);
  // The master key from a file of exactly 32 bytes (head -c 32
  // /dev/urandom); UNAVAILABLE when unreadable, INVALID_ARGUMENT when the
  // size is wrong or other users may read it.
  static absl::StatusOr<PrivateCipher> FromKeyFile(const std::string& path);

  PrivateCipher(PrivateCipher&& other) noexcept;
  PrivateCipher& operator=(PrivateCipher&& other) noexcept;
  ~PrivateCipher();  // Wipes the key from memory.

  struct DayKey {
    std::string key;      // kKeyBytes; never written anywhere.
    std::string wrapped;  // Nonce and ciphertext: what the store keeps.
  };
  // A new random key for (hall, day).
  DayKey NewDayKey(absl::string_view hall_id, int32_t business_day) const;
  // DATA_LOSS when `wrapped` is not (hall, day)'s key under this master key
  // (another key file, or bytes changed).
  absl::StatusOr<std::string> UnwrapDayKey(absl::string_view wrapped,
                                           absl::string_view hall_id,
                                           int32_t business_day) const;

  // `plaintext` sealed for one ticket: nonce and ciphertext.
  static std::string Seal(absl::string_view day_key, absl::string_view hall_id,
                          int32_t business_day, absl::string_view ticket,
                          absl::string_view plaintext);
  // DATA_LOSS when `sealed` fails to authenticate for (hall, day, ticket).
  static absl::StatusOr<std::string> Open(absl::string_view day_key,
                                          absl::string_view hall_id,
                                          int32_t business_day,
                                          absl::string_view ticket,
                                          absl::string_view sealed);

 private:
  explicit PrivateCipher(std::string master_key);
  std::string master_key_;
};

// Overwrites `secret`'s bytes with zeros (sodium_memzero), then clears it.
void WipeSecret(std::string* secret);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_PRIVATE_CIPHER_H_
