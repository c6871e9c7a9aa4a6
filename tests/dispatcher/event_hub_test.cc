#include "dispatcher/event_hub.h"

#include <functional>
#include <set>
#include <string>
#include <vector>

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

}  // namespace
}  // namespace qcall
