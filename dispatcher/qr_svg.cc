#include "dispatcher/qr_svg.h"

#include <qrencode.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace qcall {

absl::StatusOr<std::string> QrSvg(absl::string_view text) {
  if (text.empty() || text.size() > kMaxQrTextBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "QR text must be 1 to ", kMaxQrTextBytes, " bytes, got ", text.size()));
  }
  // Every byte, a NUL too (QRcode_encodeString8bit would stop at one).
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeData(static_cast<int>(text.size()),
                        reinterpret_cast<const unsigned char*>(text.data()), 0,
                        QR_ECLEVEL_M),
      &QRcode_free);
  if (code == nullptr) {
    return absl::InternalError("libqrencode could not encode the text");
  }
  // One path of unit squares, with the 4-module quiet zone the standard asks.
  const int width = code->width;
  constexpr int kQuiet = 4;
  std::string path;
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width; ++x) {
      if (code->data[y * width + x] & 1) {
        absl::StrAppend(&path, "M", x + kQuiet, ",", y + kQuiet, "h1v1h-1z");
      }
    }
  }
  const int size = width + 2 * kQuiet;
  return absl::StrCat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ", size, " ",
      size, "\" shape-rendering=\"crispEdges\"><rect width=\"", size,
      "\" height=\"", size, "\" fill=\"#fff\"/><path fill=\"#000\" d=\"", path,
      "\"/></svg>");
}

}  // namespace qcall
