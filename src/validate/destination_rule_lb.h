// DestinationRule validation, split across files: the load-balancer rules (consistent hash,
// locality and zone-aware settings, warmup) live in destination_rule_lb.cc.
#pragma once

#include "api/model/destination_rule.h"
#include "validate/common.h"
#include "validate/report.h"

namespace meshroute::validate::dr {

// Istio's validateLoadBalancer; `outlier` is the sibling outlierDetection (nullptr when absent),
// which failover settings need.
void validateLoadBalancer(const api::LoadBalancerSettings& lb, const api::OutlierDetection* outlier,
                          const Loc& at, Report& r);

// Istio's ValidateLocalityLbSetting and ValidateZoneAwareLbSetting.
void validateLocalityLbSetting(const api::LocalityLoadBalancerSetting& lb,
                               const api::OutlierDetection* outlier, const Loc& at, Report& r);
void validateZoneAwareLbSetting(const api::ZoneAwareLoadBalancerSetting& lb,
                                const api::OutlierDetection* outlier, const Loc& at, Report& r);

// Istio's validateLocalities: the first problem with a list of locality names, if any.
Error validateLocalities(const std::vector<std::string>& localities);

// Envoy's primality test for Maglev table sizes.
bool isPrime(uint64_t x);

}  // namespace meshroute::validate::dr
