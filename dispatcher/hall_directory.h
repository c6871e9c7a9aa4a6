// HallDirectory maps hall ids to their runtimes. Halls are added while the
// server runs (Supervisor.ConfigureHall) and never removed, so a runtime
// pointer, once found, stays valid for the server's life.
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

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<HallRuntime>> halls_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_HALL_DIRECTORY_H_
