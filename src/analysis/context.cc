#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "analysis/analyzer.h"

namespace meshroute::analysis {

Store::Store(const std::vector<api::Resource>& resources) {
  // A resource named twice (the same kind, namespace and name, as in a file that shows the
  // phases of a rollout one after another) counts once, as the last one written: that is what
  // applying the files leaves in the cluster, and what istioctl's store keeps.
  for (const api::Resource& res : resources) {
    KindRef kind{res.group, res.kind};
    by_name_[fmt::format("{}/{}/{}", key(kind), res.meta.namespace_, res.meta.name)] = &res;
  }
  for (const api::Resource& res : resources) {
    KindRef kind{res.group, res.kind};
    if (by_name_.at(fmt::format("{}/{}/{}", key(kind), res.meta.namespace_, res.meta.name)) !=
        &res) {
      continue;
    }
    by_kind_[key(kind)].push_back(&res);
    ++size_;
  }
}

const std::vector<const api::Resource*>& Store::all(KindRef kind) const {
  static const std::vector<const api::Resource*> kNone;
  auto it = by_kind_.find(key(kind));
  return it == by_kind_.end() ? kNone : it->second;
}

const api::Resource* Store::find(KindRef kind, std::string_view ns, std::string_view name) const {
  auto it = by_name_.find(fmt::format("{}/{}/{}", key(kind), ns, name));
  return it == by_name_.end() ? nullptr : it->second;
}

namespace {

// Splits "a.b[1].c[key]" into steps: a map key, or a bracketed index/key.
struct Step {
  std::string_view name;
  bool bracket = false;
};

std::vector<Step> splitPath(std::string_view path) {
  std::vector<Step> steps;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      continue;
    }
    if (path[i] == '[') {
      size_t end = path.find(']', i);
      if (end == std::string_view::npos) end = path.size();
      steps.push_back({path.substr(i + 1, end - i - 1), true});
      i = end + 1;
      continue;
    }
    size_t end = path.find_first_of(".[", i);
    if (end == std::string_view::npos) end = path.size();
    steps.push_back({path.substr(i, end - i), false});
    i = end;
  }
  return steps;
}

// Walks as far as the document goes; returns the last node reached and whether all steps were.
const api::Node* walk(const api::Node& root, std::string_view path, bool& complete) {
  const api::Node* node = &root;
  complete = true;
  for (const Step& step : splitPath(path)) {
    const api::Node* next = nullptr;
    if (step.bracket && node->isSequence()) {
      size_t index = 0;
      auto [p, ec] = std::from_chars(step.name.data(), step.name.data() + step.name.size(), index);
      if (ec == std::errc() && index < node->items.size()) next = &node->items[index];
    } else {
      next = node->find(step.name);
    }
    if (next == nullptr) {
      complete = false;
      return node;
    }
    node = next;
  }
  return node;
}

}  // namespace

core::Mark markAt(const api::Resource& res, std::string_view path) {
  if (!res.raw || path.empty()) return res.mark;
  bool complete = false;
  const api::Node* node = walk(*res.raw, path, complete);
  return node->mark.line != 0 ? node->mark : res.mark;
}

const api::Node* nodeAt(const api::Resource& res, std::string_view path) {
  if (!res.raw) return nullptr;
  bool complete = false;
  const api::Node* node = walk(*res.raw, path, complete);
  return complete ? node : nullptr;
}

std::string_view MeshSettings::value(std::string_view path) const {
  if (!config.isMap()) return {};
  bool complete = false;
  const api::Node* node = walk(config, path, complete);
  return complete && node->isScalar() ? node->text() : std::string_view{};
}

MeshSettings MeshSettings::from(api::Node config) {
  MeshSettings m;
  m.config = std::move(config);
  if (auto root = m.value("rootNamespace"); !root.empty()) m.root_namespace = std::string(root);
  if (auto domain = m.value("trustDomain"); !domain.empty() && domain != "cluster.local") {
    // The trust domain is not the DNS suffix; the cluster domain stays cluster.local.
  }
  m.ingress_controller_off = m.value("ingressControllerMode") == "OFF";
  return m;
}

