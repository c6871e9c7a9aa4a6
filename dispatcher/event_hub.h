// EventHub fans one hall's events out to its watchers. Each event is
// serialized once and its bytes are shared by every stream. Each stream keeps
// one write in flight and a queue bounded by bytes; a stream that falls that
// far behind, or whose write has not completed for the stall timeout (its
// reader stopped, and the HTTP/2 window closed), is ended at once with
// RESOURCE_EXHAUSTED and resumes from its last seq. So a stalled board costs
// a bounded few kilobytes and gives its place back within seconds.
//
//   EventHub hub({.stream_queue_bytes = 32 << 10,
//                 .stall_timeout = absl::Seconds(10)}, executor);
//   EventHub::Prepared prepared = EventHub::Prepare(events);  // Any thread.
//   hub.Publish(std::move(prepared));       // In seq order, once durable.
//   auto* stream = new WatchStream(&hub, windows, abort);
//   if (!hub.SubscribeAfter(stream, after_seq)) { ...send a snapshot... }
//   hub.EndStalled();                       // Every second (the hall's tick).
#ifndef QCALL_DISPATCHER_EVENT_HUB_H_
#define QCALL_DISPATCHER_EVENT_HUB_H_

#include <grpcpp/grpcpp.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "dispatcher/clock.h"
#include "dispatcher/grpc_status.h"
#include "qcall/v1/api.pb.h"
#include "qcall/v1/engine.pb.h"

namespace qcall {

class EventHub;

// One Watch call: a server-streaming reactor of pre-serialized
// WatchResponse messages.
class WatchStream : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // Runs the stream's last step (unsubscribe, delete) once gRPC is done with
  // it; without one it runs inline in OnDone. A hall passes its strand: the
  // subscription it queued there runs first, so a board that hangs up at
  // once is not freed before the strand has subscribed it.
  using Reaper = std::function<void(std::function<void()>)>;
  // Ends the call now with `status`, even while a write waits for a peer
  // that does not read (Finish would wait behind it). qcalld passes
  // grpc_call_cancel_with_status: the status goes out as trailers, which
  // HTTP/2 flow control does not hold back, and gRPC drops the message in
  // flight. It is never called under the stream's or the hub's locks, and
  // always before Finish, so the call is alive.
  using Abort = std::function<void(const grpc::Status&)>;
  // Adds one trailing metadata entry to the call (ServerContext's
  // AddTrailingMetadata), before its Finish.
  using AddTrailer =
      std::function<void(const std::string& key, const std::string& value)>;

  WatchStream(EventHub* hub, std::vector<int32_t> windows, Abort abort,
              Reaper reaper = nullptr, AddTrailer add_trailer = nullptr);

  // Queues one serialized WatchResponse. Thread-safe.
  void Deliver(const grpc::Slice& bytes);
  // Ends the call with `status` once the queued writes are sent, with
  // `trailers` (a hall that moved: its owner's addresses). A call cut at
  // once (Abort) carries the status only.
  void End(const grpc::Status& status, const Trailers& trailers = {});
  // Ends the call at once (see Abort) if its write has waited since before
  // `now - stall_timeout`. Returns whether it did.
  bool EndIfStalled(absl::Time now);
  bool Wants(int32_t window) const;

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

  // What the stream holds, for tests.
  struct State {
    bool writing = false;
    size_t queued = 0;                     // Messages waiting behind the write.
    size_t queued_bytes = 0;               // Their bytes.
    std::optional<grpc::Status> finished;  // What Finish was called with.
  };
  State state() const;

 private:
  void StartNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the queue and ends with `status`: Finish now, or, with a write in
  // flight, true: the caller must run RunAbort (outside every lock), and
  // Finish waits for it.
  bool CutLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RunAbort();
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  EventHub* hub_;
  const absl::flat_hash_set<int32_t> windows_;
  const Abort abort_;
  Reaper reaper_;
  const AddTrailer add_trailer_;
  mutable absl::Mutex mu_;
  // Slices share the event's bytes with the hub and every other stream; a
  // ByteBuffer (a grpc_byte_buffer of ~300 bytes) exists only for the write
  // in flight.
  std::deque<grpc::Slice> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::ByteBuffer in_flight_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time write_started_ ABSL_GUARDED_BY(mu_);
  // An abort is under way: Finish waits for it.
  bool aborting_ ABSL_GUARDED_BY(mu_) = false;
  bool aborted_ ABSL_GUARDED_BY(mu_) = false;  // Cut with a write stuck.
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> end_ ABSL_GUARDED_BY(mu_);
  Trailers trailers_ ABSL_GUARDED_BY(mu_);
  std::optional<grpc::Status> finish_status_ ABSL_GUARDED_BY(mu_);
};

class EventHub {
 public:
  struct Stats {
    uint64_t published = 0;
    uint64_t streams = 0;
    uint64_t overflowed = 0;  // Ended for falling a queue behind.
    uint64_t stalled = 0;     // Ended for a write stuck past the timeout.
  };

