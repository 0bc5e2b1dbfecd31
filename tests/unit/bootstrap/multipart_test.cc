// multipart/form-data (RFC 7578): the boundary parameter, parsing (RFC example shape, binary
// data, preamble and epilogue), what is refused, and the builder round trip.
#include "p2psip/bootstrap/multipart.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace p2psip::bootstrap {
namespace {

TEST(MultipartTest, BoundaryParameter) {
  EXPECT_EQ(*FormDataBoundary("multipart/form-data; boundary=AaB03x"), "AaB03x");
  EXPECT_EQ(*FormDataBoundary("Multipart/Form-Data;boundary=\"a b:c\""), "a b:c");
  EXPECT_EQ(*FormDataBoundary("multipart/form-data; charset=utf-8; BOUNDARY=x"), "x");
  EXPECT_FALSE(FormDataBoundary("multipart/mixed; boundary=x").ok());
  EXPECT_FALSE(FormDataBoundary("multipart/form-data").ok());
  EXPECT_FALSE(FormDataBoundary("multipart/form-data; boundary=").ok());
  EXPECT_FALSE(FormDataBoundary("multipart/form-data; boundary=\"unclosed").ok());
  EXPECT_FALSE(FormDataBoundary("multipart/form-data; boundary=" + std::string(71, 'a')).ok());
  EXPECT_FALSE(FormDataBoundary("multipart/form-data; boundary=\"a\x01\"").ok());
  EXPECT_FALSE(FormDataBoundary("").ok());
}

TEST(MultipartTest, ParsesFieldsWithPreambleAndEpilogue) {
  const std::string body =
      "preamble to ignore\r\n"
      "--AaB03x\r\n"
      "Content-Disposition: form-data; name=\"username\"\r\n"
      "\r\n"
      "alice@example.org\r\n"
      "--AaB03x  \r\n"
      "content-disposition: form-data; name=csr; filename=\"c.der\"\r\n"
      "Content-Type: application/pkcs10\r\n"
      "X-Ignored: yes\r\n"
      "\r\n"
      "\x30\x82\r\n--AaB0 not a delimiter\r\n"
      "--AaB03x--\r\n"
      "epilogue";
  absl::StatusOr<std::vector<FormPart>> parts = ParseFormData(body, "AaB03x");
  ASSERT_TRUE(parts.ok()) << parts.status();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "username");
  EXPECT_EQ((*parts)[0].data, "alice@example.org");
  EXPECT_EQ((*parts)[0].content_type, "");
  EXPECT_EQ((*parts)[1].name, "csr");
  EXPECT_EQ((*parts)[1].filename, "c.der");
  EXPECT_EQ((*parts)[1].content_type, "application/pkcs10");
  EXPECT_EQ((*parts)[1].data, "\x30\x82\r\n--AaB0 not a delimiter");
  EXPECT_EQ(FindPart(*parts, "csr"), &(*parts)[1]);
  EXPECT_EQ(FindPart(*parts, "password"), nullptr);
}

TEST(MultipartTest, RejectsMalformedBodies) {
  const std::string d = "Content-Disposition: form-data; name=\"a\"\r\n\r\n";
  const std::vector<std::string> bad = {
      "",
      "no boundary at all",
      "--b\r\n" + d + "value without a closing delimiter",
      "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--",  // no Content-Disposition
      "--b\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--b--",
      "--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--",  // no name
      "--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--b--",
      "--b\r\nno colon here\r\n\r\nx\r\n--b--",
      "--b\r\n\r\nx\r\n--b--",                          // no headers
      "--bjunk\r\n" + d + "x\r\n--b--",                 // junk after the boundary
      "--b\r\n" + d,                                    // truncated
      "--b\r\nContent-Disposition: form-data; name=a",  // header never ends
  };
  for (const std::string& body : bad) {
    EXPECT_FALSE(ParseFormData(body, "b").ok()) << body;
  }
}

TEST(MultipartTest, EnforcesLimits) {
  std::vector<FormPart> parts(
      3, FormPart{.name = "n", .filename = "", .content_type = "", .data = "v"});
  const FormData form = BuildFormData(parts);
  const std::string boundary = *FormDataBoundary(form.content_type);
  MultipartLimits limits;
  limits.max_parts = 3;
  EXPECT_TRUE(ParseFormData(form.body, boundary, limits).ok());
  limits.max_parts = 2;
  EXPECT_FALSE(ParseFormData(form.body, boundary, limits).ok());
  limits = {};
  limits.max_part_header_bytes = 20;
  EXPECT_FALSE(ParseFormData(form.body, boundary, limits).ok());
}

TEST(MultipartTest, BuilderRoundTripsBinaryAndQuotedNames) {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  binary += "\r\n--\r\n";
  const std::vector<FormPart> parts = {
      {.name = "username", .filename = "", .content_type = "", .data = "bob"},
      {.name = "we\"ird\\name", .filename = "", .content_type = "", .data = ""},
      {.name = "csr", .filename = "csr.der", .content_type = "application/pkcs10", .data = binary},
  };
  const FormData form = BuildFormData(parts);
  absl::StatusOr<std::string> boundary = FormDataBoundary(form.content_type);
  ASSERT_TRUE(boundary.ok()) << boundary.status();
  absl::StatusOr<std::vector<FormPart>> back = ParseFormData(form.body, *boundary);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    EXPECT_EQ((*back)[i].name, parts[i].name);
    EXPECT_EQ((*back)[i].filename, parts[i].filename);
    EXPECT_EQ((*back)[i].content_type, parts[i].content_type);
    EXPECT_EQ((*back)[i].data, parts[i].data);
  }
  // Two bodies get two different random boundaries.
  EXPECT_NE(BuildFormData(parts).content_type, form.content_type);
}

}  // namespace
}  // namespace p2psip::bootstrap
