// Builds Node trees from libyaml's event stream. libyaml is a state machine with an explicit
// stack (no recursion), so deep nesting cannot overflow ours; the builder below is iterative
// too, and it expands aliases itself so that every copy counts against the node budget.
#include "api/yaml_reader.h"

#include <yaml.h>

#include <fmt/format.h>

#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace meshroute::api {
namespace {

core::Mark toMark(const yaml_mark_t& m) {
  return {static_cast<uint32_t>(m.line + 1), static_cast<uint32_t>(m.column + 1)};
}

size_t countNodes(const Node& n) {
  size_t total = 1;
  for (const auto& item : n.items) total += countNodes(item);
  for (const auto& e : n.entries) total += countNodes(e.value);
  return total;
}

struct Failure {
  core::Mark mark;
  std::string message;
};

// One open collection while building: the node itself and, for maps, the pending key.
struct Open {
  Node node;
  std::string anchor;
  bool have_key = false;
  MapEntry pending;
  std::unordered_set<std::string> keys;  // duplicate-key detection, maps only
};

class Builder {
 public:
  using Sink = std::function<void(Document&&)>;
  // Documents before `skip` were already handed out by an earlier pass over the same prefix.
  Builder(const ReaderLimits& limits, const std::string& file, core::Diagnostics& diags,
          const Sink& sink, size_t skip)
      : limits_(limits), file_(file), diags_(diags), sink_(sink), skip_(skip) {}

  [[nodiscard]] size_t documentsSeen() const { return doc_index_; }

  void onEvent(const yaml_event_t& ev) {
    switch (ev.type) {
      case YAML_DOCUMENT_START_EVENT:
        nodes_ = 0;
        anchors_.clear();
        stack_.clear();
        have_root_ = false;
        root_ = Node{};
        break;
      case YAML_DOCUMENT_END_EVENT:
        if (have_root_ && doc_index_ >= skip_) sink_({std::move(root_), doc_index_});
        ++doc_index_;
        break;
      case YAML_SCALAR_EVENT: {
        Node n;
        n.mark = toMark(ev.start_mark);
        const auto& s = ev.data.scalar;
        std::string value(reinterpret_cast<const char*>(s.value), s.length);
        bool plain = s.style == YAML_PLAIN_SCALAR_STYLE && s.tag == nullptr;
        if (plain && plainScalarType(value) == ScalarType::kNull) {
          n.kind = Node::Kind::kNull;
        } else {
          n.kind = Node::Kind::kScalar;
          n.scalar = std::move(value);
          n.quoted = !plain;
        }
        count(1, n.mark);
        finish(std::move(n), anchorOf(s.anchor));
        break;
      }
      case YAML_ALIAS_EVENT: {
        core::Mark mark = toMark(ev.start_mark);
        std::string name(reinterpret_cast<const char*>(ev.data.alias.anchor));
        auto it = anchors_.find(name);
        if (it == anchors_.end()) throw Failure{mark, fmt::format("unknown alias \"{}\"", name)};
        count(it->second.size, mark);
        Node copy = *it->second.node;
        finish(std::move(copy), "");
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        bool map = ev.type == YAML_MAPPING_START_EVENT;
        core::Mark mark = toMark(ev.start_mark);
        if (stack_.size() >= limits_.max_depth) {
          throw Failure{mark,
                        fmt::format("document nests deeper than {} levels", limits_.max_depth)};
        }
        count(1, mark);
        Open open;
        open.node.kind = map ? Node::Kind::kMap : Node::Kind::kSequence;
        open.node.mark = mark;
        open.anchor = anchorOf(map ? ev.data.mapping_start.anchor : ev.data.sequence_start.anchor);
        stack_.push_back(std::move(open));
        break;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        Open open = std::move(stack_.back());
        stack_.pop_back();
        finish(std::move(open.node), open.anchor);
        break;
      }
      default: break;
    }
  }

 private:
  static std::string anchorOf(const yaml_char_t* a) {
    return a == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(a));
  }

  void count(size_t n, core::Mark mark) {
    nodes_ += n;
    if (nodes_ > limits_.max_nodes_per_document) {
      throw Failure{mark, fmt::format("document expands to more than {} nodes (YAML alias bomb?)",
                                      limits_.max_nodes_per_document)};
    }
  }

  // A complete node: remember its anchor, then attach it to the open collection or make it
  // the document root.
  void finish(Node n, const std::string& anchor) {
    if (!anchor.empty()) {
      auto copy = std::make_shared<Node>(n);
      anchors_[anchor] = {copy, countNodes(*copy)};
    }
    if (stack_.empty()) {
      root_ = std::move(n);
      have_root_ = true;
      return;
    }
    Open& top = stack_.back();
    if (top.node.kind == Node::Kind::kSequence) {
      top.node.items.push_back(std::move(n));
      return;
    }
    if (!top.have_key) {
      if (n.kind == Node::Kind::kMap || n.kind == Node::Kind::kSequence) {
        throw Failure{n.mark, "map keys must be strings"};
      }
      top.pending = MapEntry{};
      top.pending.key = n.scalar;
      top.pending.key_mark = n.mark;
      top.have_key = true;
      return;
    }
    top.pending.value = std::move(n);
    top.have_key = false;
    if (!top.keys.insert(top.pending.key).second) {
      // Kubernetes' strict decoding rejects duplicate fields; keeping the first silently would
      // hide an edit that "did nothing".
      diags_.error(file_, top.pending.key_mark, "",
                   fmt::format("duplicate key \"{}\" in mapping", top.pending.key));
      return;
    }
    top.node.entries.push_back(std::move(top.pending));
  }

