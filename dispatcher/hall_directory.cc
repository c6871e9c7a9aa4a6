#include "dispatcher/hall_directory.h"

namespace qcall {

HallRuntime* HallDirectory::Find(const std::string& hall_id) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = halls_.find(hall_id);
  return it == halls_.end() ? nullptr : it->second.get();
}

std::vector<HallRuntime*> HallDirectory::All() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<HallRuntime*> all;
  all.reserve(halls_.size());
  for (const auto& [id, runtime] : halls_) all.push_back(runtime.get());
  return all;
}

size_t HallDirectory::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return halls_.size();
}

absl::StatusOr<std::pair<HallRuntime*, bool>> HallDirectory::AddIfAbsent(
    const std::string& hall_id,
    const std::function<absl::StatusOr<std::unique_ptr<HallRuntime>>()>& make) {
  absl::MutexLock lock(&mu_);
  if (auto it = halls_.find(hall_id); it != halls_.end()) {
    return std::make_pair(it->second.get(), false);
  }
  absl::StatusOr<std::unique_ptr<HallRuntime>> made = make();
  if (!made.ok()) return made.status();
  HallRuntime* runtime = made->get();
  halls_[hall_id] = *std::move(made);
  return std::make_pair(runtime, true);
}

HallRuntime* HallDirectory::Retire(const std::string& hall_id) {
  absl::MutexLock lock(&mu_);
  auto it = halls_.find(hall_id);
  if (it == halls_.end()) return nullptr;
  HallRuntime* runtime = it->second.get();
  retired_.push_back(std::move(it->second));
  halls_.erase(it);
  return runtime;
}

}  // namespace qcall
