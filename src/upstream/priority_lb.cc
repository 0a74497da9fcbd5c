#include "upstream/priority_lb.h"

#include <algorithm>

namespace meshroute::upstream {
namespace {

// splitmix64's finaliser.
uint64_t remix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

PriorityBalancer::PriorityBalancer(std::vector<Group> groups) : groups_(std::move(groups)) {
  double total = 0;
  for (const auto& g : groups_) total += g.share;
  double running = 0;
  for (const auto& g : groups_) {
    running += g.share;
    upper_.push_back(total > 0 ? running / total : 1.0);
  }
  if (!upper_.empty()) upper_.back() = 1.0;  // no rounding gap at the top
}

int PriorityBalancer::pick(core::Random& random, const PickContext& context) {
  if (groups_.empty()) return -1;
  size_t g = 0;
  if (groups_.size() > 1) {
    // A hashed request: the same key lands in the same group every time. The hash is remixed
    // first: the ring inside the group uses it as is, and keys chosen by its top bits would all
    // sit on one arc of the ring.
    const double x = context.hash ? static_cast<double>(remix(*context.hash) >> 11) * 0x1.0p-53
                                  : random.uniform01();
    g = static_cast<size_t>(std::upper_bound(upper_.begin(), upper_.end(), x) - upper_.begin());
    g = std::min(g, groups_.size() - 1);
  }
  return groups_[g].balancer->pick(random, context);
}

}  // namespace meshroute::upstream
