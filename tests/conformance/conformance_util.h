// Helpers for data-driven conformance runners over ../shared/conformance.
#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace meshroute::testing {

// Path of the shared directory beside the checkout (MESHROUTE_SHARED_DIR), or "" if absent.
std::filesystem::path sharedDir();

// Pass-count floors recorded in tests/conformance/floors.txt ("name = count" lines): a suite
// fails when it passes fewer cases than its floor, so progress can only ratchet upwards.
int floorFor(const std::string& suite);

}  // namespace meshroute::testing
