// Decodes a Node tree into a model struct by walking its describe() function, the way the
// Kubernetes API server plus Istio's JSON decoder would: type checks, enum names, oneofs,
// required fields, unknown fields. Every problem becomes a diagnostic at the value's line and
// column with its field path; decoding never stops early, so all problems are reported.
//
//   core::Diagnostics diags;
//   Decoder dec("reviews.yaml", diags);
//   VirtualService vs;
//   dec.decodeMessage(spec_node, vs, "spec");
#pragma once

#include <fmt/format.h>

#include <concepts>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "api/message.h"
#include "api/node.h"
#include "core/diagnostic.h"

namespace meshroute::api {

template <class T>
concept DescribedMessage = std::derived_from<T, Message>;

// A message type may declare `static constexpr bool kOpenSchema = true;` to ignore fields it does
// not describe (used for the Kubernetes kinds, of which meshroute reads only a few fields).
template <class T>
constexpr bool isOpenSchema() {
  if constexpr (requires { T::kOpenSchema; }) {
    return T::kOpenSchema;
  } else {
    return false;
  }
}

class Decoder {
 public:
  Decoder(std::string file, core::Diagnostics& diags) : file_(std::move(file)), diags_(diags) {}

  template <DescribedMessage T>
  void decodeMessage(const Node& node, T& msg, const std::string& path) {
    msg.mark = node.mark;
    if (!node.isMap()) {
      typeError(node, path, "object");
      return;
    }
    Frame frame{&node, &msg, path, std::vector<bool>(node.entries.size(), false), {}, {}};
    Frame* saved = frame_;
    frame_ = &frame;
    describe(*this, msg);
    frame_ = saved;
    if constexpr (!isOpenSchema<T>()) reportUnknown(frame);
  }

  // Called by describe(): one field of the message being decoded.
  template <class F>
  void operator()(std::string_view name, F& field, FieldOpts opts = {}) {
    Frame& f = *frame_;
    f.known.push_back(name);
    const Node* value = nullptr;
    for (size_t i = 0; i < f.node->entries.size(); ++i) {
      if (f.node->entries[i].key == name) {
        f.used[i] = true;
        value = &f.node->entries[i].value;
        break;
      }
    }
    std::string path = f.path.empty() ? std::string(name) : fmt::format("{}.{}", f.path, name);
    if (value == nullptr || value->isNull()) {
      if (opts.enums != nullptr) setEnumDefault(field, *opts.enums);
      if (opts.required) error(value ? value->mark : f.node->mark, path, "Required value");
      return;
    }
    f.msg->field_marks.push_back({std::string(name), -1, value->mark});
    if (!opts.oneof.empty()) checkOneof(f, opts.oneof, name, *value, path);
    decodeValue(*value, field, path, opts, name);
  }

  [[nodiscard]] const std::string& file() const { return file_; }
  void error(Mark mark, const std::string& path, std::string message) {
    diags_.error(file_, mark, path, std::move(message));
  }

 private:
  struct Frame {
    const Node* node;
    Message* msg;
    std::string path;
    std::vector<bool> used;
    std::vector<std::pair<std::string_view, std::string_view>> oneofs_set;  // group -> field
    std::vector<std::string_view> known;  // described field names, for "did you mean"
  };

  void typeError(const Node& node, const std::string& path, std::string_view want);
  void reportUnknown(const Frame& frame);
  void checkOneof(Frame& f, std::string_view group, std::string_view name, const Node& value,
                  const std::string& path);
  template <class F>
  void setEnumDefault(F& field, const EnumTable& table) {
    if constexpr (std::is_same_v<F, std::string>) {
      for (const auto& v : table) {
        if (v.number == 0) field = std::string(v.name);
      }
    }
  }

  // Scalars. Each returns false (after reporting) when the node does not hold that type.
  bool readString(const Node& n, const std::string& path, std::string& out);
  bool readEnum(const Node& n, const std::string& path, const EnumTable& table, std::string& out);
  bool readBool(const Node& n, const std::string& path, bool& out);
  bool readInt(const Node& n, const std::string& path, int64_t lo, int64_t hi, int64_t& out,
               std::string_view type_name);
  bool readUint64(const Node& n, const std::string& path, uint64_t& out);
  bool readDouble(const Node& n, const std::string& path, double& out);
  bool readDuration(const Node& n, const std::string& path, Duration& out);
  void readIntOrString(const Node& n, const std::string& path, IntOrString& out);

