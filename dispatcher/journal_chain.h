// JournalChain links a hall's journal records into a hash chain, so that a
// record edited, removed, reordered or forged in the file is found:
//
//   chain(0) = H("qcall-journal-genesis-v1" || hall_id)
//   chain(i) = H("qcall-journal-record-v1" || chain(i-1) || hall_id ||
//                index || at_unix_ms || request_id || command || reply)
//
// H is BLAKE2b-256 (libsodium's crypto_generichash); every string is preceded
// by its length and every number written as 8 little-endian bytes, so no two
// records share their bytes. With a key (qcalld --journal-key-file) H is
// keyed BLAKE2b, a MAC: without the key nobody can forge a chain that
// verifies. A snapshot carries the chain at its index and a checksum over
// (hall, index, chain, state) made with the same H.
//
//   JournalChain chain;                       // Or JournalChain::FromKeyFile.
//   std::string head = chain.Genesis("hall-1");
//   head = chain.Next(head, record);          // record.index == 1
//   snapshot.chain = head;
//   snapshot.checksum = chain.SnapshotChecksum(snapshot);
#ifndef QCALL_DISPATCHER_JOURNAL_CHAIN_H_
#define QCALL_DISPATCHER_JOURNAL_CHAIN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dispatcher/journal_store.h"

namespace qcall {

class JournalChain {
 public:
  // Bytes of a chain value and of a snapshot checksum.
  static constexpr size_t kSize = 32;

  // Unkeyed: anyone can recompute it (it finds edits, not a forger who
  // recomputes the whole chain).
  JournalChain() = default;
  // The key is the file's bytes, 16 to 64 of them (say, `head -c 32
  // /dev/urandom`); INVALID_ARGUMENT otherwise, UNAVAILABLE when unreadable.
  static absl::StatusOr<JournalChain> FromKeyFile(const std::string& path);
  // `key` of 16 to 64 bytes.
  static absl::StatusOr<JournalChain> WithKey(std::string key);

  bool keyed() const { return !key_.empty(); }
  std::string Genesis(absl::string_view hall_id) const;
  std::string Next(absl::string_view previous,
                   const JournalRecord& record) const;
  // Over hall_id, index, chain and state of `snapshot`.
  std::string SnapshotChecksum(const SnapshotRecord& snapshot) const;

 private:
  std::string key_;
};

// The key in `path` (16 to 64 bytes): INVALID_ARGUMENT when its size is
// wrong, UNAVAILABLE when it cannot be read.
absl::StatusOr<std::string> ReadJournalKey(const std::string& path);

// A chain value as lowercase hex.
std::string ChainHex(absl::string_view chain);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_JOURNAL_CHAIN_H_
