#include "dispatcher/event_hub.h"

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

}  // namespace
}  // namespace qcall
