// Display.Watch against a real qcalld: a snapshot first, live events with
// gapless sequence numbers and the announcement, exact resumption (also after
// kill -9), OUT_OF_RANGE beyond the last event, the windows filter, and a
// stalled watcher that is cut off without holding back the others.
#include <grpc/grpc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/integration/qcalld_process.h"

namespace qcall::testing {
namespace {

using grpc::StatusCode;

TEST(QcalldWatchTest, SnapshotLiveEventsExactResumeAndWindowFilter) {
  QcalldProcess server({.config_text = TestConfig()});
  ASSERT_TRUE(server.Start());
  auto api = std::make_unique<Api>(server.NewChannel());
  ASSERT_OK(api->Issue("BILL"));  // A0001
  ASSERT_OK(api->Issue("BILL"));  // A0002
  ASSERT_OK(api->Open(1, "clerk-1"));
  auto hall = api->GetHall();
  ASSERT_OK(hall);

  // after_seq 0: a snapshot of the hall as it is, then live events.
  auto live =
      std::make_unique<Watcher>(&api->display, kDisplayToken, WatchFrom(0));
  v1::WatchResponse response;
  ASSERT_TRUE(live->Read(&response)) << Describe(live->Finish());
  ASSERT_TRUE(response.has_snapshot()) << response.ShortDebugString();
  const v1::HallView& snapshot = response.snapshot();
  EXPECT_EQ(snapshot.last_seq(), hall->last_seq());
  EXPECT_TRUE(SameView(snapshot, *hall));
  EXPECT_EQ(FindService(snapshot, "BILL")->waiting(), 2);
  EXPECT_EQ(FindWindow(snapshot, 1)->state(), v1::WINDOW_STATE_IDLE);
  const uint64_t s = snapshot.last_seq();

  auto called = api->CallNext(1);
  ASSERT_OK(called);
  EXPECT_EQ(called->seq(), s + 1) << "one event: the call";
  v1::HallEvent event;
  ASSERT_TRUE(live->NextEvent(&event));
  EXPECT_EQ(event.seq(), s + 1);
  ASSERT_TRUE(event.has_ticket_called()) << event.ShortDebugString();
  EXPECT_EQ(event.ticket_called().ticket().number(), "A0001");
  EXPECT_EQ(event.ticket_called().window(), 1);
  EXPECT_EQ(event.ticket_called().window_name(), "1号窗口");
  EXPECT_EQ(event.ticket_called().announcement(), "请 A0001 号到 1 号窗口办理");
  EXPECT_EQ(event.ticket_called().recall(), 0);
  EXPECT_GT(event.at_unix_ms(), 0);

  ASSERT_OK(api->Recall(1));
  ASSERT_TRUE(live->NextEvent(&event));
  EXPECT_EQ(event.seq(), s + 2);
  ASSERT_TRUE(event.has_ticket_called());
  EXPECT_EQ(event.ticket_called().recall(), 1);
  EXPECT_EQ(event.ticket_called().announcement(), "请 A0001 号到 1 号窗口办理");

  auto serving = api->StartServing(1);
  ASSERT_OK(serving);
  ASSERT_TRUE(live->NextEvent(&event));
  EXPECT_EQ(event.seq(), s + 3);
  ASSERT_TRUE(event.has_ticket_state_changed());
  EXPECT_EQ(event.ticket_state_changed().ticket().state(),
            v1::TICKET_STATE_SERVING);
  const uint64_t n = event.seq();

  // The board goes away; the hall carries on.
  live->Cancel();
  while (live->Read(&response)) {
  }
  EXPECT_CODE(live->Finish(), StatusCode::CANCELLED);
  live.reset();
  ASSERT_OK(api->Complete(1));
  ASSERT_OK(api->Issue("SIM"));  // B0001
  ASSERT_OK(api->CallNext(1));   // A0002
  ASSERT_OK(api->Open(2, "clerk-2"));
  auto last = api->CallNext(2);  // B0001
  ASSERT_OK(last);
  EXPECT_EQ(last->ticket().number(), "B0001");
  const uint64_t m = last->seq();
  ASSERT_GE(m, n + 5);

  // after_seq N: exactly the events after N, each once, and no snapshot.
  {
    Watcher resumed(&api->display, kDisplayToken, WatchFrom(n));
    std::vector<v1::HallEvent> events;
    ASSERT_TRUE(resumed.EventsThrough(m, &events));
    ASSERT_EQ(events.front().seq(), n + 1);
    EXPECT_EQ(events.size(), m - n);
    EXPECT_TRUE(events.front().has_ticket_state_changed());
    EXPECT_EQ(events.front().ticket_state_changed().ticket().state(),
              v1::TICKET_STATE_COMPLETED);
    EXPECT_EQ(events.front().ticket_state_changed().window(), 1);
    EXPECT_TRUE(events.back().has_ticket_called());
    EXPECT_EQ(events.back().ticket_called().ticket().number(), "B0001");
    EXPECT_EQ(events.back().ticket_called().announcement(),
              "请 B0001 号到 2 号窗口办理");
    // Nothing more is replayed: the next event is the next command's.
    auto more = api->Issue("PLAN");
    ASSERT_OK(more);
    ASSERT_TRUE(resumed.NextEvent(&event));
    EXPECT_EQ(event.seq(), m + 1);
    EXPECT_EQ(EventTicket(event), "C0001");
  }

  // after_seq = the last event: nothing replayed, live events follow.
  {
    Watcher at_end(&api->display, kDisplayToken, WatchFrom(m + 1));
    auto again = api->Issue("PLAN");
    ASSERT_OK(again);
    ASSERT_TRUE(at_end.NextEvent(&event));
    EXPECT_EQ(event.seq(), m + 2);
    EXPECT_EQ(EventTicket(event), "C0002");
  }

  // after_seq beyond the last event: OUT_OF_RANGE.
  {
    Watcher beyond(&api->display, kDisplayToken, WatchFrom(m + 100));
    EXPECT_FALSE(beyond.Read(&response)) << response.ShortDebugString();
    EXPECT_CODE(beyond.Finish(), StatusCode::OUT_OF_RANGE);
  }

  // The windows filter: window 2's events and hall-wide ones, nothing of
  // window 1. Window 1 holds A0002 and window 2 B0001, both called.
  {
    Watcher only2(&api->display, kDisplayToken, WatchFrom(m + 2, {2}));
    auto serving1 = api->StartServing(1);  // window 1
    ASSERT_OK(serving1);
    auto serving2 = api->StartServing(2);  // window 2
    ASSERT_OK(serving2);
    auto done1 = api->Complete(1);  // window 1
    ASSERT_OK(done1);
    auto issued = api->Issue("BILL");  // hall-wide, A0003
    ASSERT_OK(issued);
    auto done2 = api->Complete(2);  // window 2
    ASSERT_OK(done2);
    std::vector<v1::HallEvent> seen;
    while (seen.empty() || seen.back().seq() < done2->seq()) {
      ASSERT_TRUE(only2.NextEvent(&event));
      seen.push_back(event);
    }
    // A reply's seq is its command's last event: the stream holds exactly
    // the events of window 2's commands and of the issue, none of window 1's.
    std::vector<uint64_t> expected, got;
    for (const auto& [after, through] :
         {std::pair{serving1->seq(), serving2->seq()},
          std::pair{done1->seq(), issued->seq()},
          std::pair{issued->seq(), done2->seq()}}) {
      for (uint64_t seq = after + 1; seq <= through; ++seq) {
        expected.push_back(seq);
      }
    }
    for (const v1::HallEvent& e : seen) got.push_back(e.seq());
    EXPECT_EQ(got, expected);
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0].ticket_state_changed().ticket().state(),
              v1::TICKET_STATE_SERVING);
    EXPECT_EQ(seen[0].ticket_state_changed().window(), 2);
    EXPECT_EQ(EventTicket(seen[1]), "A0003");
    EXPECT_EQ(seen[2].ticket_state_changed().ticket().state(),
              v1::TICKET_STATE_COMPLETED);
  }