  template <class F>
  void decodeValue(const Node& n, F& out, const std::string& path, const FieldOpts& opts,
                   std::string_view name) {
    if constexpr (std::is_same_v<F, std::string>) {
      if (opts.enums != nullptr) {
        readEnum(n, path, *opts.enums, out);
      } else {
        readString(n, path, out);
      }
    } else if constexpr (std::is_same_v<F, bool>) {
      readBool(n, path, out);
    } else if constexpr (std::is_same_v<F, uint64_t>) {
      readUint64(n, path, out);
    } else if constexpr (std::is_integral_v<F>) {
      int64_t v = 0;
      constexpr std::string_view kTypeName =
          std::is_signed_v<F> ? (sizeof(F) == 8 ? "int64" : "int32") : "uint32";
      if (readInt(n, path, static_cast<int64_t>(std::numeric_limits<F>::min()),
                  static_cast<int64_t>(std::numeric_limits<F>::max()), v, kTypeName)) {
        out = static_cast<F>(v);
      }
    } else if constexpr (std::is_floating_point_v<F>) {
      double v = 0;
      if (readDouble(n, path, v)) out = static_cast<F>(v);
    } else if constexpr (std::is_same_v<F, Duration>) {
      readDuration(n, path, out);
    } else if constexpr (std::is_same_v<F, AnyValue>) {
      out.node = n;
    } else if constexpr (std::is_same_v<F, IntOrString>) {
      readIntOrString(n, path, out);
    } else if constexpr (requires {
                           typename F::value_type;
                           out.has_value();
                         }) {
      out.emplace();
      decodeValue(n, *out, path, opts, name);
    } else if constexpr (requires { typename F::mapped_type; }) {
      decodeMap(n, out, path, opts, name);
    } else if constexpr (requires {
                           typename F::value_type;
                           out.push_back({});
                         }) {
      decodeList(n, out, path, opts, name);
    } else {
      static_assert(DescribedMessage<F>, "field type has no decoder");
      Frame* saved = frame_;
      decodeMessage(n, out, path);
      frame_ = saved;
    }
  }

  template <class L>
  void decodeList(const Node& n, L& out, const std::string& path, const FieldOpts& opts,
                  std::string_view name) {
    if (!n.isSequence()) {
      typeError(n, path, "array");
      return;
    }
    out.clear();
    out.reserve(n.items.size());
    Message* owner = frame_->msg;
    for (size_t i = 0; i < n.items.size(); ++i) {
      const Node& item = n.items[i];
      std::string item_path = fmt::format("{}[{}]", path, i);
      owner->field_marks.push_back({std::string(name), static_cast<int32_t>(i), item.mark});
      out.emplace_back();
      if (item.isNull()) {
        // Go's JSON decoder turns a null list element into a zero value; keep the slot.
        if (opts.enums != nullptr) setEnumDefault(out.back(), *opts.enums);
        continue;
      }
      decodeValue(item, out.back(), item_path, opts, name);
    }
  }

  template <class M>
  void decodeMap(const Node& n, M& out, const std::string& path, const FieldOpts& opts,
                 std::string_view name) {
    if (!n.isMap()) {
      typeError(n, path, "object");
      return;
    }
    out.clear();
    Message* owner = frame_->msg;
    for (const auto& e : n.entries) {
      std::string item_path = fmt::format("{}[{}]", path, e.key);
      owner->field_marks.push_back({fmt::format("{}\x1f{}", name, e.key), -1, e.key_mark});
      auto& slot = out[e.key];
      if (e.value.isNull()) continue;
      decodeValue(e.value, slot, item_path, opts, name);
    }
  }

  std::string file_;
  core::Diagnostics& diags_;
  Frame* frame_ = nullptr;
};

}  // namespace meshroute::api
