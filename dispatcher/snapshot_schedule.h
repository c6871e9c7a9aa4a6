// When a hall's next snapshot is due. A snapshot costs time in proportion to
// the tickets the hall holds, so one is due every `every` commands, or, in a
// hall holding more tickets than that, every as many commands as it holds
// tickets: snapshots stay O(1) per command on average, and recovery replays
// at most that many commands.
//
//   SnapshotSchedule schedule(10'000, /*last=*/journal_index);
//   if (schedule.Due(index, hall.ticket_count())) { schedule.Taken(index); ...
//   }
#ifndef QCALL_DISPATCHER_SNAPSHOT_SCHEDULE_H_
#define QCALL_DISPATCHER_SNAPSHOT_SCHEDULE_H_

#include <algorithm>
#include <cstdint>

namespace qcall {

class SnapshotSchedule {
 public:
  // `last`: the journal index the latest snapshot (or the start) covers.
  SnapshotSchedule(uint64_t every, uint64_t last)
      : every_(std::max<uint64_t>(every, 1)), last_(last) {}

  bool Due(uint64_t index, uint64_t tickets) const {
    return index - last_ >= std::max(every_, tickets);
  }
  void Taken(uint64_t index) { last_ = index; }

 private:
  const uint64_t every_;
  uint64_t last_;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_SNAPSHOT_SCHEDULE_H_
