// Encodes a model value as JSON by walking its describe() function: the inverse of decode.h,
// used by `explain -o json` (policies) and later /config_dump. A field is written when it was
// present in the source or differs from its zero value, so output mirrors what users wrote.
//
//   nlohmann::json j = api::toJson(traffic_policy);
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "api/message.h"

namespace meshroute::api {

class JsonEncoder {
 public:
  template <class T>
  static nlohmann::json encode(const T& value) {
    JsonEncoder enc;
    return enc.value(value);
  }

  template <class F>
  void operator()(std::string_view name, F& field, FieldOpts opts = {}) {
    bool present = owner_ != nullptr && owner_->has(name);
    nlohmann::json j = value(field);
    if (!present && opts.enums != nullptr && j.is_string()) {
      // The decoder fills an absent enum with its zero value; that is not something to show.
      for (const auto& e : *opts.enums) {
        if (e.number == 0 && j.get_ref<const std::string&>() == e.name) return;
      }
    }
    if (present || !isEmpty(j)) (*out_)[std::string(name)] = std::move(j);
  }

 private:
  static bool isEmpty(const nlohmann::json& j) {
    if (j.is_null()) return true;
    if (j.is_string()) return j.get_ref<const std::string&>().empty();
    if (j.is_boolean()) return !j.get<bool>();
    if (j.is_number()) return j.get<double>() == 0;
    return j.empty();
  }

  template <class F>
  nlohmann::json value(const F& v) {
    if constexpr (std::is_same_v<F, std::string> || std::is_same_v<F, bool> ||
                  std::is_arithmetic_v<F>) {
      return v;
    } else if constexpr (std::is_same_v<F, Duration>) {
      return formatDuration(v);
    } else if constexpr (std::is_same_v<F, AnyValue>) {
      return nodeJson(v.node);
    } else if constexpr (std::is_same_v<F, IntOrString>) {
      return v.is_int ? nlohmann::json(v.int_value) : nlohmann::json(v.str_value);
    } else if constexpr (requires {
                           v.has_value();
                           *v;
                         }) {
      return v ? value(*v) : nlohmann::json();
    } else if constexpr (requires { typename F::mapped_type; }) {
      nlohmann::json j = nlohmann::json::object();
      for (const auto& [k, item] : v) j[k] = value(item);
      return j;
    } else if constexpr (requires {
                           typename F::value_type;
                           v.begin();
                         }) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& item : v) j.push_back(value(item));
      return j;
    } else {
      nlohmann::json j = nlohmann::json::object();
      nlohmann::json* saved_out = out_;
      const Message* saved_owner = owner_;
      out_ = &j;
      owner_ = &v;
      describe(*this, const_cast<F&>(v));  // describe() takes T&; the encoder only reads
      out_ = saved_out;
      owner_ = saved_owner;
      return j;
    }
  }

  static nlohmann::json nodeJson(const Node& n);

  nlohmann::json* out_ = nullptr;
  const Message* owner_ = nullptr;
};

template <class T>
nlohmann::json toJson(const T& value) {
  return JsonEncoder::encode(value);
}

}  // namespace meshroute::api
