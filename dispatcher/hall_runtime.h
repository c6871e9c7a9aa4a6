// HallRuntime runs one hall on the network: its commands in order on a strand
// of the shared thread pool, each journaled before its reply and events leave,
// retries answered from a request_id cache, timers (ticks and lost
// heartbeats) as journaled commands, and the hall's EventHub.
//
//   runtime->Submit(command, request_id, [](absl::Status s, const
//   v1::CommandReply& r) {
//     // Runs once the command is durable (or refused).
//   });
#ifndef QCALL_DISPATCHER_HALL_RUNTIME_H_
#define QCALL_DISPATCHER_HALL_RUNTIME_H_

#include <array>
#include <atomic>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dispatcher/clock.h"
#include "dispatcher/durable_reads.h"
#include "dispatcher/event_hub.h"
#include "dispatcher/group_commit_journal.h"
#include "dispatcher/grpc_status.h"
#include "dispatcher/request_memory.h"
#include "dispatcher/snapshot_schedule.h"
#include "engine/hall.h"
#include "qcall/v1/api.pb.h"

namespace qcall {

struct RuntimeOptions {
  // Commands between snapshots, at least (SnapshotSchedule says the rule).
  uint64_t snapshot_every = 10'000;
  // Request ids remembered per hall for retries.
  size_t request_ids_kept = 100'000;
  absl::Duration tick_interval = absl::Seconds(1);
  // A window whose counter sent heartbeats and then stopped for this long
  // is lost.
  absl::Duration heartbeat_timeout = absl::Seconds(30);
  size_t events_retained = 4096;
  // A Watch stream's queue, in bytes of messages waiting behind its write,
  // and how long a write may wait (EventHub::Options).
  size_t stream_queue_bytes = 32 << 10;
  absl::Duration stream_stall_timeout = absl::Seconds(10);
  // Where the hall's time and ticks come from; not owned.
  Clock* clock = RealClock::Get();
  // Business days a customer's private data is kept (qcalld
  // --private-data-days), unless the hall's config says.
  int32_t private_data_days = 30;
};

class HallRuntime {
 public:
  using Reply = std::function<void(absl::Status, const v1::CommandReply&)>;
  using Strand = boost::asio::strand<boost::asio::thread_pool::executor_type>;

  HallRuntime(Hall hall, uint64_t journal_index, Strand strand,
              GroupCommitJournal* journal, const RuntimeOptions& options);

  // Recovery: applies one journaled command as it was applied live, and
  // keeps its events for resuming streams when `publish`. Call before Start,
  // from one thread.
  absl::Status Replay(const JournalRecord& record, bool publish);
  // Recovery: remembers the request id and reply of a record the snapshot
  // already covers, so its retry is still answered after a restart.
  void RememberJournaled(const JournalRecord& record);

  // Recovery: the configuration the hall runs after replay. Call before
  // Start, from one thread.
  const v1::HallConfig& recovered_config() const {
    return hall_.rules().config();
  }

  // Starts the timers.
  void Start();
  // The hall leaves this node (another node serves it now): from the
  // strand on, commands and new Watch calls are refused with `why` (and
  // `trailers`, the owner's addresses, for the service to send), timers
  // stop, and `written` runs once every command applied before is durable
  // (or failed), so the hall's lock can be let go then.
  void Retire(absl::Status why, Trailers trailers,
              std::function<void(absl::Status)> written);
  // Whether Retire has run; then retired_trailers() may be read.
  bool retired() const { return retired_.load(std::memory_order_acquire); }
  const Trailers& retired_trailers() const { return retired_trailers_; }
  // Stops the timers; pending commands still finish.
  void Stop();

