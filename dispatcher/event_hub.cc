#include "dispatcher/event_hub.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "dispatcher/tsan_annotations.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace qcall {
namespace {

grpc::Slice Serialize(const v1::WatchResponse& response) {
  std::string bytes = response.SerializeAsString();
  return grpc::Slice(std::move(bytes));
}

// The bytes of a WatchResponse whose `event` is `event`, written around the
// event's own bytes instead of copying the event into a WatchResponse.
grpc::Slice SerializeEvent(const v1::HallEvent& event) {
  using google::protobuf::internal::WireFormatLite;
  using google::protobuf::io::CodedOutputStream;
  const uint32_t tag =
      WireFormatLite::MakeTag(v1::WatchResponse::kEventFieldNumber,
                              WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
  const size_t size = event.ByteSizeLong();
  std::string bytes(CodedOutputStream::VarintSize32(tag) +
                        CodedOutputStream::VarintSize64(size) + size,
                    '\0');
  uint8_t* out = reinterpret_cast<uint8_t*>(bytes.data());
  out = CodedOutputStream::WriteVarint32ToArray(tag, out);
  out = CodedOutputStream::WriteVarint64ToArray(size, out);
  event.SerializeWithCachedSizesToArray(out);
  return grpc::Slice(std::move(bytes));
}

}  // namespace

int32_t EventWindow(const v1::HallEvent& e) {
  switch (e.kind_case()) {
    case v1::HallEvent::kTicketCalled:
      return e.ticket_called().window();
    case v1::HallEvent::kTicketStateChanged:
      return e.ticket_state_changed().window();
    case v1::HallEvent::kTicketTransferred:
      return e.ticket_transferred().from_window();
    case v1::HallEvent::kWindowChanged:
      return e.window_changed().window();
    case v1::HallEvent::kAlarm:
      return e.alarm().window();
    case v1::HallEvent::kAlarmAcknowledged:
      return e.alarm_acknowledged().alarm().window();
    case v1::HallEvent::kTicketRated:
      return e.ticket_rated().window();
    case v1::HallEvent::kFollowUpChanged:
      return e.follow_up_changed().follow_up().window();
    case v1::HallEvent::kComplaintChanged:
      return e.complaint_changed().complaint().window();
    default:
      return 0;
  }
}

// ---------------------------------------------------------------------------
// WatchStream

namespace {

grpc::Status FellBehind() {
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      "this watcher fell too far behind; reconnect with "
                      "after_seq set to the last event received");
}

grpc::Status Stalled(absl::Duration timeout) {
  return grpc::Status(
      grpc::StatusCode::RESOURCE_EXHAUSTED,
      absl::StrCat("this watcher read nothing for ",
                   absl::FormatDuration(timeout),
                   "; reconnect with after_seq set to the last event "
                   "received"));
}

}  // namespace

WatchStream::WatchStream(EventHub* hub, std::vector<int32_t> windows,
                         Abort abort, Reaper reaper, AddTrailer add_trailer)
    : hub_(hub),
      windows_(windows.begin(), windows.end()),
      abort_(std::move(abort)),
      reaper_(std::move(reaper)),
      add_trailer_(std::move(add_trailer)) {}

bool WatchStream::Wants(int32_t window) const {
  return windows_.empty() || window == 0 || windows_.contains(window);
}

void WatchStream::Deliver(const grpc::Slice& bytes) {
  bool abort = false;
  {
    absl::MutexLock lock(&mu_);
    if (finished_ || end_) return;
    if (!queue_.empty() &&
        queued_bytes_ + bytes.size() > hub_->options().stream_queue_bytes) {
      hub_->CountOverflow();
      abort = CutLocked(FellBehind());
    } else {
      queue_.push_back(bytes);
      queued_bytes_ += bytes.size();
      if (!writing_) StartNextLocked();
    }
  }
  // Deliver runs under the hub's locks: the abort runs on the pool.
  if (abort) hub_->Run([this] { RunAbort(); });
}

void WatchStream::End(const grpc::Status& status, const Trailers& trailers) {
  absl::MutexLock lock(&mu_);
  if (finished_ || end_) return;
  end_ = status;
  trailers_ = trailers;
  MaybeFinishLocked();
}

bool WatchStream::EndIfStalled(absl::Time now) {
  const absl::Duration timeout = hub_->options().stall_timeout;
  {
    absl::MutexLock lock(&mu_);
    if (finished_ || aborted_ || !writing_ || timeout <= absl::ZeroDuration() ||
        now - write_started_ < timeout) {
      return false;
    }
    hub_->CountStall();
    // A stream already ending (say, UNAVAILABLE after a journal failure)
    // keeps its reason.
    if (!CutLocked(end_.value_or(Stalled(timeout)))) return true;
  }
  hub_->Run([this] { RunAbort(); });
  return true;
}

bool WatchStream::CutLocked(const grpc::Status& status) {
  end_ = status;
  queue_.clear();
  queued_bytes_ = 0;
  if (!writing_) {
    MaybeFinishLocked();
    return false;
  }
  aborting_ = true;
  aborted_ = true;
  return true;
}