  struct Anchor {
    std::shared_ptr<Node> node;
    size_t size = 0;
  };

  const ReaderLimits& limits_;
  const std::string& file_;
  core::Diagnostics& diags_;
  const Sink& sink_;
  size_t skip_;
  size_t nodes_ = 0;
  size_t doc_index_ = 0;
  std::vector<Open> stack_;
  std::unordered_map<std::string, Anchor> anchors_;
  Node root_;
  bool have_root_ = false;
};

// Runs libyaml over `text`. When it stops at a ':' inside a flow plain scalar that go-yaml
// would accept, sets `retry_at` to that ':' and `retry_start` to the scalar's first byte.
// Returns how many documents the stream held up to where it stopped.
size_t parseEvents(std::string_view text, const std::string& file, core::Diagnostics& diags,
                   const ReaderLimits& limits, const Builder::Sink& sink, size_t skip,
                   size_t& retry_start, std::optional<size_t>& retry_at) {
  yaml_parser_t parser;
  if (yaml_parser_initialize(&parser) == 0) {
    diags.error(file, {}, "", "cannot initialise the YAML parser");
    return 0;
  }
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  Builder builder(limits, file, diags, sink, skip);
  bool done = false;
  while (!done) {
    yaml_event_t event;
    if (yaml_parser_parse(&parser, &event) == 0) {
      std::string_view problem = parser.problem != nullptr ? parser.problem : "syntax error";
      std::string_view context = parser.context != nullptr ? parser.context : "";
      size_t at = parser.problem_mark.index;
      size_t from = parser.context_mark.index;
      if (problem == "found unexpected ':'" && context == "while scanning a plain scalar" &&
          at < text.size() && from < at && text[at] == ':' &&
          text.substr(from, at - from).find_first_of("'\n") == std::string_view::npos) {
        retry_start = from;
        retry_at = at;
      } else {
        std::string message(problem);
        if (!context.empty()) message = fmt::format("{} {}", context, problem);
        diags.error(file, toMark(parser.problem_mark), "",
                    fmt::format("invalid YAML: {}", message));
      }
      break;
    }
    try {
      builder.onEvent(event);
    } catch (const Failure& f) {
      diags.error(file, f.mark, "", f.message);
      done = true;
    }
    done = done || event.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&event);
  }
  yaml_parser_delete(&parser);
  return builder.documentsSeen();
}

}  // namespace

void forEachDocument(std::string_view text, const std::string& file, core::Diagnostics& diags,
                     const ReaderLimits& limits, const std::function<void(Document&&)>& sink) {
  if (text.size() > limits.max_file_bytes) {
    diags.error(file, {}, "",
                fmt::format("file is {} bytes, over the {}-byte limit", text.size(),
                            limits.max_file_bytes));
    return;
  }
  if (text.find('\0') != std::string_view::npos) {
    diags.error(file, {}, "", "file contains NUL bytes: not YAML or JSON text");
    return;
  }
  // go-yaml (what Kubernetes uses) lets a plain scalar in a flow collection hold ':' before a
  // flow indicator ("[1.2.3.4, 2001:db8::]"); libyaml rejects it. Such a scalar can only be a
  // string, so quote it and parse again from the start, skipping the documents already handed
  // out (the quoting only touches the document that failed). A few rounds cover any real file.
  std::string patched;
  std::string_view input = text;
  size_t handed_out = 0;
  for (int round = 0; round < 64; ++round) {
    core::Diagnostics attempt;
    std::optional<size_t> retry_at;
    size_t retry_start = 0;
    size_t seen =
        parseEvents(input, file, attempt, limits, sink, handed_out, retry_start, retry_at);
    if (!retry_at) {
      diags.append(attempt);
      return;
    }
    // Keep the findings of the documents already handed out; the failed one is parsed again.
    for (const auto& d : attempt.items()) diags.add(d);
    handed_out = seen;
    std::string next(input.substr(0, retry_start));
    next += '\'';
    next += input.substr(retry_start, *retry_at + 1 - retry_start);
    next += '\'';
    next += input.substr(*retry_at + 1);
    patched = std::move(next);
    input = patched;
  }
  diags.error(file, {}, "", "invalid YAML: too many ':' in flow scalars");
}

std::vector<Document> readDocuments(std::string_view text, const std::string& file,
                                    core::Diagnostics& diags, const ReaderLimits& limits) {
  std::vector<Document> docs;
  forEachDocument(text, file, diags, limits, [&](Document&& d) { docs.push_back(std::move(d)); });
  return docs;
}

}  // namespace meshroute::api