  // Supervisor.Watch: the same stream for a supervisor token.
  {
    Watcher dashboard(&api->supervisor, kSupervisorToken, WatchFrom(0));
    ASSERT_TRUE(dashboard.Read(&response));
    EXPECT_TRUE(response.has_snapshot());
  }

  // kill -9 and restart: the journal replays the events, so a board resumes
  // exactly where it was.
  auto before = api->GetHall();
  ASSERT_OK(before);
  const uint64_t f = before->last_seq();
  ASSERT_OK(api->Issue("SIM"));
  auto g_reply = api->Issue("SIM");
  ASSERT_OK(g_reply);
  const uint64_t g = g_reply->seq();
  api.reset();
  ASSERT_TRUE(server.Restart());
  api = std::make_unique<Api>(server.NewChannel());
  {
    Watcher resumed(&api->display, kDisplayToken, WatchFrom(f));
    std::vector<v1::HallEvent> events;
    ASSERT_TRUE(resumed.EventsThrough(g, &events));
    ASSERT_EQ(events.size(), g - f);
    EXPECT_EQ(events.front().seq(), f + 1);
    auto after_restart = api->Issue("PLAN");
    ASSERT_OK(after_restart);
    ASSERT_TRUE(resumed.NextEvent(&event));
    EXPECT_EQ(event.seq(), g + 1);
    EXPECT_EQ(after_restart->seq(), g + 1);
  }
}