void WatchStream::RunAbort() {
  grpc::Status status;
  {
    absl::MutexLock lock(&mu_);
    status = *end_;
  }
  // Finish waits for aborting_, so OnDone cannot have run: the call lives.
  abort_(status);
  absl::MutexLock lock(&mu_);
  aborting_ = false;
  MaybeFinishLocked();
}

void WatchStream::MaybeFinishLocked() {
  if (finished_ || !end_ || writing_ || aborting_ || !queue_.empty()) return;
  finished_ = true;
  finish_status_ = *end_;
  if (add_trailer_ != nullptr) {
    for (const auto& [key, value] : trailers_) add_trailer_(key, value);
  }
  // OnDone, on a gRPC thread, reads and deletes what this thread wrote.
  TsanRelease(this);
  Finish(*end_);
}

void WatchStream::StartNextLocked() {
  grpc::Slice next = std::move(queue_.front());
  queue_.pop_front();
  queued_bytes_ -= next.size();
  // The bytes are read by gRPC's thread, and in-process by the reader's
  // (the HTTP gateway's OnReadDone).
  TsanRelease(next.begin());
  in_flight_ = grpc::ByteBuffer(&next, 1);
  writing_ = true;
  write_started_ = hub_->options().clock->Now();
  TsanRelease(this);
  StartWrite(&in_flight_);
}

void WatchStream::OnWriteDone(bool ok) {
  TsanAcquire(this);
  absl::MutexLock lock(&mu_);
  writing_ = false;
  in_flight_.Clear();
  if (finished_) return;
  if (!ok) {
    queue_.clear();
    queued_bytes_ = 0;
    if (!end_) {
      end_ = grpc::Status(grpc::StatusCode::UNAVAILABLE, "stream broken");
    }
  }
  if (!queue_.empty()) {
    StartNextLocked();
    return;
  }
  MaybeFinishLocked();
}

void WatchStream::OnCancel() {
  {
    absl::MutexLock lock(&mu_);
    if (!finished_) {
      queue_.clear();
      queued_bytes_ = 0;
      if (!end_) end_ = grpc::Status::CANCELLED;
      MaybeFinishLocked();
    }
  }
  // gRPC drops its reference to the call right after this returns, inside
  // libgrpc++ where TSan cannot see it; OnDone, on another thread, acquires
  // this: what gRPC's Finish above read of the call happens before gRPC
  // frees it after OnDone.
  TsanRelease(this);
}

WatchStream::State WatchStream::state() const {
  absl::MutexLock lock(&mu_);
  return {writing_, queue_.size(), queued_bytes_, finish_status_};
}

void WatchStream::OnDone() {
  TsanAcquire(this);
  auto reap = [this] {
    hub_->Unsubscribe(this);
    delete this;
  };
  if (reaper_ == nullptr) return reap();
  // Moved out first: `reap` may run on another thread before this returns.
  Reaper reaper = std::move(reaper_);
  reaper(std::move(reap));
}

// ---------------------------------------------------------------------------
// EventHub

EventHub::EventHub(const Options& options, Executor executor)
    : options_(options), executor_(std::move(executor)) {}

EventHub::Prepared EventHub::Prepare(absl::Span<const v1::HallEvent> events) {
  Prepared prepared;
  prepared.reserve(events.size());
  for (const v1::HallEvent& event : events) {
    const int32_t window = EventWindow(event);
    grpc::Slice counts_only;
    if (window != 0 && event.waiting_size() > 0) {
      v1::HallEvent counts;
      counts.set_seq(event.seq());
      counts.set_at_unix_ms(event.at_unix_ms());
      *counts.mutable_waiting() = event.waiting();
      counts_only = SerializeEvent(counts);
    }
    prepared.push_back(
        {event.seq(), window, SerializeEvent(event), std::move(counts_only)});
  }
  return prepared;
}

void EventHub::Publish(Prepared events) {
  absl::MutexLock lock(&mu_);
  for (Published& event : events) {
    last_seq_ = event.seq;
    ++published_;
    recent_.push_back(std::move(event));
  }
  while (recent_.size() > options_.retained) recent_.pop_front();
  ReleaseHeldLocked();
  for (Shard& shard : shards_) {
    absl::MutexLock shard_lock(&shard.mu);
    if (shard.scheduled || shard.subscribers.empty()) continue;
    shard.scheduled = true;
    executor_([this, &shard] { FanOut(&shard); });
  }
}

