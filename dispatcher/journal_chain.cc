#include "dispatcher/journal_chain.h"

#include <sodium.h>

#include <cstdint>
#include <fstream>
#include <iterator>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace qcall {
namespace {

// One BLAKE2b-256 computation, keyed when the key is not empty.
class Hasher {
 public:
  explicit Hasher(absl::string_view key) {
    [[maybe_unused]] static const int ready = sodium_init();
    crypto_generichash_init(&state_,
                            reinterpret_cast<const unsigned char*>(key.data()),
                            key.size(), JournalChain::kSize);
  }
  void Bytes(absl::string_view bytes) {
    crypto_generichash_update(
        &state_, reinterpret_cast<const unsigned char*>(bytes.data()),
        bytes.size());
  }
  void Number(uint64_t n) {
    unsigned char le[8];
    for (int i = 0; i < 8; ++i)
      le[i] = static_cast<unsigned char>(n >> (8 * i));
    crypto_generichash_update(&state_, le, sizeof(le));
  }
  // A string with its length first, so no two fields run together.
  void Field(absl::string_view bytes) {
    Number(bytes.size());
    Bytes(bytes);
  }
  std::string Final() {
    std::string out(JournalChain::kSize, '\0');
    crypto_generichash_final(&state_, reinterpret_cast<unsigned char*>(&out[0]),
                             out.size());
    return out;
  }

 private:
  crypto_generichash_state state_;
};

}  // namespace

absl::StatusOr<JournalChain> JournalChain::WithKey(std::string key) {
  if (key.size() < crypto_generichash_KEYBYTES_MIN ||
      key.size() > crypto_generichash_KEYBYTES_MAX) {
    return absl::InvalidArgumentError(
        absl::StrCat("a journal key has 16 to 64 bytes, not ", key.size()));
  }
  JournalChain chain;
  chain.key_ = std::move(key);
  return chain;
}

absl::StatusOr<std::string> ReadJournalKey(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::UnavailableError(
        absl::StrCat("cannot read the journal key file ", path));
  }
  std::string key((std::istreambuf_iterator<char>(in)),
                  std::istreambuf_iterator<char>());
  if (key.size() < crypto_generichash_KEYBYTES_MIN ||
      key.size() > crypto_generichash_KEYBYTES_MAX) {
    return absl::InvalidArgumentError(
        absl::StrCat("journal key file ", path, " holds ", key.size(),
                     " bytes; a key has 16 to 64 (say, head -c 32 "
                     "/dev/urandom)"));
  }
  return key;
}

absl::StatusOr<JournalChain> JournalChain::FromKeyFile(
    const std::string& path) {
  ASSIGN_OR_RETURN(std::string key, ReadJournalKey(path));
  return WithKey(std::move(key));
}

std::string JournalChain::Genesis(absl::string_view hall_id) const {
  Hasher h(key_);
  h.Bytes("qcall-journal-genesis-v1");
  h.Field(hall_id);
  return h.Final();
}

std::string JournalChain::Next(absl::string_view previous,
                               const JournalRecord& record) const {
  Hasher h(key_);
  h.Bytes("qcall-journal-record-v1");
  h.Field(previous);
  h.Field(record.hall_id);
  h.Number(record.index);
  h.Number(static_cast<uint64_t>(record.at_unix_ms));
  h.Field(record.request_id);
  h.Field(record.command);
  h.Field(record.reply);
  return h.Final();
}

std::string JournalChain::SnapshotChecksum(
    const SnapshotRecord& snapshot) const {
  Hasher h(key_);
  h.Bytes("qcall-snapshot-v1");
  h.Field(snapshot.hall_id);
  h.Number(snapshot.index);
  h.Field(snapshot.chain);
  h.Field(snapshot.state);
  return h.Final();
}

std::string ChainHex(absl::string_view chain) {
  return absl::BytesToHexString(chain);
}

}  // namespace qcall
