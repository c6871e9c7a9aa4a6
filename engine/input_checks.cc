#include "engine/input_checks.h"

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace qcall {

absl::Status CheckText(absl::string_view text, absl::string_view field,
                       bool required, size_t max_length) {
  if (required && text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  }
  if (text.size() > max_length) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is too long (", text.size(), " bytes; at most ",
                     max_length, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckOverride(const v1::Override& override) {
  RETURN_IF_ERROR(CheckText(override.supervisor_id(), "override.supervisor_id",
                            true, kMaxIdLength));
  return CheckText(override.reason(), "override.reason", true);
}

absl::Status CorruptSnapshot(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("snapshot is corrupt: ", what));
}

}  // namespace qcall
