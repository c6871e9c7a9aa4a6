// CheckWal reads a SQLite journal's write-ahead log (`<db>-wal`) and its
// index (`<db>-shm`) before SQLite opens them, because SQLite silently drops
// every frame from the first one whose checksum fails, and rewrites the files
// once it has. Format: https://www.sqlite.org/fileformat2.html#walformat
//
//   WalReport wal = CheckWal("data/journal.sqlite");
//   if (wal.verdict == WalReport::kDamaged) { /* refuse, log wal.message */ }
//
// What can be told apart:
// - The valid prefix: frames carrying the header's salts whose cumulative
//   checksums hold. SQLite replays it up to its last commit frame.
// - kTornTail: bytes after that prefix that SQLite drops and that a crash
//   during a write not yet acknowledged explains (a partial frame, frames
//   without a commit frame, frames of an older WAL generation). Normal.
// - kDamaged: bytes SQLite drops that held committed transactions:
//   * the index (-shm, still there after a kill -9) says more frames were
//     committed than the valid prefix holds (a WAL cut short, a flipped byte
//     anywhere in a committed frame);
//   * after the first bad frame, a frame of the same generation whose own
//     checksum holds (seeded from its predecessor's): it was written after
//     the bad one, so the bad one was complete and was changed later;
//   * a header that fails its checksum while its first frame verifies.
// What cannot be told: without a usable -shm (power loss, or removed), a
// WAL cut exactly at a frame boundary looks like a clean end, and damage in
// the last transaction like a torn write. After a power loss the disk may
// also write an unacknowledged transaction's frames out of order, which looks
// like the second case: the operator then decides (--accept-journal-damage).
#ifndef QCALL_DISPATCHER_WAL_CHECK_H_
#define QCALL_DISPATCHER_WAL_CHECK_H_

#include <cstdint>
#include <string>

namespace qcall {

struct WalReport {
  enum Verdict { kClean, kTornTail, kDamaged };
  Verdict verdict = kClean;
  std::string wal_path;
  // Where the valid prefix ends (the first byte SQLite ignores), when not
  // kClean.
  uint64_t offset = 0;
  uint64_t committed_frames = 0;  // In the valid prefix.
  std::string message;            // What was found, for the log.
};

// `db_path` is the journal's main file; its -wal and -shm are read, never
// written. A missing or empty -wal is kClean.
WalReport CheckWal(const std::string& db_path);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_WAL_CHECK_H_
