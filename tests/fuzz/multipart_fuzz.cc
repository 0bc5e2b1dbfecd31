// Fuzz target for the multipart/form-data parser of src/bootstrap (the body of an enrollment
// request, untrusted): the first line of the input is a Content-Type value, the rest the body.
// Parsing stays within the limits, and what parses re-builds into a body that parses to the
// same parts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "p2psip/bootstrap/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace p2psip::bootstrap;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t eol = input.find('\n');
  const std::string_view content_type = input.substr(0, eol);
  const std::string_view body = eol == std::string_view::npos ? "" : input.substr(eol + 1);

  absl::StatusOr<std::string> boundary = FormDataBoundary(content_type);
  // Without a valid header, try the body with a fixed boundary so the parser is still reached.
  const std::string b = boundary.ok() ? *boundary : "b";
  MultipartLimits limits;
  limits.max_parts = 8;
  limits.max_part_header_bytes = 256;
  absl::StatusOr<std::vector<FormPart>> parts = ParseFormData(body, b, limits);
  if (!parts.ok()) return 0;
  if (parts->size() > limits.max_parts) __builtin_trap();
  size_t total = 0;
  for (const FormPart& p : *parts) total += p.data.size() + p.name.size();
  if (total > size) __builtin_trap();

  const FormData rebuilt = BuildFormData(*parts);
  absl::StatusOr<std::string> rebuilt_boundary = FormDataBoundary(rebuilt.content_type);
  if (!rebuilt_boundary.ok()) __builtin_trap();
  absl::StatusOr<std::vector<FormPart>> again = ParseFormData(rebuilt.body, *rebuilt_boundary);
  if (!again.ok() || again->size() != parts->size()) __builtin_trap();
  for (size_t i = 0; i < parts->size(); ++i) {
    if ((*again)[i].name != (*parts)[i].name || (*again)[i].data != (*parts)[i].data) {
      __builtin_trap();
    }
  }
  return 0;
}
