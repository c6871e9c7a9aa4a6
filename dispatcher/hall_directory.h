// HallDirectory maps hall ids to the runtimes this node serves. Halls are
// added while the server runs (Supervisor.ConfigureHall, or a hall this node
// takes from another); where nodes share a store, a hall that leaves the
// node is retired: no longer found, but its runtime is kept, not freed, for
// the server's life, because a request that found it before may still hold
// it. So a runtime pointer, once found, stays valid for the server's life;
// a retired runtime refuses commands (HallRuntime::Retire).
//
//   HallRuntime* hall = directory.Find("sh-xujiahui");
//   auto [runtime, added] = directory.AddIfAbsent(id, [&] { return make(); });
#ifndef QCALL_DISPATCHER_HALL_DIRECTORY_H_
#define QCALL_DISPATCHER_HALL_DIRECTORY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "dispatcher/hall_runtime.h"

namespace qcall {

class HallDirectory {
 public:
  // Null when no hall has that id.
  HallRuntime* Find(const std::string& hall_id) const;
  // Every hall, ordered by id.
  std::vector<HallRuntime*> All() const;
  size_t size() const;

  // Adds the runtime `make` builds unless the id is taken; either way
  // returns the hall's runtime and whether it was added now. `make` runs
  // under the directory's lock, so two callers never both build one hall.
  absl::StatusOr<std::pair<HallRuntime*, bool>> AddIfAbsent(
      const std::string& hall_id,
      const std::function<absl::StatusOr<std::unique_ptr<HallRuntime>>()>&
          make);
  // Takes the hall out of the directory and returns its runtime (null when
  // the id has none), still owned by the directory.
  HallRuntime* Retire(const std::string& hall_id);

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<HallRuntime>> halls_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<HallRuntime>> retired_ ABSL_GUARDED_BY(mu_);
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_HALL_DIRECTORY_H_
