#include "api/yaml_reader.h"

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

namespace meshroute::api {
namespace {

core::Mark toMark(const YAML::Mark& m) {
  if (m.line < 0) return {};
  return {static_cast<uint32_t>(m.line + 1), static_cast<uint32_t>(m.column + 1)};
}

struct LimitExceeded {
  core::Mark mark;
  std::string message;
};

class Converter {
 public:
  explicit Converter(const ReaderLimits& limits) : limits_(limits) {}

  void convert(const YAML::Node& in, Node& out, size_t depth) {
    if (++nodes_ > limits_.max_nodes_per_document) {
      throw LimitExceeded{toMark(in.Mark()),
                          fmt::format("document expands to more than {} nodes (YAML alias bomb?)",
                                      limits_.max_nodes_per_document)};
    }
    if (depth > limits_.max_depth) {
      throw LimitExceeded{toMark(in.Mark()),
                          fmt::format("document nests deeper than {} levels", limits_.max_depth)};
    }
    out.mark = toMark(in.Mark());
    switch (in.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null: out.kind = Node::Kind::kNull; break;
      case YAML::NodeType::Scalar:
        out.kind = Node::Kind::kScalar;
        out.scalar = in.Scalar();
        out.quoted = in.Tag() != "?";
        break;
      case YAML::NodeType::Sequence:
        out.kind = Node::Kind::kSequence;
        out.items.resize(in.size());
        for (size_t i = 0; i < in.size(); ++i) convert(in[i], out.items[i], depth + 1);
        break;
      case YAML::NodeType::Map:
        out.kind = Node::Kind::kMap;
        out.entries.reserve(in.size());
        for (const auto& kv : in) {
          MapEntry entry;
          entry.key_mark = toMark(kv.first.Mark());
          if (kv.first.IsScalar()) {
            entry.key = kv.first.Scalar();
          } else if (!kv.first.IsNull()) {
            throw LimitExceeded{entry.key_mark, "map keys must be strings"};
          }
          convert(kv.second, entry.value, depth + 1);
          out.entries.push_back(std::move(entry));
        }
        break;
    }
  }

 private:
  const ReaderLimits& limits_;
  size_t nodes_ = 0;
};

}  // namespace

std::vector<Document> readDocuments(std::string_view text, const std::string& file,
                                    core::Diagnostics& diags, const ReaderLimits& limits) {
  std::vector<Document> docs;
  if (text.size() > limits.max_file_bytes) {
    diags.error(file, {}, "",
                fmt::format("file is {} bytes, over the {}-byte limit", text.size(),
                            limits.max_file_bytes));
    return docs;
  }
  if (text.find('\0') != std::string_view::npos) {
    diags.error(file, {}, "", "file contains NUL bytes: not YAML or JSON text");
    return docs;
  }
  std::vector<YAML::Node> parsed;
  try {
    parsed = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    diags.error(file, toMark(e.mark), "", fmt::format("invalid YAML: {}", e.msg));
    return docs;
  } catch (const std::exception& e) {
    diags.error(file, {}, "", fmt::format("invalid YAML: {}", e.what()));
    return docs;
  }
  docs.reserve(parsed.size());
  for (size_t i = 0; i < parsed.size(); ++i) {
    Document doc;
    doc.index = i;
    try {
      Converter(limits).convert(parsed[i], doc.root, 0);
    } catch (const LimitExceeded& e) {
      diags.error(file, e.mark, "", e.message);
      continue;
    } catch (const YAML::Exception& e) {
      diags.error(file, toMark(e.mark), "", fmt::format("invalid YAML: {}", e.msg));
      continue;
    }
    docs.push_back(std::move(doc));
  }
  return docs;
}

}  // namespace meshroute::api
