// The typed model (src/api/model) must match Istio's networking CRDs
// (../shared/conformance/istio-api/crds-networking.yaml) field for field, in every served
// version: the decoder walks describe() to reject unknown fields and ill-typed values, so a field
// the model lacks is a valid resource meshroute would reject, and a field or type the CRD lacks
// is an invalid one it would accept.
//
// The model side is read by walking describe() with SchemaBuilder into a ModelSchema tree; the
// CRD side is read with meshroute's own YAML reader. SchemaChecker then walks both together and
// records every difference, so one failure lists them all with their paths and CRD lines.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "api/message.h"
#include "api/resource.h"
#include "api/yaml_reader.h"
#include "conformance_util.h"
#include "schema_model.h"

namespace meshroute {
namespace {

namespace fs = std::filesystem;
using api::Node;

using testing::describeModel;
using testing::Kind;
using testing::ModelField;
using testing::ModelSchema;
using testing::SchemaBuilder;

// ---- The kinds under test ----

struct KindModel {
  std::string_view kind;
  ModelSchema (*spec)();
};
const KindModel kKinds[] = {
    {"VirtualService", &SchemaBuilder::messageSchema<api::VirtualService>},
    {"DestinationRule", &SchemaBuilder::messageSchema<api::DestinationRule>},
    {"Gateway", &SchemaBuilder::messageSchema<api::Gateway>},
    {"ServiceEntry", &SchemaBuilder::messageSchema<api::ServiceEntry>},
    {"Sidecar", &SchemaBuilder::messageSchema<api::Sidecar>},
    {"WorkloadEntry", &SchemaBuilder::messageSchema<api::WorkloadEntry>},
    {"WorkloadGroup", &SchemaBuilder::messageSchema<api::WorkloadGroup>},
};
constexpr std::string_view kVersions[] = {"v1alpha3", "v1beta1", "v1"};

// Oneof groups the model declares on purpose although the CRD has no oneOf for them.
struct ModelOnlyOneof {
  std::string_view type_name;
  std::string_view group;
  std::string_view reason;
};
constexpr ModelOnlyOneof kModelOnlyOneofs[] = {
    {"HTTPRoute", "mirrorPercent",
     "mirrorPercent and mirror_percent are the JSON and proto names of one proto field; Istio's "
     "JSON decoder rejects a document that sets both"},
};

// ---- The CRD side ----

std::string_view scalarAt(const Node& n, std::string_view key) {
  const Node* v = n.find(key);
  return v != nullptr ? v->text() : std::string_view();
}
bool flagAt(const Node& n, std::string_view key) { return scalarAt(n, key) == "true"; }

// Reads the CRD file once: kind -> version -> openAPIV3Schema.properties.spec.
struct Crds {
  std::vector<api::Document> docs;  // owns the trees the map points into
  std::map<std::string, std::map<std::string, const Node*>> specs;
  std::string error;
};

const Crds& loadCrds(const fs::path& file) {
  static std::map<fs::path, Crds> cache;
  auto [it, inserted] = cache.try_emplace(file);
  Crds& crds = it->second;
  if (!inserted) return crds;
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  core::Diagnostics diags;
  crds.docs = api::readDocuments(text.str(), file.filename().string(), diags);
  if (diags.hasErrors()) {
    crds.error = fmt::format("{} does not parse: {}", file.string(), diags.items()[0].message);
    return crds;
  }
  for (const auto& doc : crds.docs) {
    const Node* spec = doc.root.find("spec");
    const Node* names = spec != nullptr ? spec->find("names") : nullptr;
    const Node* versions = spec != nullptr ? spec->find("versions") : nullptr;
    if (names == nullptr || versions == nullptr) continue;
    std::string kind(scalarAt(*names, "kind"));
    for (const auto& v : versions->items) {
      const Node* schema = v.find("schema");
      const Node* open_api = schema != nullptr ? schema->find("openAPIV3Schema") : nullptr;
      const Node* props = open_api != nullptr ? open_api->find("properties") : nullptr;
      const Node* spec_schema = props != nullptr ? props->find("spec") : nullptr;
      if (spec_schema != nullptr) crds.specs[kind][std::string(scalarAt(v, "name"))] = spec_schema;
    }
  }
  return crds;
}

// Schema nodes below `n` (itself, properties, items, additionalProperties): what a complete
// walk of the model against the CRD visits.
int countSchemaNodes(const Node& n) {
  int count = 1;
  if (const Node* props = n.find("properties"); props != nullptr) {
    for (const auto& e : props->entries) count += countSchemaNodes(e.value);
  }
  for (std::string_view key : {"items", "additionalProperties"}) {
    if (const Node* sub = n.find(key); sub != nullptr && sub->isMap()) {
      count += countSchemaNodes(*sub);
    }
  }
  return count;
}

// ---- Comparing the two ----

enum class Aspect : uint8_t { kType, kRequired, kOneof };

struct Finding {
  Aspect aspect;
  std::string where;  // "VirtualService spec.http[].timeout"
  std::string message;
  uint32_t line;  // in the CRD file
};

class SchemaChecker {
 public:
  SchemaChecker(std::string kind, std::vector<Finding>& out) : kind_(std::move(kind)), out_(out) {}

