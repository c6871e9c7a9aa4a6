#include "dispatcher/private_cipher.h"

#include <sodium.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace qcall {
namespace {

constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;

void Ready() { [[maybe_unused]] static const int ready = sodium_init(); }

// What a sealed thing belongs to, each field length-prefixed so that no two
// different tuples give the same bytes.
std::string AssociatedData(absl::string_view purpose, absl::string_view hall_id,
                           int32_t business_day, absl::string_view ticket) {
  const std::string day = absl::StrCat(business_day);
  std::string out;
  for (absl::string_view field :
       {purpose, hall_id, absl::string_view(day), ticket}) {
    const uint32_t size = static_cast<uint32_t>(field.size());
    for (int i = 0; i < 4; ++i) {
      out.push_back(static_cast<char>((size >> (8 * i)) & 0xff));
    }
    out.append(field.data(), field.size());
  }
  return out;
}

std::string SealWith(absl::string_view key, absl::string_view ad,
                     absl::string_view plaintext) {
  Ready();
  std::string out(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, kNonceBytes);
  unsigned long long written = 0;  // NOLINT(runtime/int): libsodium's type.
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + kNonceBytes, &written,
      reinterpret_cast<const unsigned char*>(plaintext.data()),
      plaintext.size(), reinterpret_cast<const unsigned char*>(ad.data()),
      ad.size(), nullptr, nonce,
      reinterpret_cast<const unsigned char*>(key.data()));
  out.resize(kNonceBytes + written);
  return out;
}

absl::StatusOr<std::string> OpenWith(absl::string_view key,
                                     absl::string_view ad,
                                     absl::string_view sealed,
                                     absl::string_view what) {
  Ready();
  if (key.size() != PrivateCipher::kKeyBytes ||
      sealed.size() < kNonceBytes + kTagBytes) {
    return absl::DataLossError(absl::StrCat(what, " is cut short"));
  }
  std::string out(sealed.size() - kNonceBytes - kTagBytes, '\0');
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  unsigned long long written = 0;  // NOLINT(runtime/int): libsodium's type.
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &written, nullptr,
          nonce + kNonceBytes, sealed.size() - kNonceBytes,
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nonce,
          reinterpret_cast<const unsigned char*>(key.data())) != 0) {
    WipeSecret(&out);
    return absl::DataLossError(absl::StrCat(
        what,
        " does not open: another --private-key-file, or its bytes were "
        "changed"));
  }
  out.resize(written);
  return out;
}

}  // namespace

void WipeSecret(std::string* secret) {
  if (!secret->empty()) sodium_memzero(secret->data(), secret->size());
  secret->clear();
}

PrivateCipher::PrivateCipher(std::string master_key)
    : master_key_(std::move(master_key)) {}

PrivateCipher::PrivateCipher(PrivateCipher&& other) noexcept
    : master_key_(std::move(other.master_key_)) {
  WipeSecret(&other.master_key_);
}

PrivateCipher& PrivateCipher::operator=(PrivateCipher&& other) noexcept {
  if (this != &other) {
    WipeSecret(&master_key_);
    master_key_ = std::move(other.master_key_);
    WipeSecret(&other.master_key_);
  }
  return *this;
}

PrivateCipher::~PrivateCipher() { WipeSecret(&master_key_); }

absl::StatusOr<PrivateCipher> PrivateCipher::WithMasterKey(
    std::string master_key) {
  if (master_key.size() != kKeyBytes) {
    const size_t size = master_key.size();
    WipeSecret(&master_key);
    return absl::InvalidArgumentError(
        absl::StrCat("a private data key has ", kKeyBytes, " bytes, not ", size,
                     " (say, head -c 32 /dev/urandom)"));
  }
  return PrivateCipher(std::move(master_key));
}

absl::StatusOr<PrivateCipher> PrivateCipher::FromKeyFile(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  struct stat file;
  if (!in || ::stat(path.c_str(), &file) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot read the private key file ", path));
  }
  if ((file.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "private key file ", path, " may be read by other users (mode ",
        absl::StrFormat("%o", file.st_mode & 0777),
        "); make it the server's alone: chmod 600"));
  }
  std::string key((std::istreambuf_iterator<char>(in)),
                  std::istreambuf_iterator<char>());
  absl::StatusOr<PrivateCipher> cipher = WithMasterKey(std::move(key));
  if (!cipher.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "private key file ", path, ": ", cipher.status().message()));
  }
  return cipher;
}

PrivateCipher::DayKey PrivateCipher::NewDayKey(absl::string_view hall_id,
                                               int32_t business_day) const {
  Ready();
  DayKey day;
  day.key.assign(kKeyBytes, '\0');
  crypto_aead_xchacha20poly1305_ietf_keygen(
      reinterpret_cast<unsigned char*>(day.key.data()));
  day.wrapped = SealWith(
      master_key_,
      AssociatedData("qcall-day-key-v1", hall_id, business_day, ""), day.key);
  return day;
}

absl::StatusOr<std::string> PrivateCipher::UnwrapDayKey(
    absl::string_view wrapped, absl::string_view hall_id,
    int32_t business_day) const {
  return OpenWith(master_key_,
                  AssociatedData("qcall-day-key-v1", hall_id, business_day, ""),
                  wrapped,
                  absl::StrCat("the private data key of hall ", hall_id,
                               ", day ", business_day));
}

std::string PrivateCipher::Seal(absl::string_view day_key,
                                absl::string_view hall_id, int32_t business_day,
                                absl::string_view ticket,
                                absl::string_view plaintext) {
  return SealWith(
      day_key,
      AssociatedData("qcall-private-v1", hall_id, business_day, ticket),
      plaintext);
}

absl::StatusOr<std::string> PrivateCipher::Open(absl::string_view day_key,
                                                absl::string_view hall_id,
                                                int32_t business_day,
                                                absl::string_view ticket,
                                                absl::string_view sealed) {
  return OpenWith(
      day_key,
      AssociatedData("qcall-private-v1", hall_id, business_day, ticket), sealed,
      absl::StrCat("the private data of ticket ", ticket, " (hall ", hall_id,
                   ", day ", business_day, ")"));
}

}  // namespace qcall
