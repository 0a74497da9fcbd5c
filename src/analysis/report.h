// How findings are printed: istioctl's text line, its JSON/YAML message objects, plus what
// meshroute adds (field, line, hint). Pure formatting, shared by the CLI and golden tests.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "analysis/analyzer.h"

namespace meshroute::analysis {

// The documentation page of a message type (istio.io for IST codes, docs/analyzers.md else).
std::string documentationUrl(const MessageType& type);
// istioctl's message object: code, documentationUrl, level, message, origin, reference; plus
// analyzer, field, line and hint.
nlohmann::ordered_json findingJson(const Finding& f);
// A list of message objects as YAML (istioctl -o yaml).
std::string toYaml(const nlohmann::ordered_json& list);
// istioctl's text line, with meshroute's "Fix" appended for its own codes; `color` adds
// istioctl's ANSI colours to the level.
std::string textLine(const Finding& f, bool color);

}  // namespace meshroute::analysis