  // Compares one CRD schema node with the model type that decodes it.
  void compare(const Node& crd, const ModelSchema& m, const std::string& path) {
    ++checked_;
    auto type_finding = [&](std::string msg) { add(Aspect::kType, path, std::move(msg), crd); };
    std::string_view type = scalarAt(crd, "type");
    if (flagAt(crd, "nullable") && !m.optional) {
      type_finding(
          fmt::format("CRD says nullable (a protobuf wrapper) but the model holds a plain "
                      "{}, not std::optional",
                      describeModel(m)));
    }
    if (flagAt(crd, "x-kubernetes-int-or-string")) {
      if (m.kind != Kind::kIntOrString) type_finding(want("IntOrString", m));
      return;
    }
    if (flagAt(crd, "x-kubernetes-preserve-unknown-fields") && crd.find("properties") == nullptr) {
      if (m.kind != Kind::kAny) type_finding(want("AnyValue (preserve-unknown-fields)", m));
      return;
    }
    if (m.kind == Kind::kAny) {
      type_finding(fmt::format("model holds AnyValue; CRD has a fixed schema of type {}", type));
      return;
    }
    if (type == "object") {
      compareObject(crd, m, path);
    } else if (type == "array") {
      const Node* items = crd.find("items");
      if (m.kind != Kind::kArray) {
        type_finding(want("std::vector", m));
      } else if (items != nullptr) {
        compare(*items, *m.element, path + "[]");
      }
    } else if (type == "string") {
      compareString(crd, m, path);
    } else if (type == "integer") {
      std::string expected = expectedInteger(crd);
      if (describeModel(m) != expected &&
          !(expected == "uint32|uint64" && m.kind == Kind::kInt && !m.is_signed)) {
        type_finding(
            fmt::format("CRD integer (format '{}', minimum '{}', maximum '{}') needs {}; "
                        "model holds {}",
                        scalarAt(crd, "format"), scalarAt(crd, "minimum"), scalarAt(crd, "maximum"),
                        expected, describeModel(m)));
      }
    } else if (type == "number") {
      std::string expected = scalarAt(crd, "format") == "float" ? "float" : "double";
      if (m.kind != Kind::kNumber || describeModel(m) != expected) {
        type_finding(want(expected, m));
      }
    } else if (type == "boolean") {
      if (m.kind != Kind::kBool) type_finding(want("bool", m));
    } else {
      type_finding(fmt::format("CRD schema of unknown type '{}'", type));
    }
  }

  [[nodiscard]] int checked() const { return checked_; }

 private:
  static std::string want(std::string_view expected, const ModelSchema& m) {
    return fmt::format("CRD needs {}; model holds {}", expected, describeModel(m));
  }

  void add(Aspect aspect, const std::string& path, std::string message, const Node& at) {
    out_.push_back({aspect, kind_ + " " + path, std::move(message), at.mark.line});
  }

  // Go's proto types as the CRD generator writes them: int32/int64 carry a format; uint32 is
  // bounded 0..4294967295 and uint64 only below, unless a validation bound replaced those.
  static std::string expectedInteger(const Node& crd) {
    std::string_view format = scalarAt(crd, "format");
    if (!format.empty()) return std::string(format);
    std::string_view min = scalarAt(crd, "minimum");
    std::string_view max = scalarAt(crd, "maximum");
    if (min.empty() || min.starts_with('-')) return "int64";
    if (max.empty()) return "uint64";
    if (max == "4294967295") return "uint32";
    return std::stoull(std::string(max)) <= 4294967295ULL ? "uint32|uint64" : "uint64";
  }

