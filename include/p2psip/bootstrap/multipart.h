// multipart/form-data (RFC 7578, which obsoletes the RFC 2388 that RFC 6940 §11.3 cites): the
// body of an enrollment request, whose parts are the fields username, password, nodeids and
// csr. Sans-I/O; the parser reads untrusted bytes and is bounded by MultipartLimits.
#ifndef P2PSIP_BOOTSTRAP_MULTIPART_H_
#define P2PSIP_BOOTSTRAP_MULTIPART_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace p2psip::bootstrap {

struct FormPart {
  std::string name;          // the Content-Disposition name parameter
  std::string filename;      // its filename parameter, "" when absent
  std::string content_type;  // "" when the part has none (RFC 7578 §4.4: text/plain)
  std::string data;
};

struct MultipartLimits {
  size_t max_parts = 16;
  size_t max_part_header_bytes = 1024;
};

// The boundary parameter of a Content-Type header value `multipart/form-data; boundary=...`
// (quoted or not, 1..70 characters of RFC 2046's bchars). InvalidArgument otherwise.
absl::StatusOr<std::string> FormDataBoundary(std::string_view content_type);

// The parts of `body`, in order. Every part needs `Content-Disposition: form-data; name="..."`.
// A preamble and an epilogue are ignored; a missing close delimiter, a part header over the
// limit, more parts than the limit or a malformed header is InvalidArgument.
absl::StatusOr<std::vector<FormPart>> ParseFormData(std::string_view body,
                                                    std::string_view boundary,
                                                    const MultipartLimits& limits = {});

// The first part called `name`; null if none.
const FormPart* FindPart(std::span<const FormPart> parts, std::string_view name);

// A body for `parts` and the Content-Type header that goes with it. The boundary is random and
// checked not to occur in any part.
struct FormData {
  std::string content_type;
  std::string body;
};
FormData BuildFormData(std::span<const FormPart> parts);

}  // namespace p2psip::bootstrap

#endif  // P2PSIP_BOOTSTRAP_MULTIPART_H_
