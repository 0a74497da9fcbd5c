// Rules for ServerTLSSettings, shared by Gateway servers and Sidecar ingress listeners.
#pragma once

#include "api/model/gateway.h"
#include "validate/report.h"

namespace meshroute::validate {

// Istio's TLS option checks (certificate sources, modes, CRLs, cipher suites); `at` is the
// location of the tls settings.
void validateServerTLSOptions(const api::ServerTLSSettings& tls, const Loc& at, Report& report);

// The CRD layer's rules on ServerTLSSettings: item limits of credentialNames and tlsCertificates
// and the CEL rules on combining certificate sources, in the Kubernetes form.
void validateServerTLSSchema(const api::ServerTLSSettings& tls, const Loc& at, Report& report);

}  // namespace meshroute::validate
