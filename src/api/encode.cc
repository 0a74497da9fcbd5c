#include "api/encode.h"

namespace meshroute::api {

nlohmann::json JsonEncoder::nodeJson(const Node& n) {
  switch (n.kind) {
    case Node::Kind::kNull: return nullptr;
    case Node::Kind::kScalar: return n.scalar;
    case Node::Kind::kSequence: {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& item : n.items) j.push_back(nodeJson(item));
      return j;
    }
    case Node::Kind::kMap: {
      nlohmann::json j = nlohmann::json::object();
      for (const auto& e : n.entries) j[e.key] = nodeJson(e.value);
      return j;
    }
  }
  return nullptr;
}

}  // namespace meshroute::api