  static bool hasDurationRule(const Node& crd) {
    const Node* rules = crd.find("x-kubernetes-validations");
    if (rules == nullptr) return false;
    return std::any_of(rules->items.begin(), rules->items.end(), [](const Node& r) {
      return scalarAt(r, "rule").find("duration(self)") != std::string_view::npos;
    });
  }

  void compareString(const Node& crd, const ModelSchema& m, const std::string& path) {
    auto type_finding = [&](std::string msg) { add(Aspect::kType, path, std::move(msg), crd); };
    const Node* enums = crd.find("enum");
    if (enums != nullptr) {
      if (m.kind != Kind::kEnum) {
        type_finding(want("an enum (std::string with FieldOpts.enums)", m));
        return;
      }
      std::set<std::string> crd_values;
      for (const auto& v : enums->items) crd_values.emplace(v.text());
      std::vector<std::string> only_crd;
      std::vector<std::string> only_model;
      std::set_difference(crd_values.begin(), crd_values.end(), m.enum_values.begin(),
                          m.enum_values.end(), std::back_inserter(only_crd));
      std::set_difference(m.enum_values.begin(), m.enum_values.end(), crd_values.begin(),
                          crd_values.end(), std::back_inserter(only_model));
      if (!only_crd.empty() || !only_model.empty()) {
        type_finding(fmt::format("enum values differ: only in CRD [{}], only in model [{}]",
                                 fmt::join(only_crd, ", "), fmt::join(only_model, ", ")));
        return;
      }
      // An absent enum decodes to the value numbered 0, as in proto3.
      if (!m.has_zero_enum) type_finding("EnumTable has no value numbered 0");
      // The CRD lists values in proto declaration order, which for these enums is number order;
      // a difference points at a wrong number in the EnumTable.
      std::vector<std::string> crd_order;
      for (const auto& v : enums->items) crd_order.emplace_back(v.text());
      if (crd_order != m.enum_by_number || crd_values.size() != crd_order.size()) {
        type_finding(fmt::format("enum order differs: CRD [{}], model by number [{}]",
                                 fmt::join(crd_order, ", "), fmt::join(m.enum_by_number, ", ")));
      }
      return;
    }
    switch (m.kind) {
      case Kind::kEnum:
        type_finding("model has an EnumTable; CRD has a plain string without enum values");
        break;
      case Kind::kDuration:
        if (!scalarAt(crd, "format").empty()) {
          type_finding(fmt::format("model holds Duration; CRD string has format '{}'",
                                   scalarAt(crd, "format")));
        }
        break;
      case Kind::kString:
        if (hasDurationRule(crd)) {
          type_finding("CRD validates it as a duration; model holds a plain string, not Duration");
        }
        break;
      default: type_finding(want("string", m));
    }
  }

  void compareObject(const Node& crd, const ModelSchema& m, const std::string& path) {
    const Node* props = crd.find("properties");
    const Node* additional = crd.find("additionalProperties");
    if (props == nullptr && additional != nullptr && additional->isMap()) {
      if (m.kind != Kind::kMap) {
        add(Aspect::kType, path, want("std::map (additionalProperties)", m), crd);
      } else {
        compare(*additional, *m.element, path + "[*]");
      }
      return;
    }
    if (m.kind != Kind::kObject) {
      add(Aspect::kType, path, want("a message (object with properties)", m), crd);
      return;
    }
    if (m.open && !flagAt(crd, "x-kubernetes-preserve-unknown-fields")) {
      add(Aspect::kType, path, m.type_name + " has kOpenSchema; the CRD prunes unknown fields",
          crd);
    }
    std::set<std::string> seen;
    for (const auto& f : m.fields) {
      if (!seen.insert(f.name).second) {
        add(Aspect::kType, path + "." + f.name, "listed twice in describe() of " + m.type_name,
            crd);
      }
    }
    std::set<std::string> crd_names;
    if (props != nullptr) {
      for (const auto& e : props->entries) {
        crd_names.insert(e.key);
        std::string field_path = path + "." + e.key;
        auto it = std::find_if(m.fields.begin(), m.fields.end(),
                               [&](const ModelField& f) { return f.name == e.key; });
        if (it == m.fields.end()) {
          add(Aspect::kType, field_path, "in the CRD, missing from the model (" + m.type_name + ")",
              e.value);
        } else {
          compare(e.value, it->schema, field_path);
        }
      }
    }
    for (const auto& f : m.fields) {
      if (crd_names.count(f.name) == 0) {
        add(Aspect::kType, path + "." + f.name,
            "in the model (" + m.type_name + ") but not in the CRD", crd);
      }
    }
    compareRequired(crd, m, path);
    compareOneofs(crd, m, path);
  }