// A board that stops reading is ended with RESOURCE_EXHAUSTED once its queue
// (1024 events) is full, while a board that reads gets every event in order;
// the cut-off board then resumes from its last event.
TEST(QcalldWatchTest, StalledWatcherIsCutOffOthersGetEverything) {
  QcalldProcess server({.config_text = TestConfig()});
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());

  // The stalled board: its own connection, and a fixed receive window (no
  // BDP probing), so gRPC's own buffers stay small.
  grpc::ChannelArguments stalled_args;
  stalled_args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  v1::Display::Stub stalled_stub(server.NewChannel(stalled_args));
  grpc::ClientContext stalled_context;
  Prepare(&stalled_context, kDisplayToken, std::chrono::seconds(120));
  std::unique_ptr<grpc::ClientReader<v1::WatchResponse>> stalled =
      stalled_stub.Watch(&stalled_context, WatchFrom(0));
  v1::WatchResponse response;
  ASSERT_TRUE(stalled->Read(&response));  // Subscribed: the snapshot.
  ASSERT_TRUE(response.has_snapshot());
  const uint64_t stalled_from = response.snapshot().last_seq();

  // The reading board, on another connection and thread.
  std::atomic<uint64_t> target{0};
  std::vector<uint64_t> read_seqs;
  grpc::Status reader_status;
  bool reader_snapshot = false;
  Api reader_api(server.NewChannel());
  auto reader = std::make_unique<Watcher>(&reader_api.display, kDisplayToken,
                                          WatchFrom(0));
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_TRUE(response.has_snapshot());
  const uint64_t reader_from = response.snapshot().last_seq();
  std::thread reading([&] {
    v1::WatchResponse r;
    while (reader->Read(&r)) {
      if (r.has_snapshot()) reader_snapshot = true;
      if (r.has_event()) read_seqs.push_back(r.event().seq());
      const uint64_t t = target.load();
      if (t != 0 && !read_seqs.empty() && read_seqs.back() >= t) return;
    }
    reader_status = reader->Finish();
  });

  // Thousands of events: tickets from four kiosks at once.
  constexpr int kKiosks = 4;
  constexpr int kPerKiosk = 1000;
  std::vector<std::thread> kiosks;
  std::atomic<int> failures{0};
  for (int k = 0; k < kKiosks; ++k) {
    kiosks.emplace_back([&, k] {
      Api kiosk(server.NewChannel());
      static const char* const kServices[] = {"BILL", "SIM", "PLAN"};
      for (int i = 0; i < kPerKiosk; ++i) {
        if (!kiosk.Issue(kServices[(k + i) % 3]).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : kiosks) t.join();
  EXPECT_EQ(failures.load(), 0);
  // One more ticket, so the reading thread wakes up for a known last event.
  auto hall = api.GetHall();
  ASSERT_OK(hall);
  target = hall->last_seq() + 1;
  auto final_ticket = api.Issue("BILL");
  ASSERT_OK(final_ticket);
  const uint64_t last = final_ticket->seq();
  ASSERT_GE(last, stalled_from + kKiosks * kPerKiosk);
  reading.join();

  // The reading board got every event, in order, once.
  EXPECT_FALSE(reader_snapshot);
  EXPECT_TRUE(reader_status.ok()) << Describe(reader_status);
  ASSERT_FALSE(read_seqs.empty());
  EXPECT_EQ(read_seqs.front(), reader_from + 1);
  EXPECT_EQ(read_seqs.back(), last);
  EXPECT_EQ(read_seqs.size(), last - reader_from);
  for (size_t i = 1; i < read_seqs.size(); ++i) {
    ASSERT_EQ(read_seqs[i], read_seqs[i - 1] + 1) << "at " << i;
  }
  reader.reset();

  // The stalled board: what gRPC had buffered, in order, then
  // RESOURCE_EXHAUSTED.
  uint64_t stalled_last = stalled_from;
  size_t stalled_count = 0;
  while (stalled->Read(&response)) {
    ASSERT_TRUE(response.has_event());
    ASSERT_EQ(response.event().seq(), stalled_last + 1);
    stalled_last = response.event().seq();
    ++stalled_count;
  }
  EXPECT_CODE(stalled->Finish(), StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_LT(stalled_last, last) << "the stalled board got everything";
  EXPECT_GT(stalled_count, 0u);
  std::printf("stalled board: %zu events received of %llu before the cut\n",
              stalled_count,
              static_cast<unsigned long long>(last - stalled_from));

  // It resumes from its last event: the events follow without a gap or a
  // repeat, or, when the backlog is more than half a stream queue, it gets a
  // snapshot of the hall as it is now instead.
  uint64_t resume_from = stalled_last;
  {
    Watcher resumed(&api.display, kDisplayToken, WatchFrom(resume_from));
    ASSERT_TRUE(resumed.Read(&response)) << Describe(resumed.Finish());
    if (response.has_snapshot()) {
      EXPECT_GT(last - stalled_last, 512u) << "a snapshot for a short backlog";
      EXPECT_GE(response.snapshot().last_seq(), last);
      resume_from = last;
    } else {
      ASSERT_EQ(response.event().seq(), resume_from + 1);
      resume_from = response.event().seq();
      while (resume_from < last) {
        ASSERT_TRUE(resumed.Read(&response)) << Describe(resumed.Finish());
        ASSERT_EQ(response.event().seq(), resume_from + 1);
        resume_from = response.event().seq();
      }
    }
  }
  std::printf("first resume: %llu of %llu events\n",
              static_cast<unsigned long long>(resume_from - stalled_last),
              static_cast<unsigned long long>(last - stalled_last));
  // A resume whose backlog fits in the stream queue gets exactly the rest,
  // then live events.
  resume_from = std::max(resume_from, last - 500);
  Watcher rest(&api.display, kDisplayToken, WatchFrom(resume_from));
  if (resume_from < last) {
    std::vector<v1::HallEvent> events;
    ASSERT_TRUE(rest.EventsThrough(last, &events));
    EXPECT_EQ(events.front().seq(), resume_from + 1);
    EXPECT_EQ(events.size(), last - resume_from);
  }
  auto live = api.Issue("SIM");
  ASSERT_OK(live);
  v1::HallEvent event;
  ASSERT_TRUE(rest.NextEvent(&event));
  EXPECT_EQ(event.seq(), last + 1);
}

// A board that stops reading with room left in its queue (16 MiB here) is
// ended within the stall deadline (2 s here, checked every second): its place
// is free again (the server holds at most two streams), the other board
// keeps getting every call, and the stalled board, once it reads, gets what
// was sent, RESOURCE_EXHAUSTED, and resumes from its last event without
// missing a call.
TEST(QcalldWatchTest, StalledWatcherIsEndedWithinTheStallDeadline) {
  QcalldProcess server(
      {.config_text = TestConfig(),
       .extra_args = {"--max-streams", "2", "--watch-stall-seconds", "2",
                      "--watch-queue-bytes", "16777216"}});
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  ASSERT_OK(api.Open(1, "clerk-1"));

  // The stalled board: its own connection and a fixed 64 KiB window.
  grpc::ChannelArguments stalled_args;
  stalled_args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  v1::Display::Stub stalled_stub(server.NewChannel(stalled_args));
  grpc::ClientContext stalled_context;
  Prepare(&stalled_context, kDisplayToken, std::chrono::seconds(120));
  std::unique_ptr<grpc::ClientReader<v1::WatchResponse>> stalled =
      stalled_stub.Watch(&stalled_context, WatchFrom(0));
  v1::WatchResponse response;
  ASSERT_TRUE(stalled->Read(&response));
  ASSERT_TRUE(response.has_snapshot());
  const uint64_t stalled_from = response.snapshot().last_seq();

  // The reading board, on its own thread, until the event `target`.
  std::atomic<uint64_t> target{0};
  std::vector<v1::HallEvent> read_events;
  Api reader_api(server.NewChannel());
  auto reader = std::make_unique<Watcher>(&reader_api.display, kDisplayToken,
                                          WatchFrom(stalled_from));
  std::thread reading([&] {
    v1::WatchResponse r;
    while (reader->Read(&r)) {
      if (r.has_event()) read_events.push_back(r.event());
      const uint64_t t = target.load();
      if (t != 0 && !read_events.empty() && read_events.back().seq() >= t) {
        return;
      }
    }
  });

  // Far more than the stalled board's window: tickets, and a call of one
  // every 20.
  std::set<uint64_t> call_seqs;
  for (int i = 0; i < 2000; ++i) {
    ASSERT_OK(api.Issue(i % 2 == 0 ? "SIM" : "PLAN"));
    if (i % 20 == 19) {
      auto called = api.CallNext(1);
      ASSERT_OK(called);
      call_seqs.insert(called->seq());
      ASSERT_OK(api.StartServing(1));
      ASSERT_OK(api.Complete(1));
    }
  }
  const auto sent = std::chrono::steady_clock::now();

  // Its place comes free within the deadline and a tick.
  bool admitted = false;
  while (!admitted &&
         std::chrono::steady_clock::now() - sent < std::chrono::seconds(10)) {
    Watcher third(&api.display, kDisplayToken, WatchFrom(0));
    admitted = third.Read(&response);
    if (!admitted) {
      EXPECT_CODE(third.Finish(), StatusCode::RESOURCE_EXHAUSTED);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  const double freed_after = std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - sent)
                                 .count();
  ASSERT_TRUE(admitted) << "the stalled stream kept its place";
  EXPECT_LT(freed_after, 6.0);
  std::printf("stalled board's place free %.1f s after the last event\n",
              freed_after);

  // The other board got every event and every call, and one more call.
  auto later = api.CallNext(1);
  ASSERT_OK(later);
  call_seqs.insert(later->seq());
  const uint64_t last = later->seq();
  target = last;
  reading.join();
  ASSERT_FALSE(read_events.empty());
  EXPECT_EQ(read_events.front().seq(), stalled_from + 1);
  EXPECT_EQ(read_events.back().seq(), last);
  EXPECT_EQ(read_events.size(), last - stalled_from);
  for (const v1::HallEvent& e : read_events) {
    if (call_seqs.contains(e.seq())) {
      EXPECT_TRUE(e.has_ticket_called());
    }
  }
  reader->Cancel();
  reader.reset();

  // The stalled board: what was sent, in order, then RESOURCE_EXHAUSTED.
  std::map<uint64_t, v1::HallEvent> seen;
  uint64_t stalled_last = stalled_from;
  while (stalled->Read(&response)) {
    ASSERT_TRUE(response.has_event());
    ASSERT_EQ(response.event().seq(), stalled_last + 1);
    stalled_last = response.event().seq();
    seen[stalled_last] = response.event();
  }
  const grpc::Status cut = stalled->Finish();
  EXPECT_CODE(cut, StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(cut.error_message().find("read nothing for 2s"), std::string::npos)
      << cut.error_message();
  EXPECT_LT(stalled_last, last);
  EXPECT_GT(stalled_last, stalled_from);

  // It resumes from its last event (once the server has seen the others
  // go): the rest, then live events, and every call is there once.
  std::unique_ptr<Watcher> resumed;
  for (int attempt = 0; attempt < 50 && resumed == nullptr; ++attempt) {
    auto w = std::make_unique<Watcher>(&api.display, kDisplayToken,
                                       WatchFrom(stalled_last));
    if (w->Read(&response)) {
      resumed = std::move(w);
    } else {
      EXPECT_CODE(w->Finish(), StatusCode::RESOURCE_EXHAUSTED);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ASSERT_NE(resumed, nullptr);
  ASSERT_TRUE(response.has_event()) << "a snapshot, not the backlog";
  ASSERT_EQ(response.event().seq(), stalled_last + 1);
  seen[response.event().seq()] = response.event();
  std::vector<v1::HallEvent> rest;
  if (stalled_last + 1 < last) {
    ASSERT_TRUE(resumed->EventsThrough(last, &rest));
  }
  for (const v1::HallEvent& e : rest) seen[e.seq()] = e;
  EXPECT_EQ(seen.size(), last - stalled_from);
  for (uint64_t seq : call_seqs) {
    ASSERT_TRUE(seen.contains(seq)) << "call " << seq << " missed";
    EXPECT_TRUE(seen[seq].has_ticket_called());
  }
}

// Boards that connect and hang up at once, by the hundred, while the hall is
// busy: every stream the server set up must be torn down cleanly (the server
// still answers, and shuts down with exit code 0).
TEST(QcalldWatchTest, BoardsHangingUpAtOnceLeaveNoTrace) {
  QcalldProcess server({.config_text = TestConfig()});
  ASSERT_TRUE(server.Start());
  std::atomic<bool> stop{false};
  std::vector<std::thread> kiosks;
  for (int k = 0; k < 3; ++k) {
    kiosks.emplace_back([&] {
      Api kiosk(server.NewChannel());
      while (!stop) kiosk.Issue("PLAN");
    });
  }
  std::vector<std::thread> boards;
  std::atomic<int> started{0};
  for (int b = 0; b < 2; ++b) {
    boards.emplace_back([&, b] {
      Api board(server.NewChannel());
      for (int i = 0; i < 300; ++i) {
        grpc::ClientContext context;
        Prepare(&context, kDisplayToken, std::chrono::seconds(10));
        // Half resume (a backlog), half start with a snapshot.
        auto reader =
            board.display.Watch(&context, WatchFrom(i % 2 == 0 ? 0 : 1 + b));
        context.TryCancel();
        v1::WatchResponse ignored;
        while (reader->Read(&ignored)) {
        }
        reader->Finish();
        ++started;
      }
    });
  }
  for (std::thread& t : boards) t.join();
  stop = true;
  for (std::thread& t : kiosks) t.join();
  EXPECT_EQ(started.load(), 600);
  Api api(server.NewChannel());
  EXPECT_OK(api.GetHall());
  // A board that stays gets what follows.
  Watcher board(&api.display, kDisplayToken, WatchFrom(0));
  v1::WatchResponse response;
  ASSERT_TRUE(board.Read(&response));
  ASSERT_TRUE(response.has_snapshot());
  auto issued = api.Issue("BILL");
  ASSERT_OK(issued);
  v1::HallEvent event;
  ASSERT_TRUE(board.NextEvent(&event));
  EXPECT_EQ(event.seq(), response.snapshot().last_seq() + 1);
  EXPECT_TRUE(server.Stop()) << "qcalld did not shut down cleanly";
}

// A resume whose retained backlog is longer than the stream queue (1024) used
// to be queued at once, overflow, and be cut off after a few events.
// Invariant 4 asks for every later event once, or a snapshot: it now gets a
// snapshot whenever the backlog exceeds half a stream queue.
TEST(QcalldWatchTest, ResumeWithABacklogBeyondTheStreamQueue) {
  QcalldProcess server({.config_text = TestConfig()});
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  auto first = api.Issue("BILL");
  ASSERT_OK(first);
  uint64_t last = 0;
  for (int i = 0; i < 2000; ++i) {
    auto issued = api.Issue(i % 2 == 0 ? "SIM" : "PLAN");
    ASSERT_OK(issued);
    last = issued->seq();
  }
  // A prompt reader, 2000 events behind (all retained: 4096).
  Watcher resumed(&api.display, kDisplayToken, WatchFrom(first->seq()));
  v1::WatchResponse response;
  ASSERT_TRUE(resumed.Read(&response)) << Describe(resumed.Finish());
  ASSERT_TRUE(response.has_snapshot()) << "2000 events were queued at once";
  EXPECT_EQ(response.snapshot().last_seq(), last);
  // Then live events follow the snapshot.
  auto live = api.Issue("SIM");
  ASSERT_OK(live);
  v1::HallEvent event;
  ASSERT_TRUE(resumed.NextEvent(&event));
  EXPECT_EQ(event.seq(), last + 1);
}

}  // namespace
// The server holds at most --max-streams Watch streams; one more is refused
// with RESOURCE_EXHAUSTED, and a closed stream frees its place.
TEST(QcalldWatchTest, StreamLimitRefusesOneMoreAndFreesOnClose) {
  QcalldProcess server(
      {.config_text = TestConfig(), .extra_args = {"--max-streams", "2"}});
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  v1::WatchResponse response;
  auto first =
      std::make_unique<Watcher>(&api.display, kDisplayToken, WatchFrom(0));
  ASSERT_TRUE(first->Read(&response));
  Watcher second(&api.display, kDisplayToken, WatchFrom(0));
  ASSERT_TRUE(second.Read(&response));
  {
    Watcher third(&api.display, kDisplayToken, WatchFrom(0));
    EXPECT_FALSE(third.Read(&response));
    EXPECT_CODE(third.Finish(), StatusCode::RESOURCE_EXHAUSTED);
  }
  first->Cancel();
  first.reset();
  // The freed place is taken again once the server has seen the cancel.
  bool admitted = false;
  for (int attempt = 0; attempt < 50 && !admitted; ++attempt) {
    Watcher again(&api.display, kDisplayToken, WatchFrom(0));
    admitted = again.Read(&response);
    if (!admitted) {
      EXPECT_CODE(again.Finish(), StatusCode::RESOURCE_EXHAUSTED);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  EXPECT_TRUE(admitted) << "a closed stream did not free its place";
}

}  // namespace qcall::testing