  // Applies `command` on the strand and replies once it is durable. A retry
  // of a remembered request_id is answered from memory; otherwise `admit`,
  // when given, may refuse the command first (a kiosk over its rate: so a
  // retry never costs what the first call did). `phone`, for an
  // IssueTicket, never reaches the engine: once the ticket is known it goes
  // with the journal record into the private tables (the caller checked
  // that the store keeps private data).
  using Admit = std::function<absl::Status()>;
  void Submit(v1::Command command, std::string request_id, Reply reply,
              Admit admit = nullptr, std::string phone = "");
  // Runs `read` on the hall's strand, in order with its commands, with the
  // clock's time; the answer it returns runs once every command the read saw
  // is durable (OK), or with the journal's failure (DurableReads).
  using Answer = DurableReads::Answer;
  void Read(std::function<Answer(const Hall&, absl::Time now)> read);
  // Runs `task` on the hall's strand, in order with its commands (not a read:
  // nothing waits for durability).
  void RunOnStrand(std::function<void()> task);
  void Heartbeat(int32_t window);
  // The window's clerk signed out of the screen and left it open: no more
  // heartbeats are expected, so it is not declared lost.
  void ForgetHeartbeat(int32_t window);
  // Subscribes a Watch call: retained events after `after_seq`, or a
  // snapshot of the hall first.
  void Watch(WatchStream* stream, uint64_t after_seq);

  // Counters for /metrics, written on the hall's threads, read anywhere.
  struct Counters {
    // Upper bounds of the apply-to-durable latency buckets, in microseconds.
    static constexpr std::array<int64_t, 9> kBucketsMicros = {
        250, 500, 1000, 2000, 5000, 10000, 25000, 100000, 1000000};
    std::atomic<uint64_t> journaled{0};  // Commands that changed the hall.
    std::atomic<uint64_t> unchanged{0};  // Refused, or nothing to do.
    std::atomic<uint64_t> durable_micros_sum{0};
    std::array<std::atomic<uint64_t>, kBucketsMicros.size() + 1> buckets{};
  };

  EventHub& hub() { return hub_; }
  const Counters& counters() const { return counters_; }
  const std::string& hall_id() const { return hall_id_; }

 private:
  void ApplyNow(const v1::Command& command, const std::string& request_id,
                Reply reply, const Admit& admit = nullptr,
                std::string phone = "");
  // Once a business day: erases the private data past its retention, off
  // the strand.
  void PurgePrivateData(absl::Time now);
  v1::CommandReply ReplyOf(const Hall::Outcome& out) const;
  void CountDurable(int64_t micros);
  // Journals a snapshot of the hall as it is now, built off the strand.
  void SnapshotInBackground();
  // After a failed write (the journal's generation moved on): the hall as
  // the store holds it, so that reads and new boards see the durable state,
  // never the refused commands, and, once the store is back, what a commit
  // whose outcome was unknown did (its events published, its request id
  // answered with its first reply). OK when the hall matches the store's
  // generation; the store's error otherwise (commands stay refused).
  absl::Status Resync();
  // The journal failed since the hall last matched the store, and writes
  // again: Resync is due (an atomic load on the common path).
  bool Stale() const {
    return generation_ != journal_->generation() && journal_->health().ok();
  }
  void ScheduleTick();
  void OnTick();

  const std::string hall_id_;
  Hall hall_;
  uint64_t journal_index_;
  SnapshotSchedule snapshots_;
  Strand strand_;
  GroupCommitJournal* journal_;
  const RuntimeOptions options_;
  EventHub hub_;
  Hall::Outcome outcome_;
  RequestMemory requests_;
  DurableReads reads_;
  absl::flat_hash_map<int32_t, absl::Time> heartbeats_;
  // The configuration the hall runs, shared with the journal records'
  // events (records.h) until the hall is configured again.
  std::shared_ptr<const v1::HallConfig> config_;
  // The business day whose retention purge was started.
  int32_t purged_day_ = 0;
  std::unique_ptr<Timer> timer_;
  bool stopped_ = false;
  // The journal's generation the hall matched the store at (Resync).
  uint64_t generation_;
  // A commit of this hall failed since it last matched the store.
  std::atomic<bool> failed_{false};
  // Written on the strand before retired_ is set, read after it is.
  absl::Status retired_status_;
  Trailers retired_trailers_;
  std::atomic<bool> retired_{false};
  Counters counters_;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_HALL_RUNTIME_H_