  struct Options {
    // Events kept for resuming streams.
    size_t retained = 4096;
    // Bytes a stream may hold waiting behind its write in flight (a first
    // message, such as a large snapshot, is always taken).
    size_t stream_queue_bytes = 32 << 10;
    // A write not completed for this long ends its stream; zero: never.
    absl::Duration stall_timeout = absl::Seconds(10);
    // Where write times come from; not owned.
    Clock* clock = RealClock::Get();
  };

  // Runs a task on some thread of a pool, soon and without waiting.
  using Executor = std::function<void(std::function<void()>)>;

  // Fans out on `executor`.
  EventHub(const Options& options, Executor executor);

  // One event as every stream receives it: a serialized WatchResponse.
  struct Published {
    uint64_t seq;
    int32_t window;  // 0 for hall-wide events.
    grpc::Slice bytes;
    // For a stream that filters the event's window out: the event with its
    // waiting counts only (no kind), or empty when it carries none.
    grpc::Slice counts_only;
  };
  using Prepared = std::vector<Published>;

  // Serializes `events` for Publish. Needs no hub, so the hall's strand does
  // it and the journal's writer, which every hall shares, only appends.
  static Prepared Prepare(absl::Span<const v1::HallEvent> events);
  // Retains `events`, which follow the last published seq, and schedules
  // their delivery; the caller (the journal's writer) never waits for it.
  void Publish(Prepared events);

  // Subscribes `stream` and queues the retained events after `after_seq`.
  // Returns false, subscribing nothing, when those events are no longer held,
  // when their bytes are more than half a stream queue, or when after_seq is
  // 0: the caller then sends a snapshot and calls SubscribeWithSnapshot.
  bool SubscribeAfter(WatchStream* stream, uint64_t after_seq);
  // Queues `snapshot` and subscribes `stream` to events after its last_seq.
  // A snapshot that shows commands not yet durable is held back until their
  // events are published, so a board never shows what a crash could undo.
  void SubscribeWithSnapshot(WatchStream* stream, const v1::HallView& snapshot);
  void Unsubscribe(WatchStream* stream);
  // Ends every stream (server shutdown, the hall leaving this node).
  void EndAll(const grpc::Status& status, const Trailers& trailers = {});
  // Ends the streams whose write has waited longer than the stall timeout.
  // Returns how many. The hall calls it at every tick.
  size_t EndStalled();

  uint64_t last_seq() const;
  const Options& options() const { return options_; }
  Stats stats() const;
  void CountOverflow() { ++overflowed_; }
  void CountStall() { ++stalled_; }
  // Runs `task` on the executor (a stream's abort, outside the locks).
  void Run(std::function<void()> task) { executor_(std::move(task)); }

 private:
  // Streams are spread over shards that fan out in parallel on the pool, so
  // 1,000 streams are not served by one loop. (gRPC callback alarms were
  // tried first: when the server is quiet they fire up to ~100 ms late.)
  static constexpr size_t kShards = 4;

  // Delivers `p`, or its counts, to `stream` as its window filter says.
  static void DeliverTo(WatchStream* stream, const Published& p);
  struct Subscriber {
    WatchStream* stream;
    uint64_t delivered_through;  // Sent, or covered by its snapshot.
  };
  struct Shard {
    absl::Mutex mu;  // Taken after the hub's mu_ when both are needed.
    std::vector<Subscriber> subscribers ABSL_GUARDED_BY(mu);
    bool scheduled ABSL_GUARDED_BY(mu) = false;
  };

  struct HeldSnapshot {
    WatchStream* stream;
    uint64_t seq;
    grpc::Slice bytes;
  };

  // Subscribes `stream` to a shard, delivering retained events after
  // `delivered_through` first.
  void AddLocked(WatchStream* stream, uint64_t delivered_through)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends the held snapshots that are now durable.
  void ReleaseHeldLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Delivers what was published since each of the shard's streams last got
  // an event.
  void FanOut(Shard* shard);

  const Options options_;
  const Executor executor_;
  mutable absl::Mutex mu_;
  std::deque<Published> recent_ ABSL_GUARDED_BY(mu_);
  std::vector<HeldSnapshot> held_ ABSL_GUARDED_BY(mu_);
  uint64_t last_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t published_ ABSL_GUARDED_BY(mu_) = 0;
  size_t next_shard_ ABSL_GUARDED_BY(mu_) = 0;
  std::array<Shard, kShards> shards_;
  std::atomic<uint64_t> streams_{0};
  std::atomic<uint64_t> overflowed_{0};
  std::atomic<uint64_t> stalled_{0};
};

// The window an event concerns, 0 when it concerns the whole hall.
int32_t EventWindow(const v1::HallEvent& event);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_EVENT_HUB_H_