  void compareRequired(const Node& crd, const ModelSchema& m, const std::string& path) {
    std::set<std::string> crd_required;
    if (const Node* req = crd.find("required"); req != nullptr) {
      for (const auto& r : req->items) crd_required.emplace(r.text());
    }
    for (const auto& f : m.fields) {
      bool in_crd = crd_required.count(f.name) > 0;
      if (in_crd && !f.required) {
        add(Aspect::kRequired, path + "." + f.name,
            "CRD lists it as required; model (" + m.type_name + ") lacks {.required = true}", crd);
      } else if (!in_crd && f.required) {
        add(Aspect::kRequired, path + "." + f.name,
            "model (" + m.type_name + ") marks it required; the CRD does not", crd);
      }
    }
  }

  // The CRD writes each proto oneof as `oneOf: [not: {anyOf: ...}, required: [a], ...]`, either
  // on the object or, when it has several, under `allOf`.
  void compareOneofs(const Node& crd, const ModelSchema& m, const std::string& path) {
    std::vector<std::set<std::string>> crd_groups;
    auto collect = [&](const Node& one_of) {
      std::set<std::string> members;
      for (const auto& alt : one_of.items) {
        if (const Node* req = alt.find("required"); req != nullptr) {
          for (const auto& r : req->items) members.emplace(r.text());
        }
      }
      if (!members.empty()) crd_groups.push_back(std::move(members));
    };
    if (const Node* one_of = crd.find("oneOf"); one_of != nullptr) collect(*one_of);
    if (const Node* all_of = crd.find("allOf"); all_of != nullptr) {
      for (const auto& part : all_of->items) {
        if (const Node* one_of = part.find("oneOf"); one_of != nullptr) collect(*one_of);
      }
    }
    std::map<std::string, std::set<std::string>> model_groups;
    for (const auto& f : m.fields) {
      if (f.oneof.empty()) continue;
      model_groups[f.oneof].insert(f.name);
      // The decoder and validators tell the member that was set by has_value().
      if (!f.schema.optional) {
        add(Aspect::kOneof, path + "." + f.name,
            fmt::format("oneof member of {} held as a plain {}, not std::optional", m.type_name,
                        describeModel(f.schema)),
            crd);
      }
    }
    for (const auto& group : crd_groups) {
      bool matched = std::any_of(model_groups.begin(), model_groups.end(),
                                 [&](const auto& g) { return g.second == group; });
      if (!matched) {
        add(Aspect::kOneof, path,
            fmt::format("CRD oneOf [{}] is not one model oneof group of {}", fmt::join(group, ", "),
                        m.type_name),
            crd);
      }
    }
    for (const auto& [name, members] : model_groups) {
      bool matched = std::find(crd_groups.begin(), crd_groups.end(), members) != crd_groups.end();
      bool allowed = std::any_of(
          std::begin(kModelOnlyOneofs), std::end(kModelOnlyOneofs),
          [&](const ModelOnlyOneof& e) { return e.type_name == m.type_name && e.group == name; });
      if (!matched && !allowed) {
        add(Aspect::kOneof, path,
            fmt::format("model oneof '{}' [{}] of {} matches no CRD oneOf", name,
                        fmt::join(members, ", "), m.type_name),
            crd);
      }
    }
  }

