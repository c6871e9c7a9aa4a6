#include "dispatcher/wal_check.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>

#include "absl/strings/str_cat.h"

namespace qcall {
namespace {

constexpr size_t kWalHeader = 32;
constexpr size_t kFrameHeader = 24;
constexpr size_t kShmHeader = 48;  // One copy of the WalIndexHdr.

using Bytes = const unsigned char*;

uint32_t Be32(Bytes p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
uint32_t Le32(Bytes p) {
  return (uint32_t{p[3]} << 24) | (uint32_t{p[2]} << 16) |
         (uint32_t{p[1]} << 8) | uint32_t{p[0]};
}

// SQLite's WAL checksum: pairs of 32-bit words, cumulative.
struct Sum {
  uint32_t s1 = 0;
  uint32_t s2 = 0;
  bool operator==(const Sum&) const = default;
};
void Add(bool big_endian, Bytes data, size_t n, Sum* sum) {
  for (size_t i = 0; i + 8 <= n; i += 8) {
    const uint32_t x0 = big_endian ? Be32(data + i) : Le32(data + i);
    const uint32_t x1 = big_endian ? Be32(data + i + 4) : Le32(data + i + 4);
    sum->s1 += x0 + sum->s2;
    sum->s2 += x1 + sum->s1;
  }
}
Sum Stored(Bytes p) { return {Be32(p), Be32(p + 4)}; }

std::optional<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

// The wal-index header in -shm, when both copies agree and it checks.
struct ShmHeader {
  uint32_t max_frame = 0;  // The last committed frame (1-based).
  unsigned char salt[8];   // As in the WAL header.
};
std::optional<ShmHeader> ReadShm(const std::string& path) {
  std::optional<std::string> shm = ReadAll(path);
  if (!shm || shm->size() < 2 * kShmHeader) return std::nullopt;
  Bytes p = reinterpret_cast<Bytes>(shm->data());
  if (std::memcmp(p, p + kShmHeader, kShmHeader) != 0 || p[12] != 1) {
    return std::nullopt;
  }
  // The index is in the machine's byte order; qcalld runs little-endian.
  Sum sum;
  Add(false, p, 40, &sum);
  if (sum.s1 != Le32(p + 40) || sum.s2 != Le32(p + 44)) return std::nullopt;
  ShmHeader header;
  header.max_frame = Le32(p + 16);
  std::memcpy(header.salt, p + 32, 8);
  return header;
}

}  // namespace

WalReport CheckWal(const std::string& db_path) {
  WalReport report;
  report.wal_path = db_path + "-wal";
  const std::optional<std::string> file = ReadAll(report.wal_path);
  if (!file || file->empty()) return report;
  const std::optional<ShmHeader> shm = ReadShm(db_path + "-shm");
  Bytes wal = reinterpret_cast<Bytes>(file->data());
  const size_t size = file->size();
  auto damaged = [&](uint64_t offset, std::string what) {
    report.verdict = WalReport::kDamaged;
    report.offset = offset;
    report.message = absl::StrCat(report.wal_path, " is damaged at byte ",
                                  offset, ": ", what);
    return report;
  };
  auto torn = [&](uint64_t offset, std::string what) {
    report.verdict = WalReport::kTornTail;
    report.offset = offset;
    report.message =
        absl::StrCat(report.wal_path, " from byte ", offset, ": ", what);
    return report;
  };
  if (size < kWalHeader) {
    if (shm && shm->max_frame > 0) {
      return damaged(0, absl::StrCat("it is cut to ", size,
                                     " bytes, but its index (-shm) says ",
                                     shm->max_frame, " frames were committed"));
    }
    return torn(0, "an incomplete header (a crash as it began); ignored");
  }
  const uint32_t magic = Be32(wal);
  const bool big_endian = (magic & 1) != 0;
  const uint32_t page = Be32(wal + 8);
  const bool page_ok = page >= 512 && page <= 65536 && (page & (page - 1)) == 0;
  const size_t frame = kFrameHeader + page;
  Sum header_sum;
  Add(big_endian, wal, 24, &header_sum);
  const bool shm_matches = shm && std::memcmp(shm->salt, wal + 16, 8) == 0;
  // Frame `at` holds the header's salts and its checksum, seeded with
  // `seed`, holds.
  auto frame_ok = [&](size_t at, Sum seed) {
    if (!page_ok || at + frame > size) return false;
    if (std::memcmp(wal + at + 8, wal + 16, 8) != 0) return false;
    Add(big_endian, wal + at, 8, &seed);
    Add(big_endian, wal + at + kFrameHeader, page, &seed);
    return seed == Stored(wal + at + 16);
  };
  const bool magic_ok = magic == 0x377f0682 || magic == 0x377f0683;
  if (!magic_ok || !page_ok || !(header_sum == Stored(wal + 24))) {
    if (shm_matches && shm->max_frame > 0) {
      return damaged(0, absl::StrCat("its header fails its checksum, but its "
                                     "index (-shm) says ",
                                     shm->max_frame, " frames were committed"));
    }
    if (magic_ok && page_ok &&
        (frame_ok(kWalHeader, Stored(wal + 24)) ||
         frame_ok(kWalHeader, header_sum))) {
      return damaged(0,
                     "its header fails its checksum, but the frame after it "
                     "verifies: committed frames would be dropped");
    }
    return torn(0,
                "a header that does not verify (a crash as the log "
                "began again); SQLite ignores the log");
  }
  // The valid prefix.
  size_t at = kWalHeader;
  Sum seed = header_sum;
  uint64_t frames = 0;
  size_t commit_end = kWalHeader;
  while (frame_ok(at, seed)) {
    seed = Stored(wal + at + 16);
    ++frames;
    if (Be32(wal + at + 4) != 0) {  // A commit frame: the database's size.
      report.committed_frames = frames;
      commit_end = at + frame;
    }
    at += frame;
  }
  report.offset = at;
  if (shm_matches && shm->max_frame > report.committed_frames) {
    return damaged(
        at,
        absl::StrCat(at + frame <= size ? "a frame fails its checksum"
                                        : "the log is cut short",
                     "; its index (-shm) says ", shm->max_frame,
                     " frames were committed, only ", report.committed_frames,
                     " verify, so SQLite would drop committed "
                     "transactions"));
  }
  // After the first bad frame: a commit of this log's generation, then a
  // later frame that verifies against its predecessor. A transaction begins
  // only once the one before it is committed and synced, so the bad frame
  // was durable and was changed afterwards.
  bool commit_seen = false;
  for (size_t next = at; next + frame <= size; next += frame) {
    const bool this_generation = std::memcmp(wal + next + 8, wal + 16, 8) == 0;
    if (commit_seen && this_generation && next > at &&
        frame_ok(next, Stored(wal + next - frame + 16))) {
      return damaged(at,
                     absl::StrCat("a frame fails its checksum, but a later "
                                  "transaction's frame at byte ",
                                  next,
                                  " verifies: SQLite would drop the committed "
                                  "transactions from here on"));
    }
    if (this_generation && Be32(wal + next + 4) != 0) commit_seen = true;
  }
  // What follows the last commit: an unfinished write, or frames of an
  // older generation (already checkpointed).
  if (commit_end < size) {
    const bool older = commit_end + frame <= size &&
                       std::memcmp(wal + commit_end + 8, wal + 16, 8) != 0 &&
                       at == commit_end;
    if (!older) {
      return torn(commit_end,
                  absl::StrCat(size - commit_end,
                               " bytes after the last commit: a write that "
                               "was never acknowledged (a crash), dropped"));
    }
  }
  report.offset = 0;
  return report;
}

}  // namespace qcall
