// The typed model's schema as describe() lists it: SchemaBuilder walks a model type's describe()
// the way api::Decoder does, but records each field's name, type and FieldOpts instead of
// reading a value, giving a tree to compare with Istio's CRD schemas (schema_coverage_test.cc).
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "api/decode.h"
#include "api/message.h"

namespace meshroute::testing {

enum class Kind : uint8_t {
  kString,
  kEnum,
  kDuration,
  kBool,
  kInt,
  kNumber,
  kObject,
  kArray,
  kMap,
  kAny,
  kIntOrString
};

struct ModelField;

struct ModelSchema {
  Kind kind = Kind::kString;
  bool optional = false;   // held in std::optional (message, wrapper, oneof member, `optional`)
  bool is_signed = false;  // kInt
  int bits = 0;            // kInt, kNumber
  std::set<std::string> enum_values;           // kEnum
  std::vector<std::string> enum_by_number;     // kEnum, in proto number order
  bool has_zero_enum = false;                  // kEnum: some value is numbered 0
  bool open = false;                           // kObject: kOpenSchema, accepts unknown fields
  std::shared_ptr<const ModelSchema> element;  // kArray, kMap
  std::string type_name;                       // kObject
  std::vector<ModelField> fields;              // kObject
};

struct ModelField {
  std::string name;
  std::string oneof;
  bool required = false;
  ModelSchema schema;
};

// "meshroute::api::HTTPRoute" -> "HTTPRoute", for readable findings.
template <class T>
inline std::string typeName() {
  std::string_view s = __PRETTY_FUNCTION__;
  size_t begin = s.find("T = ") + 4;
  std::string name(s.substr(begin, s.find_first_of(";]", begin) - begin));
  // Model messages are not templates, so the last component is the type's own name.
  if (size_t colons = name.rfind("::");
      colons != std::string::npos && name.find('<') == name.npos) {
    name.erase(0, colons + 2);
  }
  return name;
}

// Walks describe() like api::Decoder does, recording each field's type instead of reading it.
class SchemaBuilder {
 public:
  template <api::DescribedMessage T>
  static ModelSchema messageSchema() {
    // Istio's networking messages are not recursive; a cycle would otherwise never end.
    static int depth = 0;
    ModelSchema s;
    s.kind = Kind::kObject;
    s.type_name = typeName<T>();
    s.open = api::isOpenSchema<T>();
    if (depth > 32) {
      ADD_FAILURE() << "model nesting deeper than 32 at " << s.type_name;
      return s;
    }
    ++depth;
    T msg{};
    SchemaBuilder builder(s.fields);
    describe(builder, msg);
    --depth;
    return s;
  }

  template <class F>
  void operator()(std::string_view name, F& /*field*/, api::FieldOpts opts = {}) {
    fields_.push_back(
        {std::string(name), std::string(opts.oneof), opts.required, schemaOf<F>(opts)});
  }

 private:
  explicit SchemaBuilder(std::vector<ModelField>& fields) : fields_(fields) {}

  template <class F>
  static ModelSchema schemaOf(const api::FieldOpts& opts) {
    ModelSchema s;
    if constexpr (std::is_same_v<F, std::string>) {
      s.kind = opts.enums != nullptr ? Kind::kEnum : Kind::kString;
      if (opts.enums != nullptr) {
        std::vector<api::EnumValue> values(opts.enums->begin(), opts.enums->end());
        std::stable_sort(values.begin(), values.end(),
                         [](const auto& a, const auto& b) { return a.number < b.number; });
        for (const auto& v : values) {
          s.has_zero_enum = s.has_zero_enum || v.number == 0;
          s.enum_values.emplace(v.name);
          s.enum_by_number.emplace_back(v.name);
        }
      }
    } else if constexpr (std::is_same_v<F, bool>) {
      s.kind = Kind::kBool;
    } else if constexpr (std::is_integral_v<F>) {
      s.kind = Kind::kInt;
      s.is_signed = std::is_signed_v<F>;
      s.bits = static_cast<int>(sizeof(F) * 8);
    } else if constexpr (std::is_floating_point_v<F>) {
      s.kind = Kind::kNumber;
      s.bits = static_cast<int>(sizeof(F) * 8);
    } else if constexpr (std::is_same_v<F, api::Duration>) {
      s.kind = Kind::kDuration;
    } else if constexpr (std::is_same_v<F, api::AnyValue>) {
      s.kind = Kind::kAny;
    } else if constexpr (std::is_same_v<F, api::IntOrString>) {
      s.kind = Kind::kIntOrString;
    } else if constexpr (requires(F f) { f.has_value(); }) {
      s = schemaOf<typename F::value_type>(opts);
      s.optional = true;
    } else if constexpr (requires { typename F::mapped_type; }) {
      static_assert(std::is_same_v<typename F::key_type, std::string>, "map keys are strings");
      s.kind = Kind::kMap;
      s.element = std::make_shared<ModelSchema>(schemaOf<typename F::mapped_type>(opts));
    } else if constexpr (requires(F f) { f.push_back({}); }) {
      s.kind = Kind::kArray;
      s.element = std::make_shared<ModelSchema>(schemaOf<typename F::value_type>(opts));
    } else {
      static_assert(api::DescribedMessage<F>, "field type unknown to the schema test");
      s = messageSchema<F>();
    }
    return s;
  }

  std::vector<ModelField>& fields_;
};

inline std::string describeModel(const ModelSchema& m) {
  switch (m.kind) {
    case Kind::kString: return "string";
    case Kind::kEnum: return "enum";
    case Kind::kDuration: return "Duration";
    case Kind::kBool: return "bool";
    case Kind::kInt: return fmt::format("{}int{}", m.is_signed ? "" : "u", m.bits);
    case Kind::kNumber: return m.bits == 32 ? "float" : "double";
    case Kind::kObject: return "message " + m.type_name;
    case Kind::kArray: return "vector<" + describeModel(*m.element) + ">";
    case Kind::kMap: return "map<string, " + describeModel(*m.element) + ">";
    case Kind::kAny: return "AnyValue";
    case Kind::kIntOrString: return "IntOrString";
  }
  return "?";
}

}  // namespace meshroute::testing