  std::string kind_;
  std::vector<Finding>& out_;
  int checked_ = 0;
};

// Runs the comparison for every kind and version and returns the findings of one aspect, the
// same finding in several versions merged into one line.
struct Result {
  std::vector<std::string> lines;
  int checked = 0;
  int crd_nodes = 0;
  std::string setup_error;
};

Result check(const fs::path& crd_file, Aspect aspect) {
  Result result;
  const Crds& crds = loadCrds(crd_file);
  if (!crds.error.empty()) {
    result.setup_error = crds.error;
    return result;
  }
  // (where, message) -> versions, earliest CRD line.
  std::map<std::pair<std::string, std::string>, std::pair<std::vector<std::string>, uint32_t>>
      merged;
  std::vector<std::pair<std::string, std::string>> order;
  for (const auto& [crd_kind, versions] : crds.specs) {
    if (std::none_of(std::begin(kKinds), std::end(kKinds),
                     [&](const KindModel& k) { return k.kind == crd_kind; })) {
      result.setup_error +=
          fmt::format("the CRD file defines {}, which has no model here; ", crd_kind);
    }
  }
  for (const auto& kind : kKinds) {
    ModelSchema model = kind.spec();
    auto kind_it = crds.specs.find(std::string(kind.kind));
    for (std::string_view version : kVersions) {
      const Node* spec = nullptr;
      if (kind_it != crds.specs.end()) {
        auto v = kind_it->second.find(std::string(version));
        if (v != kind_it->second.end()) spec = v->second;
      }
      if (spec == nullptr) {
        result.setup_error +=
            fmt::format("{} {} has no spec schema in the CRD file; ", kind.kind, version);
        continue;
      }
      std::vector<Finding> findings;
      SchemaChecker checker(std::string(kind.kind), findings);
      checker.compare(*spec, model, "spec");
      result.checked += checker.checked();
      result.crd_nodes += countSchemaNodes(*spec);
      for (auto& f : findings) {
        if (f.aspect != aspect) continue;
        auto key = std::make_pair(f.where, f.message);
        auto [it, inserted] = merged.try_emplace(key);
        if (inserted) order.push_back(key);
        it->second.second = inserted ? f.line : std::min(it->second.second, f.line);
        it->second.first.emplace_back(version);
      }
    }
  }
  for (const auto& key : order) {
    const auto& [versions, line] = merged[key];
    result.lines.push_back(fmt::format("{}: {} [{}] (crds-networking.yaml:{})", key.first,
                                       key.second, fmt::join(versions, " "), line));
  }
  return result;
}

fs::path crdFile() {
  fs::path dir = testing::sharedDir();
  if (dir.empty()) return {};
  fs::path file = dir / "conformance/istio-api/crds-networking.yaml";
  return fs::exists(file) ? file : fs::path();
}

std::string report(const Result& r, std::string_view what) {
  return fmt::format("{} {} between src/api/model and crds-networking.yaml:\n  {}\n",
                     r.lines.size(), what, fmt::join(r.lines, "\n  "));
}

TEST(SchemaCoverage, ModelTypesMatchEveryCrdField) {
  fs::path file = crdFile();
  if (file.empty()) GTEST_SKIP() << "../shared/conformance/istio-api/crds-networking.yaml absent";
  Result r = check(file, Aspect::kType);
  ASSERT_TRUE(r.setup_error.empty()) << r.setup_error;
  EXPECT_TRUE(r.lines.empty()) << report(r, "field/type mismatches");
  // Fields missing from the model end the walk below them; otherwise it must reach every node.
  if (r.lines.empty()) {
    EXPECT_EQ(r.checked, r.crd_nodes);
  }
  std::cout << fmt::format(
      "schema coverage: {} CRD schema nodes compared in {} kinds x {} versions\n", r.checked,
      std::size(kKinds), std::size(kVersions));
}

TEST(SchemaCoverage, RequiredFieldsMatchCrd) {
  fs::path file = crdFile();
  if (file.empty()) GTEST_SKIP() << "../shared/conformance/istio-api/crds-networking.yaml absent";
  Result r = check(file, Aspect::kRequired);
  ASSERT_TRUE(r.setup_error.empty()) << r.setup_error;
  EXPECT_TRUE(r.lines.empty()) << report(r, "required-field mismatches");
}

TEST(SchemaCoverage, OneofGroupsMatchCrd) {
  fs::path file = crdFile();
  if (file.empty()) GTEST_SKIP() << "../shared/conformance/istio-api/crds-networking.yaml absent";
  Result r = check(file, Aspect::kOneof);
  ASSERT_TRUE(r.setup_error.empty()) << r.setup_error;
  EXPECT_TRUE(r.lines.empty()) << report(r, "oneof mismatches");
}

// The checker itself must notice differences, or an empty report proves nothing.
struct ProbeInner : api::Message {
  int32_t count = 0;
};
template <class V>
void describe(V& v, ProbeInner& m) {
  v("count", m.count);
}
inline constexpr api::EnumValue kProbeModeValues[] = {{"A", 0}, {"B", 1}};
inline constexpr api::EnumTable kProbeMode{kProbeModeValues};
struct Probe : api::Message {
  std::optional<ProbeInner> inner;
  std::string mode;
  std::vector<std::string> extra;
  std::string timeout;
  std::map<std::string, int32_t> tags;
  uint32_t wrapped = 0;
  std::optional<std::string> a;
  std::optional<std::string> b;
};
template <class V>
void describe(V& v, Probe& m) {
  v("inner", m.inner, {.required = true});
  v("mode", m.mode, {.enums = &kProbeMode});
  v("extra", m.extra);
  v("timeout", m.timeout);
  v("tags", m.tags);
  v("wrapped", m.wrapped);
  v("a", m.a, {.oneof = "choice"});
  v("b", m.b, {.oneof = "choice"});
}

TEST(SchemaCoverage, CheckerReportsEachKindOfDifference) {
  constexpr std::string_view kCrd = R"yaml(type: object
required: [mode]
oneOf: [{not: {anyOf: [{required: [a]}]}}, {required: [a]}]
properties:
  inner:
    type: object
    properties:
      count: {type: integer, minimum: 0, maximum: 4294967295}
      missing: {type: string}
  mode: {type: string, enum: [A, C]}
  timeout: {type: string, x-kubernetes-validations: [{rule: "duration(self) >= duration('1ms')"}]}
  tags: {type: object, properties: {x: {type: integer, format: int32}}}
  wrapped: {type: integer, minimum: 0, maximum: 4294967295, nullable: true}
  a: {type: string}
  b: {type: string}
)yaml";
  core::Diagnostics diags;
  auto docs = api::readDocuments(kCrd, "probe.yaml", diags);
  ASSERT_EQ(docs.size(), 1u);
  ModelSchema model = SchemaBuilder::messageSchema<Probe>();
  ASSERT_EQ(model.fields.size(), 8u);
  std::vector<Finding> findings;
  SchemaChecker checker("Probe", findings);
  checker.compare(docs[0].root, model, "spec");
  std::vector<std::string> got;
  for (const auto& f : findings) got.push_back(f.where + ": " + f.message);
  auto has = [&](std::string_view text) {
    return std::any_of(got.begin(), got.end(),
                       [&](const std::string& g) { return g.find(text) != std::string::npos; });
  };
  std::string all = fmt::format("{}", fmt::join(got, "\n"));
  EXPECT_TRUE(has("Probe spec.inner.count: CRD integer")) << all;
  EXPECT_TRUE(has("spec.inner.missing: in the CRD, missing from the model (ProbeInner)")) << all;
  EXPECT_TRUE(has("spec.mode: enum values differ: only in CRD [C], only in model [B]")) << all;
  EXPECT_TRUE(has("spec.timeout: CRD validates it as a duration")) << all;
  EXPECT_TRUE(has("spec.extra: in the model (Probe) but not in the CRD")) << all;
  EXPECT_TRUE(has("spec.tags: CRD needs a message")) << all;
  EXPECT_TRUE(has("spec.wrapped: CRD says nullable")) << all;
  EXPECT_TRUE(has("spec.inner: model (Probe) marks it required")) << all;
  EXPECT_TRUE(has("spec.mode: CRD lists it as required")) << all;
  EXPECT_TRUE(has("spec: CRD oneOf [a] is not one model oneof group")) << all;
  EXPECT_TRUE(has("spec: model oneof 'choice' [a, b] of Probe matches no CRD oneOf")) << all;
  EXPECT_EQ(got.size(), 11u) << all;
}

}  // namespace
}  // namespace meshroute
