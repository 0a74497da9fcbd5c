// The YAML blocks of the seed documents (../shared/conformance/seed-examples, one block per
// file): every file must load, and each one must get the verdict Istio would give it. The
// expectations below were decided from Istio's admission rules (CRD schema + Go validation), not
// from meshroute's output; each entry says why Istio accepts or rejects the file.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "api/loader.h"
#include "api/yaml_reader.h"
#include "conformance_util.h"
#include "validate/validate.h"

namespace meshroute {
namespace {

namespace fs = std::filesystem;

// outcome is one of:
//   valid, warning, invalid  Istio's verdict for the file; with several resources, the worst one
//                            (`documents` then lists each resource's verdict, in file order,
//                            when they differ).
//   fragment                 not a Kubernetes object (a snippet of a spec): loading reports
//                            "document has no kind" and yields no resource, as expected.
//   not-istio                Kubernetes or third-party kinds that Istio's networking webhook
//                            never sees: they must load and draw no finding.
// messages are substrings of the joined errors (invalid) or warnings (warning); all must occur.
struct SeedCase {
  std::string_view file;
  std::string_view outcome;
  std::array<std::string_view, 2> messages = {};
  std::string_view documents = {};
  std::string_view reason;
};

constexpr SeedCase kSeedCases[] = {
    // Seed 000: reviews service walkthrough.
    {.file = "000-01-virtualservice.yaml",
     .outcome = "valid",
     .reason = "hosts [reviews] is a short name, which a VirtualService may use; one route to "
               "subset v1 with weight 100"},
    {.file = "000-02-destinationrule.yaml",
     .outcome = "valid",
     .reason = "connectionPool counts are non-negative, outlierDetection interval and "
               "baseEjectionTime are >= 1ms and maxEjectionPercent 50 is within 0..100; subsets "
               "v1/v2/v3 are DNS labels with a simple loadBalancer"},
    {.file = "000-03-virtualservice.yaml",
     .outcome = "valid",
     .reason = "gateways [mesh]; header names are RFC 7230 tokens, regex ^test-[a-z0-9]+$ "
               "compiles in RE2; response add x-served-by is no pseudo-header; retryOn "
               "5xx,reset,connect-failure are Envoy policies; the catch-all rule is last"},
    {.file = "000-04-virtualservice.yaml",
     .outcome = "valid",
     .reason = "regex .*Mobile.* and .*session_type=premium.* compile in RE2; fault.delay "
               "percentage 10 is within [0.0001, 100] with fixedDelay 5s; the catch-all rule is "
               "last, so no unreachable-rule warning"},
    {.file = "000-05-virtualservice.yaml",
     .outcome = "valid",
     .reason = "weights 80/15/5 are non-negative (they need not sum to 100); per-destination "
               "response header adds are ordinary names; mirror is a valid destination and "
               "mirrorPercentage 1.0 is within 0..100"},
    {.file = "000-06-virtualservice.yaml",
     .outcome = "valid",
     .reason = "four complete VirtualServices (phases): weights 95/5, 75/25, 50/50 and 100 are "
               "non-negative with a non-zero total; retries attempts 3 with perTryTimeout 5s"},
    {.file = "000-07-destinationrule-serviceentry-virtualservice.yaml",
     .outcome = "valid",
     .reason = "DestinationRule: tls ISTIO_MUTUAL carries no certificates, minHealthPercent 30 is "
               "a percent; VirtualService: hosts reviews and reviews.default.svc.cluster.local do "
               "not match each other, CORS allowHeaders \"*\" is accepted and maxAge 24h is whole "
               "seconds; ServiceEntry: FQDN host with resolution DNS needs no endpoints"},
    {.file = "000-08-deployment-service.yaml",
     .outcome = "not-istio",
     .reason = "apps/v1 Deployment and v1 Service objects: not networking.istio.io kinds, so "
               "Istio's validating webhook does not judge them"},

    // Seed 001: traffic management reference.
    {.file = "001-01-virtualservice.yaml",
     .outcome = "valid",
     .reason = "gateways [mesh, ingress-gateway] are names without '/', each an FQDN (Istio stops "
               "checking at the first); request set x-envoy-upstream-rq-timeout-ms is no pseudo-"
               "header; rewrite.authority is the only authority rewrite; retryOn refused-stream "
               "is an Envoy policy; fault abort httpStatus 503 is within 200..600; CORS methods "
               "GET/POST/OPTIONS are supported"},
    {.file = "001-02-virtualservice.yaml",
     .outcome = "valid",
     .reason = "redirect has uri, authority and scheme https, redirectCode 301 is within "
               "300..399, and the rule has no route"},
    {.file = "001-03-virtualservice.yaml",
     .outcome = "valid",
     .reason = "root VirtualService rules carry only delegate (no route or redirect) with DNS-"
               "label name/namespace; reviews-vs has hosts, so Istio validates it as an ordinary "
               "VirtualService (not a delegate), and its catch-all rule is last"},
    {.file = "001-04-destinationrule.yaml",
     .outcome = "invalid",
     .messages = {"outlier detection consecutive local origin failures is specified, but split "
                  "external local origin errors is set to false"},
     .reason = "outlierDetection.consecutiveLocalOriginFailures: 5 requires "
               "splitExternalLocalOriginErrors: true, which is left unset (false)"},
    {.file = "001-05-destinationrule.yaml",
     .outcome = "valid",
     .reason = "loadBalancer.simple LEAST_REQUEST; the leastRequest alternative is only a comment"},
    {.file = "001-06-fragment.yaml",
     .outcome = "fragment",
     .reason = "a bare outlierDetection block without apiVersion/kind (inside a DestinationRule, "
               "consecutiveLocalOriginFailures with splitExternalLocalOriginErrors: false would "
               "be rejected)"},
    {.file = "001-07-destinationrule.yaml",
     .outcome = "valid",
     .reason = "tls SIMPLE with caCertificates and sni; subset tls MUTUAL has the required "
               "clientCertificate and privateKey; a subset without labels is allowed"},
    {.file = "001-08-gateway.yaml",
     .outcome = "valid",
     .reason = "the HTTP server's tls holds only httpsRedirect; HTTPS servers use SIMPLE/MUTUAL "
               "with credentialName (certificate checks skipped), the cipherSuites are known "
               "ones; TLS PASSTHROUGH has no certificates; port names are unique; MONGO and TCP "
               "servers have no tls"},
    {.file = "001-09-virtualservice.yaml",
     .outcome = "valid",
     .reason = "gateways istio-system/ingress-gateway has DNS-label namespace and name, then "
               "mesh; destination port 8080 is within 1..65535"},
    {.file = "001-10-gateway.yaml",
     .outcome = "valid",
     .reason = "two Gateways whose HTTPS servers use tls SIMPLE and MUTUAL with credentialName, "
               "so no certificate or CA fields are needed"},
    {.file = "001-11-serviceentry.yaml",
     .outcome = "invalid",
     .messages = {"hosts must be FQDN or contain only prefix wildcards if no endpoints are "
                  "provided for resolution mode DNS",
                  "only one of WorkloadSelector or Endpoints"},
     .documents = "valid invalid invalid",
     .reason = "external-database is fine (endpoint ports name service port postgres); "
               "external-api has resolution DNS with no endpoints, so hosts must be FQDNs and "
               "\"*.api.external.com\" is not; legacy-vm-service sets both endpoints and "
               "workloadSelector"},
    {.file = "001-12-serviceentry.yaml",
     .outcome = "valid",
     .reason = "exportTo [\".\", team-a, team-b] are distinct valid entries; a TCP port without "
               "addresses does not warn because IP auto-allocation is on by default"},
    {.file = "001-13-serviceentry.yaml",
     .outcome = "valid",
     .reason = "resolution STATIC with workloadSelector (labels set) and no endpoints; STATIC "
               "does not require endpoints"},
    {.file = "001-14-sidecar.yaml",
     .outcome = "valid",
     .reason = "ingress defaultEndpoint 0.0.0.0:9080 and unix:///var/run/someuds.sock (absolute "
               "path) are allowed forms; egress bind 0.0.0.0 is an IP; egress hosts ./*, "
               "istio-system/* and */reviews.default.svc.cluster.local name distinct namespaces, "
               "so no duplicate-host warning"},
    {.file = "001-15-sidecar.yaml",
     .outcome = "valid",
     .reason = "one catch-all egress listener (no port), last in the list, with namespace/* "
               "hosts"},
    {.file = "001-16-sidecar.yaml",
     .outcome = "invalid",
     .messages = {"sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy "
                  "mode"},
     .reason = "outboundTrafficPolicy.egressProxy is allowed only with mode ALLOW_ANY; here mode "
               "is REGISTRY_ONLY"},
    {.file = "001-17-sidecar.yaml",
     .outcome = "valid",
     .reason = "egress hosts ./<fqdn> and istio-system/<fqdn> are namespace/FQDN pairs; "
               "workloadSelector has labels"},
    {.file = "001-18-sidecar.yaml",
     .outcome = "invalid",
     .messages = {"sidecar: credentialName is not currently supported"},
     .reason = "Sidecar ingress tls does not support credentialName (ingress[1].tls."
               "credentialName: api-server-cert)"},
    {.file = "001-19-destinationrule.yaml",
     .outcome = "valid",
     .reason = "loadBalancer.simple ROUND_ROBIN; the alternatives are only a comment"},
    {.file = "001-20-destinationrule.yaml",
     .outcome = "valid",
     .reason = "consistentHash.httpHeaderName x-user-id"},
    {.file = "001-21-destinationrule.yaml",
     .outcome = "valid",
     .reason = "consistentHash.httpCookie has its required name; ttl 3600s and path /api"},
    {.file = "001-22-destinationrule.yaml",
     .outcome = "valid",
     .reason = "consistentHash.useSourceIp: true"},
    {.file = "001-23-destinationrule.yaml",
     .outcome = "valid",
     .reason = "consistentHash.httpQueryParameterName tenant-id"},
    {.file = "001-24-destinationrule.yaml",
     .outcome = "warning",
     .messages = {"consistent hash MinimumRingSize is deprecated"},
     .reason = "consistentHash.minimumRingSize is deprecated in favour of ringHash."
               "minimumRingSize: accepted with a warning"},
    {.file = "001-25-destinationrule.yaml",
     .outcome = "invalid",
     .messages = {"can not simultaneously specify 'distribute' and 'failover'"},
     .reason = "localityLbSetting sets both distribute and failover, which Istio forbids"},
    {.file = "001-26-destinationrule-virtualservice.yaml",
     .outcome = "valid",
     .reason = "exact header match on x-api-version, then a catch-all; DestinationRule subsets "
               "v1/v2 are DNS labels"},
    {.file = "001-27-virtualservice.yaml",
     .outcome = "valid",
     .reason = "two distinct exact header matches, then a catch-all; subsets canary/staging/"
               "stable are DNS labels"},
    {.file = "001-28-destinationrule-virtualservice.yaml",
     .outcome = "valid",
     .reason = "weights 90/10; DestinationRule subsets v1/v2"},
    {.file = "001-29-destinationrule-virtualservice.yaml",
     .outcome = "valid",
     .reason = "one destination, subset green, weight 100; subsets blue/green"},
    {.file = "001-30-destinationrule-virtualservice.yaml",
     .outcome = "valid",
     .reason = "cookie regex ^(.*?;)?(experiment=variant-a)(;.*)?$ compiles in RE2 (lazy *? is "
               "supported); the catch-all rule is last; subsets are DNS labels"},
    {.file = "001-31-virtualservice.yaml",
     .outcome = "valid",
     .reason = "weights 95/5; mirrorPercentage 100.0 is within 0..100"},
    {.file = "001-32-virtualservice.yaml",
     .outcome = "valid",
     .reason = "the first two matches differ in sourceLabels, so neither duplicates the other "
               "(Istio compares whole matches); sourceLabels are valid labels; catch-all last"},

    // Seed 002: subsets and labels.
    {.file = "002-01-virtualservice.yaml",
     .outcome = "valid",
     .reason = "one route to reviews subset v1"},
    {.file = "002-02-destinationrule.yaml",
     .outcome = "valid",
     .reason = "subsets v1/v2 with version labels"},
    {.file = "002-03-fragment.yaml",
     .outcome = "fragment",
     .reason = "a bare labels map (pod labels), not a Kubernetes object"},
    {.file = "002-04-fragment.yaml",
     .outcome = "fragment",
     .reason = "a bare labels map (pod labels), not a Kubernetes object"},

    // Seed 003: canary deployments.
    {.file = "003-01-destinationrule.yaml",
     .outcome = "valid",
     .reason = "h2UpgradePolicy DEFAULT; outlierDetection interval 10s, baseEjectionTime 30s, "
               "maxEjectionPercent 50; subsets v1/v2/v3"},
    {.file = "003-02-deployment.yaml",
     .outcome = "not-istio",
     .reason = "two apps/v1 Deployments, not judged by Istio's webhook"},
    {.file = "003-03-virtualservice.yaml",
     .outcome = "valid",
     .reason = "weights 90/10 to subsets v1/v2"},
    {.file = "003-04-virtualservice.yaml",
     .outcome = "valid",
     .reason = "weights 75/25 to subsets v1/v2"},
    {.file = "003-05-virtualservice.yaml",
     .outcome = "valid",
     .reason = "two VirtualServices (blue, then green), each one destination with weight 100"},
    {.file = "003-06-virtualservice.yaml",
     .outcome = "valid",
     .reason = "exact header match x-canary, cookie regex .*beta_user=true.* (RE2), then a "
               "catch-all"},
    {.file = "003-07-virtualservice.yaml",
     .outcome = "valid",
     .reason = "fault delay 10% with fixedDelay 500ms and abort 5% with httpStatus 500 (within "
               "200..600)"},
    {.file = "003-08-virtualservice.yaml",
     .outcome = "valid",
     .reason = "timeout 3s; retries attempts 3, perTryTimeout 1s, retryOn 5xx,reset,connect-"
               "failure,retriable-4xx are Envoy policies"},
    {.file = "003-09-canary.yaml",
     .outcome = "not-istio",
     .reason = "flagger.app/v1beta1 Canary is Flagger's resource; Istio's webhook does not "
               "validate it (meshroute skips it with an info note)"},

    // Seed 004: quick reference.
    {.file = "004-01-virtualservice.yaml",
     .outcome = "valid",
     .reason = "exact header match end-user: jason, then a catch-all"},
    {.file = "004-02-destinationrule.yaml",
     .outcome = "valid",
     .reason = "subsets v1/v2 with version labels"},
    {.file = "004-03-virtualservice.yaml",
     .outcome = "valid",
     .reason = "weights 90/10 to subsets v1/v2"},
    {.file = "004-04-destinationrule.yaml",
     .outcome = "valid",
     .reason = "outlierDetection consecutive5xxErrors 5, interval and baseEjectionTime 30s"},
    {.file = "004-05-virtualservice.yaml",
     .outcome = "valid",
     .reason = "fault delay percentage 10 with fixedDelay 5s"},
};

constexpr std::string_view kOutcomes[] = {"valid", "warning", "invalid", "fragment", "not-istio"};

const SeedCase* findCase(std::string_view file) {
  for (const auto& c : kSeedCases) {
    if (c.file == file) return &c;
  }
  return nullptr;
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string joined(const core::Diagnostics& diags, core::Level level) {
  std::string out;
  for (const auto& d : diags.items()) {
    if (d.level != level) continue;
    if (!out.empty()) out += "; ";
    out += d.message;
  }
  return out;
}

std::vector<std::string> splitWords(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

int severity(std::string_view verdict) {
  if (verdict == "invalid") return 2;
  return verdict == "warning" ? 1 : 0;
}

std::string listed(const std::vector<std::string>& words) {
  return fmt::format("[{}]", fmt::join(words, " "));
}

// Returns "" when the file gets its expected outcome, else what differs.
std::string checkFile(const SeedCase& c, const std::string& text, const std::string& name) {
  api::LoadResult loaded;
  api::loadText(text, name, loaded);
  if (c.outcome == "fragment") {
    if (!loaded.resources.empty()) return "loaded as a resource, expected a fragment";
    bool no_kind = false;
    for (const auto& d : loaded.diagnostics.items()) {
      if (d.level != core::Level::kError) continue;
      if (d.message != "document has no kind") return "unexpected load error: " + d.message;
      no_kind = true;
    }
    return no_kind ? "" : "expected the loader to report \"document has no kind\"";
  }
  if (loaded.diagnostics.hasErrors()) {
    return "load errors: " + joined(loaded.diagnostics, core::Level::kError);
  }

  std::vector<std::string> verdicts;
  core::Diagnostics findings;
  for (const auto& res : loaded.resources) {
    core::Diagnostics diags;
    validate::validateResource(res, diags);
    if (!res.isIstio()) {
      if (diags.hasErrors() || diags.hasWarnings()) {
        return fmt::format("{} {}: unexpected findings: {} | {}", res.kind, res.meta.name,
                           joined(diags, core::Level::kError),
                           joined(diags, core::Level::kWarning));
      }
      continue;
    }
    verdicts.emplace_back(validate::verdictName(validate::verdictOf(diags)));
    findings.append(diags);
  }
  if (c.outcome == "not-istio") {
    if (!verdicts.empty()) return fmt::format("has Istio resources: {}", listed(verdicts));
    return loaded.resources.empty() && loaded.diagnostics.empty() ? "nothing was loaded" : "";
  }
  if (verdicts.empty()) return "no Istio resource was loaded";

  std::vector<std::string> want = splitWords(c.documents);
  if (want.empty()) want.assign(verdicts.size(), std::string(c.outcome));
  std::string got_text =
      joined(findings, core::Level::kError) + " | " + joined(findings, core::Level::kWarning);
  if (want != verdicts) {
    return fmt::format("want {}, got {}: {}", listed(want), listed(verdicts), got_text);
  }
  auto level = c.outcome == "invalid" ? core::Level::kError : core::Level::kWarning;
  std::string found = joined(findings, level);
  for (auto message : c.messages) {
    if (!message.empty() && found.find(message) == std::string::npos) {
      return fmt::format("missing \"{}\" in: {}", message, got_text);
    }
  }
  return "";
}

TEST(SeedExamplesConformance, TableIsWellFormed) {
  std::set<std::string_view> names;
  for (const auto& c : kSeedCases) {
    EXPECT_TRUE(names.insert(c.file).second) << "duplicate entry " << c.file;
    EXPECT_NE(std::find(std::begin(kOutcomes), std::end(kOutcomes), c.outcome), std::end(kOutcomes))
        << c.file << ": unknown outcome " << c.outcome;
    EXPECT_FALSE(c.reason.empty()) << c.file << ": every expectation needs Istio's reason";
    bool judged = c.outcome == "invalid" || c.outcome == "warning";
    EXPECT_EQ(judged, !c.messages[0].empty())
        << c.file << ": invalid/warning entries (and only they) name the expected message";
    if (!c.documents.empty()) {
      int worst = 0;
      for (const auto& w : splitWords(c.documents)) {
        EXPECT_TRUE(w == "valid" || w == "warning" || w == "invalid") << c.file << ": " << w;
        worst = std::max(worst, severity(w));
      }
      EXPECT_EQ(worst, severity(c.outcome)) << c.file << ": outcome must be the worst document";
    }
  }
}

TEST(SeedExamplesConformance, FilesGetIstiosVerdict) {
  fs::path shared = testing::sharedDir();
  if (shared.empty()) GTEST_SKIP() << "../shared/conformance not found";
  fs::path dir = shared / "conformance/seed-examples";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".yaml" || e.path().extension() == ".yml") {
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << dir;

  int passed = 0;
  std::vector<std::string> failures;
  std::set<std::string> present;
  for (const auto& file : files) {
    std::string name = file.filename().string();
    present.insert(name);
    const SeedCase* c = findCase(name);
    if (c == nullptr) {
      ADD_FAILURE() << name << " has no entry in kSeedCases: decide Istio's verdict and add one";
      failures.push_back(name + ": no expectation");
      continue;
    }
    std::string text = readFile(file);
    // Every file, fragments included, must be well-formed YAML.
    core::Diagnostics parse;
    api::readDocuments(text, name, parse);
    EXPECT_FALSE(parse.hasErrors()) << name << ": " << joined(parse, core::Level::kError);
    std::string problem = parse.hasErrors() ? "YAML errors" : checkFile(*c, text, name);
    if (problem.empty()) {
      ++passed;
    } else {
      failures.push_back(fmt::format("{} [{}]: {}", name, c->outcome, problem));
    }
  }
  for (const auto& c : kSeedCases) {
    EXPECT_TRUE(present.contains(std::string(c.file)))
        << "kSeedCases names " << c.file << ", which is not in " << dir;
  }
  for (const auto& f : failures) std::cout << "FAIL " << f << "\n";
  std::cout << fmt::format("seed-examples: {} of {} pass\n", passed, files.size());
  EXPECT_GE(passed, testing::floorFor("seed-examples"));
  RecordProperty("passed", passed);
  RecordProperty("total", static_cast<int>(files.size()));
}

}  // namespace
}  // namespace meshroute
