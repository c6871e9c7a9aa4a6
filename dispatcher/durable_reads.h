// DurableReads holds a read's answer back until what the read saw is
// durable, as replies and events are: a read taken on the hall's strand
// after command N is answered once the journal has committed N, and with the
// journal's failure if that commit fails. So no GetTicket, ListServices, hall
// view or page ever shows a ticket that a crash or a failed write could undo.
//
//   // On the strand, after the read has been computed:
//   reads.AnswerWhenDurable(last_applied_index, [=](absl::Status durable) { ...
//   });
//   // On the journal's writer, in commit order:
//   reads.Durable(index);        // or reads.Failed(status);
#ifndef QCALL_DISPATCHER_DURABLE_READS_H_
#define QCALL_DISPATCHER_DURABLE_READS_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace qcall {

class DurableReads {
 public:
  // The read's answer, given OK or the commit's failure.
  using Answer = std::function<void(absl::Status durable)>;

  // `durable`: the index the journal holds already (recovered).
  explicit DurableReads(uint64_t durable) : durable_(durable) {}

  // Answers now when `seen` is durable (or can never be), else once it is.
  // Thread-safe; reads of one hall come in order of `seen`.
  void AnswerWhenDurable(uint64_t seen, Answer answer);
  // Commands up to `index` are durable. Called in commit order.
  void Durable(uint64_t index);
  // The journal failed: what is not durable yet never will be.
  void Failed(const absl::Status& failure);
  // The journal writes again and the hall was read back from the store, up
  // to `durable`: reads wait for commits again.
  void Resume(uint64_t durable);
  // The highest index known durable.
  uint64_t durable() const;

 private:
  mutable absl::Mutex mu_;
  uint64_t durable_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  std::deque<std::pair<uint64_t, DurableReads::Answer>> waiting_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_DURABLE_READS_H_