void EventHub::FanOut(Shard* shard) {
  std::vector<Published> fresh;
  mu_.Lock();
  absl::MutexLock shard_lock(&shard->mu);
  shard->scheduled = false;
  uint64_t oldest = last_seq_;
  for (const Subscriber& s : shard->subscribers) {
    oldest = std::min(oldest, s.delivered_through);
  }
  const uint64_t first = recent_.empty() ? last_seq_ + 1 : recent_.front().seq;
  for (size_t i = oldest + 1 > first ? oldest + 1 - first : 0;
       i < recent_.size(); ++i) {
    fresh.push_back(recent_[i]);
  }
  const uint64_t last = last_seq_;
  mu_.Unlock();  // Publishing goes on while this shard delivers.
  for (Subscriber& s : shard->subscribers) {
    if (s.delivered_through >= last) continue;
    if (s.delivered_through + 1 < first) {
      ++overflowed_;
      s.stream->End(FellBehind());
    } else {
      for (const Published& p : fresh) {
        if (p.seq > s.delivered_through) DeliverTo(s.stream, p);
      }
    }
    s.delivered_through = last;
  }
}

void EventHub::DeliverTo(WatchStream* stream, const Published& p) {
  if (stream->Wants(p.window)) {
    stream->Deliver(p.bytes);
  } else if (p.counts_only.size() > 0) {
    // Queue lengths are hall-wide even when the event is not.
    stream->Deliver(p.counts_only);
  }
}

void EventHub::AddLocked(WatchStream* stream, uint64_t delivered_through) {
  for (const Published& p : recent_) {
    if (p.seq > delivered_through) DeliverTo(stream, p);
  }
  Shard& shard = shards_[next_shard_++ % kShards];
  absl::MutexLock shard_lock(&shard.mu);
  shard.subscribers.push_back({stream, std::max(delivered_through, last_seq_)});
  ++streams_;
}

bool EventHub::SubscribeAfter(WatchStream* stream, uint64_t after_seq) {
  absl::MutexLock lock(&mu_);
  if (after_seq == 0 || recent_.empty() ||
      after_seq + 1 < recent_.front().seq) {
    // Nothing retained that far back: a snapshot is needed. An empty hall
    // (no events at all) also starts with a snapshot.
    return false;
  }
  // More than half a stream queue of backlog would be queued at once and
  // leave little room for what follows: a snapshot instead.
  size_t backlog = 0;
  for (auto it = recent_.rbegin(); it != recent_.rend() && it->seq > after_seq;
       ++it) {
    backlog += it->bytes.size();
    if (backlog > options_.stream_queue_bytes / 2) return false;
  }
  AddLocked(stream, after_seq);
  return true;
}

void EventHub::SubscribeWithSnapshot(WatchStream* stream,
                                     const v1::HallView& snapshot) {
  v1::WatchResponse response;
  *response.mutable_snapshot() = snapshot;
  const grpc::Slice bytes = Serialize(response);
  absl::MutexLock lock(&mu_);
  held_.push_back({stream, snapshot.last_seq(), bytes});
  ReleaseHeldLocked();
}

void EventHub::ReleaseHeldLocked() {
  // A loop, not erase_if: the analysis cannot see that a lambda runs under
  // mu_.
  size_t kept = 0;
  for (size_t i = 0; i < held_.size(); ++i) {
    if (held_[i].seq > last_seq_) {
      if (kept != i) held_[kept] = std::move(held_[i]);
      ++kept;
      continue;
    }
    held_[i].stream->Deliver(held_[i].bytes);
    AddLocked(held_[i].stream, held_[i].seq);
  }
  held_.resize(kept);
}

void EventHub::Unsubscribe(WatchStream* stream) {
  // mu_ first: AddLocked delivers a resuming stream's backlog under mu_
  // before the stream joins a shard, and that delivery can finish the stream
  // (queue overflow, a cancel). Its OnDone must wait here until the stream is
  // in its shard; otherwise the stream is deleted under AddLocked and a
  // dangling pointer is left in the shard (its events then reach whichever
  // stream reuses the memory, and shutdown ends freed streams).
  absl::MutexLock hub_lock(&mu_);
  if (std::erase_if(held_, [stream](const HeldSnapshot& h) {
        return h.stream == stream;
      }) > 0) {
    return;
  }
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    auto it =
        std::find_if(shard.subscribers.begin(), shard.subscribers.end(),
                     [&](const Subscriber& s) { return s.stream == stream; });
    if (it != shard.subscribers.end()) {
      shard.subscribers.erase(it);
      --streams_;
      return;
    }
  }
}

void EventHub::EndAll(const grpc::Status& status, const Trailers& trailers) {
  absl::MutexLock hub_lock(&mu_);
  for (const HeldSnapshot& h : held_) h.stream->End(status, trailers);
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    for (const Subscriber& s : shard.subscribers) {
      s.stream->End(status, trailers);
    }
  }
}

size_t EventHub::EndStalled() {
  const absl::Time now = options_.clock->Now();
  size_t ended = 0;
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    for (const Subscriber& s : shard.subscribers) {
      if (s.stream->EndIfStalled(now)) ++ended;
    }
  }
  return ended;
}

uint64_t EventHub::last_seq() const {
  absl::MutexLock lock(&mu_);
  return last_seq_;
}

EventHub::Stats EventHub::stats() const {
  absl::MutexLock lock(&mu_);
  return {published_, streams_.load(), overflowed_.load(), stalled_.load()};
}

}  // namespace qcall
