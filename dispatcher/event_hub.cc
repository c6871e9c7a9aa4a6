#include "dispatcher/event_hub.h"

#include <algorithm>
#include <string>

namespace qcall {
namespace {

grpc::Slice Serialize(const v1::WatchResponse& response) {
  std::string bytes = response.SerializeAsString();
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
    default:
      return 0;
  }
}

// ---------------------------------------------------------------------------
// WatchStream

WatchStream::WatchStream(EventHub* hub, std::vector<int32_t> windows,
                         size_t max_queue)
    : hub_(hub),
      windows_(windows.begin(), windows.end()),
      max_queue_(max_queue) {}

bool WatchStream::Wants(int32_t window) const {
  return windows_.empty() || window == 0 || windows_.contains(window);
}

void WatchStream::Deliver(const grpc::Slice& bytes) {
  std::lock_guard lock(mu_);
  if (finished_ || end_) return;
  if (queue_.size() >= max_queue_) {
    hub_->CountOverflow();
    end_ = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "this watcher fell too far behind; reconnect with "
                        "after_seq set to the last event received");
    if (!writing_) {
      finished_ = true;
      Finish(*end_);
    }
    return;
  }
  queue_.emplace_back(&bytes, 1);
  if (!writing_) StartNextLocked();
}

void WatchStream::End(const grpc::Status& status) {
  std::lock_guard lock(mu_);
  if (finished_ || end_) return;
  end_ = status;
  if (!writing_) {
    finished_ = true;
    Finish(status);
  }
}

void WatchStream::StartNextLocked() {
  writing_ = true;
  StartWrite(&queue_.front());
}

void WatchStream::OnWriteDone(bool ok) {
  std::lock_guard lock(mu_);
  writing_ = false;
  queue_.pop_front();
  if (finished_) return;
  if (!ok) {
    finished_ = true;
    Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "stream broken"));
    return;
  }
  if (end_) {
    finished_ = true;
    Finish(*end_);
    return;
  }
  if (!queue_.empty()) StartNextLocked();
}

void WatchStream::OnCancel() {
  std::lock_guard lock(mu_);
  if (finished_) return;
  end_ = grpc::Status::CANCELLED;
  if (!writing_) {
    finished_ = true;
    Finish(grpc::Status::CANCELLED);
  }
}

void WatchStream::OnDone() {
  hub_->Unsubscribe(this);
  delete this;
}

// ---------------------------------------------------------------------------
// EventHub

EventHub::EventHub(size_t retained, size_t stream_queue)
    : retained_(retained), stream_queue_(stream_queue) {}

void EventHub::Publish(absl::Span<const v1::HallEvent> events) {
  v1::WatchResponse response;
  std::lock_guard lock(mu_);
  for (const v1::HallEvent& event : events) {
    *response.mutable_event() = event;
    Published published{event.seq(), EventWindow(event), Serialize(response)};
    for (const Subscriber& s : subscribers_) {
      if (published.seq > s.skip_through && s.stream->Wants(published.window)) {
        s.stream->Deliver(published.bytes);
      }
    }
    last_seq_ = event.seq();
    recent_.push_back(std::move(published));
    if (recent_.size() > retained_) recent_.pop_front();
    ++stats_.published;
  }
}

bool EventHub::SubscribeAfter(WatchStream* stream, uint64_t after_seq) {
  std::lock_guard lock(mu_);
  if (after_seq == 0 || recent_.empty() ||
      after_seq + 1 < recent_.front().seq) {
    // Nothing retained that far back; a snapshot is needed. An empty hall
    // (no events at all) also starts with a snapshot.
    return false;
  }
  for (const Published& p : recent_) {
    if (p.seq > after_seq && stream->Wants(p.window)) stream->Deliver(p.bytes);
  }
  subscribers_.push_back({stream, after_seq});
  ++stats_.streams;
  return true;
}

void EventHub::SubscribeWithSnapshot(WatchStream* stream,
                                     const v1::HallView& snapshot) {
  v1::WatchResponse response;
  *response.mutable_snapshot() = snapshot;
  const grpc::Slice bytes = Serialize(response);
  std::lock_guard lock(mu_);
  stream->Deliver(bytes);
  // Events the snapshot already shows but not yet published are skipped.
  for (const Published& p : recent_) {
    if (p.seq > snapshot.last_seq() && stream->Wants(p.window)) {
      stream->Deliver(p.bytes);
    }
  }
  subscribers_.push_back({stream, snapshot.last_seq()});
  ++stats_.streams;
}

void EventHub::Unsubscribe(WatchStream* stream) {
  std::lock_guard lock(mu_);
  auto it =
      std::find_if(subscribers_.begin(), subscribers_.end(),
                   [&](const Subscriber& s) { return s.stream == stream; });
  if (it != subscribers_.end()) {
    subscribers_.erase(it);
    --stats_.streams;
  }
}

void EventHub::EndAll(const grpc::Status& status) {
  std::lock_guard lock(mu_);
  for (const Subscriber& s : subscribers_) s.stream->End(status);
}

uint64_t EventHub::last_seq() const {
  std::lock_guard lock(mu_);
  return last_seq_;
}

EventHub::Stats EventHub::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void EventHub::CountOverflow() { ++stats_.overflowed; }

}  // namespace qcall
