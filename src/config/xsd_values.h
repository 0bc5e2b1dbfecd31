// Lexical forms of the XML Schema datatypes the configuration grammar uses (xsd:int, long,
// boolean, base64Binary, dateTime), read after the RELAX NG validation has accepted them, so
// these parsers only need to be exact, not to explain. Each trims XML white space first, as the
// datatypes' whiteSpace="collapse" facet does.
#ifndef P2PSIP_SRC_CONFIG_XSD_VALUES_H_
#define P2PSIP_SRC_CONFIG_XSD_VALUES_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace p2psip::config::internal {

// Strips leading and trailing XML white space (space, tab, CR, LF).
std::string_view TrimXmlSpace(std::string_view s);

// [+-]?[0-9]+ that fits an int64; nullopt otherwise.
std::optional<int64_t> ParseXsdInteger(std::string_view s);

// "true" / "1" / "false" / "0".
std::optional<bool> ParseXsdBoolean(std::string_view s);

// Base64 with white space anywhere between the characters, in whole 4-character groups.
std::optional<std::vector<uint8_t>> ParseXsdBase64(std::string_view s);

// YYYY-MM-DDThh:mm:ss[.fraction][Z|(+|-)hh:mm] to Unix seconds (fraction dropped, no zone read
// as UTC). Years 0001..9999; 24:00:00 is the end of the day; a leap second :60 is accepted.
std::optional<int64_t> ParseXsdDateTime(std::string_view s);

}  // namespace p2psip::config::internal

#endif  // P2PSIP_SRC_CONFIG_XSD_VALUES_H_
