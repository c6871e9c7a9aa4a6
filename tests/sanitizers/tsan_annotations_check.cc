// Shows that dispatcher/tsan_annotations.h orders only what it should: two
// threads hand a message over through a relaxed atomic (which, like gRPC's
// queues in an uninstrumented library, gives TSan no happens-before edge),
// with TsanRelease / TsanAcquire around the hand-off.
//
//   tsan_annotations_check ordered     no report: the annotated hand-off
//   tsan_annotations_check late-write  a report: the sender writes the
//                                      message again after handing it over
//   tsan_annotations_check other       a report: the receiver acquires
//                                      another message than the one released
//
// Built and run by ctest in the TSan build only (tests/CMakeLists.txt).
#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>

#include "dispatcher/tsan_annotations.h"

namespace {

struct Message {
  int value = 0;
};

Message message;
Message other_message;
std::atomic<int> handed_over{0};

// Not inlined, so TSan's report names them.
__attribute__((noinline)) void Send(bool late_write) {
  message.value = 1;
  qcall::TsanRelease(&message);
  handed_over.store(1, std::memory_order_relaxed);
  if (late_write) message.value = 2;  // The race: after the hand-off.
}

__attribute__((noinline)) int Receive(const void* acquired) {
  while (handed_over.load(std::memory_order_relaxed) == 0) {
    std::this_thread::yield();
  }
  qcall::TsanAcquire(acquired);
  return message.value;
}

}  // namespace

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  const bool late_write = std::strcmp(mode, "late-write") == 0;
  const bool other = std::strcmp(mode, "other") == 0;
  if (!late_write && !other && std::strcmp(mode, "ordered") != 0) {
    std::fprintf(stderr, "usage: %s ordered | late-write | other\n", argv[0]);
    return 2;
  }
  int received = 0;
  std::thread receiver(
      [&] { received = Receive(other ? &other_message : &message); });
  std::thread sender([&] { Send(late_write); });
  sender.join();
  receiver.join();
  std::printf("received %d\n", received);
  return 0;
}
