// The balancer of a locality-aware cluster: picks a group of endpoints (a priority, or one
// locality in it) by the share planLoad gave it, then an endpoint inside the group with the
// cluster's own algorithm. A hashed request picks its group by its hash, so it stays sticky.
#pragma once

#include <memory>
#include <vector>

#include "upstream/load_balancer.h"

namespace meshroute::upstream {

class PriorityBalancer final : public LoadBalancer {
 public:
  struct Group {
    double share = 0;  // of all requests
    std::unique_ptr<LoadBalancer> balancer;
  };
  explicit PriorityBalancer(std::vector<Group> groups);
  using LoadBalancer::pick;
  int pick(core::Random& random, const PickContext& context) override;
  [[nodiscard]] size_t groupCount() const { return groups_.size(); }

 private:
  std::vector<Group> groups_;
  std::vector<double> upper_;  // cumulative shares, normalised to end at 1
};

}  // namespace meshroute::upstream
