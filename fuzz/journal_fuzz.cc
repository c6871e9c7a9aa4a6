// libFuzzer target: recovery (RecoverHall, dispatcher/recovery.h) from a
// journal store whose snapshot and records are arbitrary bytes. Whatever the
// store holds, recovery answers a status, never crashes; a hall it recovers
// snapshots and restores to the same state.
//
// The input is framed (all integers little-endian):
//   u8 flags        bit 0: a snapshot follows; bit 1: no seed config
//   [u16 n, n bytes, u8 index]    the snapshot (v1::HallState) and its index
//   then records:   u8 index step (the index after the last is +step),
//                   u16 seconds after the last, u8 r, u16 c, u16 p,
//                   r bytes request id, c bytes command, p bytes reply
//
//   scripts/fuzz journal 600
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "dispatcher/group_commit_journal.h"
#include "dispatcher/journal_chain.h"
#include "dispatcher/journal_store.h"
#include "dispatcher/recovery.h"
#include "fuzz/quiet_log.h"
#include "tests/engine/hall_invariants.h"
#include "tests/engine/test_hall.h"

namespace qcall {
namespace {

using ::qcall::testing::Bytes;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "journal_fuzz: %s\n", what.c_str());
  std::abort();
}

constexpr char kHall[] = "test-hall";

// A store that holds one hall's snapshot and records in memory and refuses
// to write.
class BytesStore : public JournalStore {
 public:
  std::optional<SnapshotRecord> snapshot;
  std::vector<JournalRecord> records;

  absl::Status Commit(absl::Span<const JournalRecord>,
                      absl::Span<const SnapshotRecord>) override {
    return absl::UnavailableError("read-only");
  }
  absl::StatusOr<std::optional<SnapshotRecord>> LatestSnapshot(
      absl::string_view hall_id) override {
    if (hall_id != kHall) return std::optional<SnapshotRecord>();
    return snapshot;
  }
  absl::StatusOr<uint64_t> LastIndex(absl::string_view hall_id) override {
    if (hall_id != kHall || records.empty()) return 0;
    return records.back().index;
  }
  absl::StatusOr<std::vector<std::string>> HallIds() override {
    return std::vector<std::string>{kHall};
  }
  absl::Status ReadJournal(
      absl::string_view hall_id, uint64_t after_index, uint64_t through_index,
      const std::function<absl::Status(const JournalRecord&)>& visit) override {
    if (hall_id != kHall) return absl::OkStatus();
    for (const JournalRecord& r : records) {
      if (r.index > after_index && r.index <= through_index) {
        if (absl::Status s = visit(r); !s.ok()) return s;
      }
    }
    return absl::OkStatus();
  }
  absl::Status ReadSnapshots(
      absl::string_view hall_id,
      const std::function<absl::Status(const SnapshotRecord&)>& visit)
      override {
    if (hall_id != kHall || !snapshot) return absl::OkStatus();
    return visit(*snapshot);
  }
  const JournalChain& chain() const override { return chain_; }

  // Chains the records and seals the snapshot as the SQLite store would, so
  // that recovery gets past the chain's checks to the replay.
  void Seal() {
    std::string head = chain_.Genesis(kHall);
    std::string head_at_snapshot = snapshot && snapshot->index == 0 ? head : "";
    for (JournalRecord& r : records) {
      head = chain_.Next(head, r);
      r.chain = head;
      if (snapshot && r.index == snapshot->index) head_at_snapshot = head;
    }
    if (snapshot) {
      snapshot->chain = head_at_snapshot;
      snapshot->checksum = chain_.SnapshotChecksum(*snapshot);
    }
  }

 private:
  JournalChain chain_;
};

class Reader {
 public:
  explicit Reader(absl::string_view in) : in_(in) {}
  bool empty() const { return in_.empty(); }
  uint64_t Int(int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes && !in_.empty(); ++i) {
      v |= uint64_t{static_cast<uint8_t>(in_[0])} << (8 * i);
      in_.remove_prefix(1);
    }
    return v;
  }
  std::string Bytes(size_t n) {
    const absl::string_view b = in_.substr(0, n);
    in_.remove_prefix(b.size());
    return std::string(b);
  }

 private:
  absl::string_view in_;
};

void Run(absl::string_view input) {
  static boost::asio::thread_pool* const pool = new boost::asio::thread_pool(1);
  static BytesStore* const unused = new BytesStore();
  static GroupCommitJournal* const journal = new GroupCommitJournal(unused);
  static const v1::HallConfig seed = testing::SmallHallConfig();

  Reader in(input);
  BytesStore store;
  const uint64_t flags = in.Int(1);
  if (flags & 1) {
    const size_t n = in.Int(2);
    SnapshotRecord snapshot{.hall_id = kHall};
    snapshot.state = in.Bytes(n);
    snapshot.index = in.Int(1);
    store.snapshot = std::move(snapshot);
  }
  uint64_t index = 0;
  int64_t at_ms = 1'795'000'000'000;
  while (!in.empty() && store.records.size() < 2000) {
    JournalRecord r{.hall_id = kHall};
    index += in.Int(1);
    r.index = index;
    at_ms += static_cast<int64_t>(in.Int(2)) * 1000;
    r.at_unix_ms = at_ms;
    const size_t request = in.Int(1);
    const size_t command = in.Int(2);
    const size_t reply = in.Int(2);
    r.request_id = in.Bytes(request);
    r.command = in.Bytes(command);
    r.reply = in.Bytes(reply);
    store.records.push_back(std::move(r));
  }
  // Mostly a journal whose chain holds, to reach the replay; sometimes the
  // bytes as they came, to reach the chain's refusals.
  if (!(flags & 4)) store.Seal();
  RuntimeOptions options;
  options.request_ids_kept = 1000;
  uint64_t replayed = 0;
  absl::StatusOr<RecoveredHall> recovered =
      RecoverHall(kHall, (flags & 2) ? nullptr : &seed, &store, journal, pool,
                  options, &replayed);
  absl::StatusOr<StoredHall> rebuilt =
      RebuildHall(kHall, (flags & 2) ? nullptr : &seed, &store);
  if (recovered.ok() != rebuilt.ok()) {
    Fail("RecoverHall and RebuildHall disagree: " +
         (recovered.ok() ? rebuilt.status() : recovered.status()).ToString());
  }
  if (!rebuilt.ok()) {
    if (rebuilt.status().message().empty()) Fail("a refusal without reason");
    return;
  }
  const v1::HallState state = rebuilt->hall.Snapshot();
  absl::StatusOr<absl::TimeZone> tz = LoadZone(state.config().time_zone());
  if (!tz.ok()) Fail("a recovered hall's zone: " + tz.status().ToString());
  absl::StatusOr<Hall> restored = Hall::Restore(state, *tz);
  if (!restored.ok()) {
    Fail("a recovered hall's snapshot is refused: " +
         restored.status().ToString());
  }
  if (Bytes(restored->Snapshot()) != Bytes(state)) {
    Fail("Snapshot(Restore(s)) != s after recovery");
  }
}

}  // namespace
}  // namespace qcall

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  qcall::fuzz::QuietProtobufLog();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  qcall::Run(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
