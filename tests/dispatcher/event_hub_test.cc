#include "dispatcher/event_hub.h"

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "dispatcher/clock.h"
#include "gtest/gtest.h"

namespace qcall {
namespace {

std::string Bytes(const grpc::Slice& slice) {
  return std::string(reinterpret_cast<const char*>(slice.begin()),
                     slice.size());
}

std::string AsWatchResponse(const v1::HallEvent& event) {
  v1::WatchResponse response;
  *response.mutable_event() = event;
  return response.SerializeAsString();
}

v1::HallEvent Called(uint64_t seq, int32_t window, size_t announcement_size) {
  v1::HallEvent event;
  event.set_seq(seq);
  event.set_at_unix_ms(1'790'000'000'000);
  v1::HallEvent::TicketCalled* called = event.mutable_ticket_called();
  called->mutable_ticket()->set_number("A012");
  called->mutable_ticket()->set_service_code("bill");
  called->set_window(window);
  called->set_announcement(std::string(announcement_size, 'x'));
  v1::HallEvent::ServiceWaiting* waiting = event.add_waiting();
  waiting->set_service_code("bill");
  waiting->set_waiting(7);
  return event;
}

// Prepare writes the WatchResponse around the event's own bytes; a stream
// must receive exactly what protobuf would serialize, whatever the length
// prefix's size (1, 2 or 3 bytes here).
TEST(EventHubPrepareTest, BytesAreTheWatchResponseOfTheEvent) {
  for (size_t announcement_size : {10, 200, 20'000}) {
    SCOPED_TRACE(announcement_size);
    const v1::HallEvent event = Called(5, 3, announcement_size);
    const EventHub::Prepared prepared = EventHub::Prepare({event});
    ASSERT_EQ(prepared.size(), 1u);
    EXPECT_EQ(prepared[0].seq, 5u);
    EXPECT_EQ(prepared[0].window, 3);
    EXPECT_EQ(Bytes(prepared[0].bytes), AsWatchResponse(event));
    v1::WatchResponse parsed;
    ASSERT_TRUE(parsed.ParseFromString(Bytes(prepared[0].bytes)));
    EXPECT_EQ(parsed.event().ticket_called().announcement().size(),
              announcement_size);
  }
}

TEST(EventHubPrepareTest, WindowEventsAlsoCarryTheirCountsAlone) {
  v1::HallEvent hall_wide;
  hall_wide.set_seq(6);
  hall_wide.mutable_ticket_issued()->mutable_ticket()->set_number("A013");
  *hall_wide.mutable_waiting() = Called(5, 3, 10).waiting();
  const EventHub::Prepared prepared =
      EventHub::Prepare({Called(5, 3, 10), hall_wide});
  ASSERT_EQ(prepared.size(), 2u);

  v1::HallEvent counts;
  counts.set_seq(5);
  counts.set_at_unix_ms(1'790'000'000'000);
  *counts.mutable_waiting() = hall_wide.waiting();
  EXPECT_EQ(Bytes(prepared[0].counts_only), AsWatchResponse(counts));

  // A hall-wide event goes to every stream whole.
  EXPECT_EQ(prepared[1].window, 0);
  EXPECT_EQ(prepared[1].counts_only.size(), 0u);
  EXPECT_EQ(Bytes(prepared[1].bytes), AsWatchResponse(hall_wide));
}

// Which window each kind of event concerns, written out here from the
// events' meaning rather than from EventWindow: every window-like field of an
// event is set to its own number, so the table says which one a window filter
// goes by. 0 means the whole hall: every stream gets the event.
struct WindowRow {
  std::string kind;  // The HallEvent field set.
  std::function<void(v1::HallEvent*)> fill;
  int32_t window;
};

const std::vector<WindowRow>& WindowTable() {
  static const std::vector<WindowRow> table = {
      // A kiosk issues for the hall: every board shows the new count.
      {"ticket_issued",
       [](v1::HallEvent* e) {
         e->mutable_ticket_issued()->mutable_ticket()->set_number("A001");
         e->mutable_ticket_issued()->set_people_ahead(4);
       },
       0},
      // A call, a state change: the window doing it, not the one the ticket
      // last had.
      {"ticket_called",
       [](v1::HallEvent* e) {
         e->mutable_ticket_called()->set_window(3);
         e->mutable_ticket_called()->mutable_ticket()->set_window(9);
       },
       3},
      {"ticket_state_changed",
       [](v1::HallEvent* e) {
         e->mutable_ticket_state_changed()->set_window(4);
         e->mutable_ticket_state_changed()->mutable_ticket()->set_window(9);
       },
       4},
      // A transfer belongs to the window giving the ticket away; the window
      // receiving it sees the ticket when it calls it.
      {"ticket_transferred",
       [](v1::HallEvent* e) {
         e->mutable_ticket_transferred()->set_from_window(5);
         e->mutable_ticket_transferred()->set_to_window(6);
         e->mutable_ticket_transferred()->mutable_ticket()->set_window(9);
       },
       5},
      {"window_changed",
       [](v1::HallEvent* e) {
         e->mutable_window_changed()->set_window(7);
         e->mutable_window_changed()->set_open_windows(2);
       },
       7},
      {"min_open_windows_changed",
       [](v1::HallEvent* e) {
         e->mutable_min_open_windows_changed()->set_min_open_windows(3);
       },
       0},
      // The boards' notice line is every board's.
      {"notice_changed",
       [](v1::HallEvent* e) { e->mutable_notice_changed()->set_text("午休"); },
       0},
      // A booking is the hall's (made or checked in, at no window).
      {"booking_changed",
       [](v1::HallEvent* e) {
         e->mutable_booking_changed()->mutable_booking()->set_service_code(
             "BILL");
       },
       0},
      // A window's alarm (lost, handling over target) is that window's.
      {"alarm",
       [](v1::HallEvent* e) {
         e->mutable_alarm()->set_kind(
             v1::HallEvent::Alarm::KIND_HANDLING_OVER_TARGET);
         e->mutable_alarm()->set_window(8);
       },
       8},
      // A service's alarm is the hall's.
      {"alarm",
       [](v1::HallEvent* e) {
         e->mutable_alarm()->set_kind(
             v1::HallEvent::Alarm::KIND_WAIT_OVER_TARGET);
         e->mutable_alarm()->set_service_code("BILL");
       },
       0},
      // Acknowledging an alarm goes where the alarm went.
      {"alarm_acknowledged",
       [](v1::HallEvent* e) {
         v1::HallEvent::Alarm* a =
             e->mutable_alarm_acknowledged()->mutable_alarm();
         a->set_kind(v1::HallEvent::Alarm::KIND_WINDOW_LOST);
         a->set_window(6);
         a->set_acknowledged_by("duty-1");
       },
       6},
      {"alarm_acknowledged",
       [](v1::HallEvent* e) {
         v1::HallEvent::Alarm* a =
             e->mutable_alarm_acknowledged()->mutable_alarm();
         a->set_kind(v1::HallEvent::Alarm::KIND_BELOW_MIN_OPEN);
         a->set_acknowledged_by("duty-1");
       },
       0},
      {"day_started",
       [](v1::HallEvent* e) { e->mutable_day_started()->set_expired(2); }, 0},
      {"hall_configured",
       [](v1::HallEvent* e) { e->mutable_hall_configured()->set_windows(6); },
       0},
      // Advice names windows to open or close, but is for the supervisor's
      // whole hall.
      {"staffing_advised",
       [](v1::HallEvent* e) {
         e->mutable_staffing_advised()->set_open_window(2);
         e->mutable_staffing_advised()->set_close_window(5);
         e->mutable_staffing_advised()->set_open_windows(3);
       },
       0},
      // What the customer said of a window's service, and the follow-up and
      // complaint case it started, are that window's (its pad watches it).
      {"ticket_rated",
       [](v1::HallEvent* e) {
         e->mutable_ticket_rated()->set_window(2);
         e->mutable_ticket_rated()->set_level(5);
       },
       2},
      {"follow_up_changed",
       [](v1::HallEvent* e) {
         e->mutable_follow_up_changed()->mutable_follow_up()->set_window(3);
       },
       3},
      {"complaint_changed",
       [](v1::HallEvent* e) {
         e->mutable_complaint_changed()->mutable_complaint()->set_window(10);
       },
       10},
  };
  return table;
}

std::string KindName(const v1::HallEvent& event) {
  const auto* field = v1::HallEvent::descriptor()->FindFieldByNumber(
      static_cast<int>(event.kind_case()));
  return field == nullptr ? "none" : std::string(field->name());
}

TEST(EventHubPrepareTest, EachKindOfEventGoesToTheWindowItConcerns) {
  std::set<std::string> covered;
  uint64_t seq = 0;
  for (const WindowRow& row : WindowTable()) {
    v1::HallEvent event;
    event.set_seq(++seq);
    row.fill(&event);
    ASSERT_EQ(KindName(event), row.kind);
    covered.insert(row.kind);
    SCOPED_TRACE(event.ShortDebugString());
    EXPECT_EQ(EventWindow(event), row.window);
    const EventHub::Prepared prepared = EventHub::Prepare({event});
    ASSERT_EQ(prepared.size(), 1u);
    EXPECT_EQ(prepared[0].window, row.window);
  }
  // A new kind of event needs its row.
  const google::protobuf::OneofDescriptor* kind =
      v1::HallEvent::descriptor()->FindOneofByName("kind");
  ASSERT_NE(kind, nullptr);
  for (int i = 0; i < kind->field_count(); ++i) {
    EXPECT_TRUE(covered.contains(std::string(kind->field(i)->name())))
        << kind->field(i)->name() << " has no row in WindowTable()";
  }
  v1::HallEvent counts_only;
  counts_only.add_waiting()->set_service_code("BILL");
  EXPECT_EQ(EventWindow(counts_only), 0);
}

// ---------------------------------------------------------------------------
// Streams that stop reading. The WatchStream is not bound to a gRPC call:
// the test plays gRPC's part, completing each write with OnWriteDone as a
// reader that reads would, or not at all as one that stopped. Time is a
// SimulatedClock; the hub's tasks run when the test says.

// The hub's executor, run by hand.
class ManualExecutor {
 public:
  EventHub::Executor executor() {
    return [this](std::function<void()> task) {
      tasks_.push_back(std::move(task));
    };
  }
  // Runs what was queued, and what that queues, until nothing is left.
  void RunAll() {
    while (!tasks_.empty()) {
      std::function<void()> task = std::move(tasks_.front());
      tasks_.erase(tasks_.begin());
      task();
    }
  }
  void RunOne() {
    std::function<void()> task = std::move(tasks_.front());
    tasks_.erase(tasks_.begin());
    task();
  }
  size_t pending() const { return tasks_.size(); }

 private:
  std::vector<std::function<void()>> tasks_;
};

class WatchStreamTest : public ::testing::Test {
 protected:
  static constexpr size_t kQueueBytes = 4096;

  WatchStreamTest()
      : clock_(absl::FromUnixSeconds(1'800'000'000)),
        hub_({.retained = 100,
              .stream_queue_bytes = kQueueBytes,
              .stall_timeout = absl::Seconds(10),
              .clock = &clock_},
             executor_.executor()) {}

  // A stream subscribed from the start (an empty snapshot), whose aborts are
  // recorded in `aborts_`.
  WatchStream* Subscribe() {
    auto* stream = new WatchStream(
        &hub_, {},
        [this](const grpc::Status& status) { aborts_.push_back(status); });
    v1::HallView empty;
    empty.set_last_seq(hub_.last_seq());
    hub_.SubscribeWithSnapshot(stream, empty);
    return stream;
  }

  // Publishes one event of about `bytes` bytes and fans it out.
  void Publish(size_t bytes) {
    hub_.Publish(EventHub::Prepare({Called(hub_.last_seq() + 1, 1, bytes)}));
    executor_.RunAll();
  }

  // What gRPC does once a call is cancelled: the write in flight fails,
  // OnCancel follows.
  static void GrpcCancels(WatchStream* stream) {
    stream->OnWriteDone(false);
    stream->OnCancel();
  }

  // gRPC is done with the call: the stream unsubscribes and is freed.
  static void Done(WatchStream* stream) { stream->OnDone(); }

  SimulatedClock clock_;
  ManualExecutor executor_;
  EventHub hub_;
  std::vector<grpc::Status> aborts_;
};

// A stream whose reader does not read holds at most the queue's bytes behind
// its write; one message more ends it at once with RESOURCE_EXHAUSTED (an
// abort: Finish would wait behind the stuck write), and nothing is queued
// after that.
TEST_F(WatchStreamTest, AQueueFullOfBytesEndsTheStreamAtOnce) {
  WatchStream* stream = Subscribe();
  EXPECT_TRUE(stream->state().writing);  // The snapshot.
  const size_t event_bytes =
      EventHub::Prepare({Called(1, 1, 1000)})[0].bytes.size();
  size_t delivered = 0;
  while (aborts_.empty() && delivered < 100) {
    Publish(1000);
    ++delivered;
    EXPECT_LE(stream->state().queued_bytes, kQueueBytes);
  }
  // As many events as fit behind the snapshot, and one more.
  EXPECT_EQ(delivered, kQueueBytes / event_bytes + 1);
  ASSERT_EQ(aborts_.size(), 1u);
  EXPECT_EQ(aborts_[0].error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(aborts_[0].error_message().find("after_seq"), std::string::npos);
  WatchStream::State state = stream->state();
  EXPECT_EQ(state.queued, 0u) << "the queue is dropped at once";
  EXPECT_EQ(state.queued_bytes, 0u);
  // Finish comes after gRPC has failed the stuck write.
  EXPECT_FALSE(state.finished.has_value());
  GrpcCancels(stream);
  state = stream->state();
  ASSERT_TRUE(state.finished.has_value());
  EXPECT_EQ(state.finished->error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_FALSE(state.writing);
  EXPECT_EQ(hub_.stats().overflowed, 1u);
  Publish(100);  // Nothing more is queued or written.
  EXPECT_EQ(stream->state().queued, 0u);
  EXPECT_FALSE(stream->state().writing);
  Done(stream);
  EXPECT_EQ(hub_.stats().streams, 0u);
}

// A reader that keeps up gets any number of bytes, and a first message larger
// than the whole queue (a big hall's snapshot) is taken.
TEST_F(WatchStreamTest, AReaderThatKeepsUpIsNeverCut) {
  auto* stream = new WatchStream(
      &hub_, {}, [this](const grpc::Status& s) { aborts_.push_back(s); });
  v1::HallView big;
  big.set_hall_id(std::string(3 * kQueueBytes, 'h'));
  hub_.SubscribeWithSnapshot(stream, big);
  EXPECT_TRUE(stream->state().writing);
  for (int i = 0; i < 200; ++i) {
    Publish(900);
    Publish(900);
    // Two events behind: the reader catches up.
    stream->OnWriteDone(true);
    stream->OnWriteDone(true);
    clock_.Advance(absl::Seconds(1));
    EXPECT_EQ(hub_.EndStalled(), 0u);
  }
  EXPECT_TRUE(aborts_.empty());
  EXPECT_FALSE(stream->state().finished.has_value());
  EXPECT_EQ(hub_.stats().overflowed, 0u);
  stream->End(grpc::Status::OK);
  stream->OnWriteDone(true);
  ASSERT_TRUE(stream->state().finished.has_value());
  EXPECT_TRUE(stream->state().finished->ok());
  Done(stream);
}

// A write that has not completed for the stall timeout ends the stream with
// RESOURCE_EXHAUSTED even when its queue is far from full; a stream whose
// writes complete, however slowly, or that has nothing to write, stays.
TEST_F(WatchStreamTest, AWriteStuckPastTheStallTimeoutEndsTheStream) {
  WatchStream* stalled = Subscribe();
  WatchStream* slow = Subscribe();
  WatchStream* idle = Subscribe();
  idle->OnWriteDone(true);  // Its snapshot is sent; nothing more comes.
  clock_.Advance(absl::Seconds(2));
  Publish(100);  // Written to `stalled` and `slow`, queued behind snapshots.
  slow->OnWriteDone(true);  // Its snapshot went; the event is in flight.
  idle->OnWriteDone(true);

  for (int second = 3; second <= 9; ++second) {
    clock_.Advance(absl::Seconds(1));
    EXPECT_EQ(hub_.EndStalled(), 0u) << "at " << second << " s";
    if (second == 8) slow->OnWriteDone(true);  // 6 s for one write: slow.
  }
  EXPECT_TRUE(aborts_.empty());
  // The snapshot of `stalled` has waited 10 s.
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(hub_.EndStalled(), 1u);
  executor_.RunAll();
  ASSERT_EQ(aborts_.size(), 1u);
  EXPECT_EQ(aborts_[0].error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(aborts_[0].error_message().find("10s"), std::string::npos)
      << aborts_[0].error_message();
  EXPECT_EQ(hub_.stats().stalled, 1u);
  // Once: the sweep does not abort it again while gRPC has not answered.
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(hub_.EndStalled(), 0u);
  GrpcCancels(stalled);
  ASSERT_TRUE(stalled->state().finished.has_value());
  EXPECT_EQ(stalled->state().finished->error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  Done(stalled);

  // The others stay, and get what follows.
  clock_.Advance(absl::Seconds(60));
  EXPECT_EQ(hub_.EndStalled(), 0u);
  Publish(100);
  EXPECT_TRUE(slow->state().writing);
  EXPECT_TRUE(idle->state().writing);
  EXPECT_FALSE(slow->state().finished.has_value());
  EXPECT_FALSE(idle->state().finished.has_value());
  EXPECT_EQ(aborts_.size(), 1u);
  for (WatchStream* stream : {slow, idle}) {
    stream->OnCancel();
    stream->OnWriteDone(false);
    Done(stream);
  }
}

// The abort and gRPC race: the stuck write may complete after the stream was
// cut but before the abort ran. Nothing more is written, and Finish waits
// for the abort (the call must still be alive when it runs).
TEST_F(WatchStreamTest, AWriteCompletingDuringTheAbortWritesNothingMore) {
  WatchStream* stream = Subscribe();  // The snapshot is in flight.
  Publish(3000);                      // Queued behind it.
  hub_.Publish(EventHub::Prepare({Called(hub_.last_seq() + 1, 1, 3000)}));
  ASSERT_EQ(executor_.pending(), 1u);
  executor_.RunOne();  // The fan-out: the stream is cut, its abort queued.
  ASSERT_EQ(executor_.pending(), 1u);
  EXPECT_TRUE(aborts_.empty());
  stream->OnWriteDone(true);  // The stuck write went after all.
  EXPECT_FALSE(stream->state().writing) << "wrote after being cut";
  EXPECT_FALSE(stream->state().finished.has_value())
      << "finished before the abort ran";
  executor_.RunOne();  // The abort.
  ASSERT_EQ(aborts_.size(), 1u);
  ASSERT_TRUE(stream->state().finished.has_value());
  EXPECT_EQ(stream->state().finished->error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  stream->OnCancel();  // What the abort makes gRPC report: no change.
  EXPECT_EQ(stream->state().finished->error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  Done(stream);
}

// A resume is sent its backlog only when that is at most half a stream queue
// of bytes; more gets a snapshot.
TEST_F(WatchStreamTest, AResumeWithMoreThanHalfAQueueOfBytesGetsASnapshot) {
  for (int i = 0; i < 10; ++i) Publish(500);
  const size_t event_bytes =
      EventHub::Prepare({Called(1, 1, 500)})[0].bytes.size();
  ASSERT_LE(3 * event_bytes, kQueueBytes / 2);
  ASSERT_GT(4 * event_bytes, kQueueBytes / 2);
  const uint64_t last = hub_.last_seq();
  auto resume = [&](uint64_t after) {
    auto* stream = new WatchStream(&hub_, {}, [](const grpc::Status&) {});
    const bool subscribed = hub_.SubscribeAfter(stream, after);
    if (subscribed) {
      stream->OnCancel();
      stream->OnWriteDone(false);
      Done(stream);
    } else {
      delete stream;
    }
    return subscribed;
  };
  EXPECT_TRUE(resume(last - 3));
  EXPECT_FALSE(resume(last - 4));
  EXPECT_TRUE(resume(last));
}

}  // namespace
}  // namespace qcall