std::string friendlyName(const api::Resource& res) {
  if (res.meta.namespace_.empty()) return fmt::format("{} {}", res.kind, res.meta.name);
  return fmt::format("{} {}/{}", res.kind, res.meta.namespace_, res.meta.name);
}

std::string Finding::origin() const { return resource == nullptr ? "" : friendlyName(*resource); }

std::string Finding::reference() const {
  if (resource == nullptr || resource->file.empty()) return "";
  if (mark.line == 0) return resource->file;
  return fmt::format("{}:{}", resource->file, mark.line);
}

std::string Finding::text() const {
  std::string where;
  if (resource != nullptr) {
    std::string ref = reference();
    where = ref.empty() ? fmt::format(" ({})", origin()) : fmt::format(" ({} {})", origin(), ref);
  }
  return fmt::format("{} [{}]{} {}", levelText(type->level), type->code, where, message);
}

void Context::report(const MessageType& type, const api::Resource& res, std::string_view field,
                     std::vector<Arg> args) {
  Finding f;
  f.type = &type;
  f.message = goSprintf(type.format, args);
  f.resource = &res;
  f.field = std::string(field);
  f.mark = markAt(res, field);
  f.analyzer = analyzer_;
  out_.push_back(std::move(f));
}

bool globMatch(std::string_view pattern, std::string_view text) {
  // Iterative '*' glob with backtracking to the last star: linear in practice.
  size_t p = 0;
  size_t t = 0;
  size_t star = std::string_view::npos;
  size_t mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

namespace {

int levelOrder(Level level) {
  switch (level) {
    case Level::kError: return 0;
    case Level::kWarning: return 1;
    case Level::kInfo: return 2;
  }
  return 3;
}

std::string comparator(const Finding& f) {
  if (f.resource == nullptr) return "";
  return fmt::format("{}/{}/{}", f.resource->kind, f.resource->meta.namespace_,
                     f.resource->meta.name);
}

}  // namespace

Result analyze(const Store& store, const MeshSettings& mesh, const Options& options) {
  Result result;
  std::vector<Finding> raw;
  Context ctx(store, mesh, options.now, raw);
  for (const Analyzer& a : allAnalyzers()) {
    if (!options.analyzers.empty() && std::find(options.analyzers.begin(), options.analyzers.end(),
                                                a.name) == options.analyzers.end()) {
      continue;
    }
    ctx.setAnalyzer(a.name);
    a.run(ctx);
    result.executed.emplace_back(a.name);
  }
  std::erase_if(raw, [&](const Finding& f) {
    if (f.resource == nullptr) return false;
    return std::any_of(options.suppressions.begin(), options.suppressions.end(),
                       [&](const Suppression& s) {
                         return s.code == f.type->code && globMatch(s.resource, f.origin());
                       });
  });
  std::vector<std::pair<std::string, size_t>> keyed;  // the text, computed once per finding
  keyed.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) keyed.emplace_back(raw[i].text(), i);
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    const Finding& x = raw[a.second];
    const Finding& y = raw[b.second];
    if (x.type->level != y.type->level)
      return levelOrder(x.type->level) < levelOrder(y.type->level);
    if (x.type->code != y.type->code) return x.type->code < y.type->code;
    if ((x.resource == nullptr) != (y.resource == nullptr)) return x.resource == nullptr;
    std::string cx = comparator(x);
    std::string cy = comparator(y);
    if (cx != cy) return cx < cy;
    return a.first < b.first;
  });
  const std::string* last = nullptr;
  for (const auto& [text, index] : keyed) {
    if (last != nullptr && *last == text) continue;
    last = &text;
    result.findings.push_back(std::move(raw[index]));
  }
  return result;
}

}  // namespace meshroute::analysis
