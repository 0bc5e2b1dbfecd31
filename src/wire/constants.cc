#include "p2psip/wire/constants.h"

#include "p2psip/wire/byte_reader.h"

namespace p2psip::wire {

const char* MethodName(uint16_t code) {
  if (code == 0xFFFF) return "Error";
  switch ((code + 1) & 0xFFFE) {
    case 0x02:
      return "Probe";
    case 0x04:
      return "Attach";
    case 0x08:
      return "Store";
    case 0x0A:
      return "Fetch";
    case 0x0E:
      return "Find";
    case 0x10:
      return "Join";
    case 0x12:
      return "Leave";
    case 0x14:
      return "Update";
    case 0x16:
      return "RouteQuery";
    case 0x18:
      return "Ping";
    case 0x1A:
      return "Stat";
    case 0x1E:
      return "AppAttach";
    case 0x22:
      return "ConfigUpdate";
    case 0x24:
      return "exp_a";
    case 0x26:
      return "exp_b";
    case 0x28:
      return "PathTrack";
    default:
      return nullptr;
  }
}

std::optional<DataModel> BuiltinKindModel(uint32_t kind) {
  switch (kind) {
    case kKindSipRegistration:
      return DataModel::kDictionary;
    case kKindTurnService:
      return DataModel::kSingle;
    case kKindCertificateByNode:
    case kKindAccessControlList:
    case kKindCertificateByUser:
      return DataModel::kArray;
    case kKindRedir:
      return DataModel::kDictionary;
    default:
      return std::nullopt;
  }
}

const char* ErrorCodeName(uint16_t code) {
  switch (code) {
    case 0x02:
      return "Error_Forbidden";
    case 0x03:
      return "Error_Not_Found";
    case 0x04:
      return "Error_Request_Timeout";
    case 0x05:
      return "Error_Generation_Counter_Too_Low";
    case 0x06:
      return "Error_Incompatible_with_Overlay";
    case 0x07:
      return "Error_Unsupported_Forwarding_Option";
    case 0x08:
      return "Error_Data_Too_Large";
    case 0x09:
      return "Error_Data_Too_Old";
    case 0x0A:
      return "Error_TTL_Exceeded";
    case 0x0B:
      return "Error_Message_Too_Large";
    case 0x0C:
      return "Error_Unknown_Kind";
    case 0x0D:
      return "Error_Unknown_Extension";
    case 0x0E:
      return "Error_Response_Too_Large";
    case 0x0F:
      return "Error_Config_Too_Old";
    case 0x10:
      return "Error_Config_Too_New";
    case 0x11:
      return "Error_In_Progress";
    case 0x12:
      return "Error_Exp_A";
    case 0x13:
      return "Error_Exp_B";
    case 0x14:
      return "Error_Invalid_Message";
    case 0x15:
      return "Error_Underlay_Destination_Unreachable";
    case 0x16:
      return "Error_Underlay_Time_Exceeded";
    case 0x17:
      return "Error_Message_Expired";
    case 0x18:
      return "Error_Upstream_Misrouting";
    case 0x19:
      return "Error_Loop_Detected";
    case 0x1A:
      return "Error_TTL_Hops_Exceeded";
    default:
      return nullptr;
  }
}

const char* DataModelName(DataModel model) {
  switch (model) {
    case DataModel::kSingle:
      return "SINGLE";
    case DataModel::kArray:
      return "ARRAY";
    case DataModel::kDictionary:
      return "DICTIONARY";
  }
  return "?";
}

}  // namespace p2psip::wire
