// Reads YAML or JSON text (one or many documents) into Node trees, under limits that keep
// hostile input (alias bombs, deep nesting, huge files) bounded in time and memory.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "api/node.h"
#include "core/diagnostic.h"

namespace meshroute::api {

struct ReaderLimits {
  // etcd caps one object at 1.5 MiB; a file of many objects may be larger, but no real config
  // file is near this, and yaml-cpp needs ~30x the text in memory.
  size_t max_file_bytes = 16u << 20;
  // Counts nodes after alias expansion, so "billion laughs" documents stop early.
  size_t max_nodes_per_document = 1u << 20;
  size_t max_depth = 200;
};

struct Document {
  Node root;
  size_t index = 0;  // 0-based position in the file's document stream
};

// Parses `text` and hands each document to `sink` as soon as it is complete, so only one
// document tree is in memory at a time. Problems go to `diags` against `file`; a syntax error
// ends the stream, reported with the parser's line and column.
void forEachDocument(std::string_view text, const std::string& file, core::Diagnostics& diags,
                     const ReaderLimits& limits, const std::function<void(Document&&)>& sink);

// Parses `text`; problems go to `diags` against `file` and the documents read are returned.
std::vector<Document> readDocuments(std::string_view text, const std::string& file,
                                    core::Diagnostics& diags, const ReaderLimits& limits = {});

}  // namespace meshroute::api
