// Asynchronous DNS for ServiceEntry `resolution: DNS` and `DNS_ROUND_ROBIN` hosts, with
// c-ares on a thread of its own: workers never wait on a lookup. The main thread says which
// names to keep resolved (those of the current configuration); each is looked up again when
// its answer's TTL runs out, and every change is published as an immutable snapshot under a
// new epoch, which workers compare (one relaxed atomic read) before using their cluster state.
//
// Envoy's behaviour as Istio configures it: IPv4 answers (V4_ONLY), respect_dns_ttl with
// dns_min_refresh_rate 5 s, dns_refresh_rate from MeshConfig dnsRefreshRate (60 s). A failed
// lookup keeps the last good answer's absence visible (no endpoints: 503 UH) and is retried
// after 5 s, doubling up to the refresh rate (Envoy waits the whole refresh rate).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

// c-ares's types, kept out of every includer.
struct ares_channeldata;
struct ares_addrinfo;

namespace meshroute::runtime {

struct DnsAnswer {
  std::vector<std::string> addresses;  // IPv4, in the order the server gave them
  std::string error;                   // why the lookup failed; "" when it did not
  std::chrono::seconds ttl{0};
};

struct DnsAnswers {
  uint64_t epoch = 0;
  std::unordered_map<std::string, DnsAnswer> by_name;
  // Null while the name has no answer yet.
  [[nodiscard]] const DnsAnswer* find(const std::string& name) const;
};

struct DnsRefreshPolicy {
  std::chrono::milliseconds min_refresh{5000};  // Envoy's dns_min_refresh_rate
  std::chrono::milliseconds refresh{60000};     // MeshConfig dnsRefreshRate
};

// When to look a name up again: at its TTL (never sooner than min_refresh) after a success;
// after `failures` failures in a row, min_refresh doubled per failure, up to `refresh`.
std::chrono::milliseconds nextLookupIn(const DnsAnswer& answer, int failures,
                                       const DnsRefreshPolicy& policy);

class DnsResolver {
 public:
  struct Options {
    std::string servers;  // "IP[:PORT],...": instead of /etc/resolv.conf's; "" keeps those
    DnsRefreshPolicy refresh;
    std::function<void(std::string_view)> log;  // a lookup that failed or recovered
  };
  explicit DnsResolver(Options options);
  ~DnsResolver();
  DnsResolver(const DnsResolver&) = delete;
  DnsResolver& operator=(const DnsResolver&) = delete;

  // False when c-ares could not start (error() says why): names then never resolve.
  [[nodiscard]] bool ok() const { return channel_ != nullptr; }
  [[nodiscard]] const std::string& error() const { return error_; }

  // The names to keep resolved from now on; others are forgotten. Any thread.
  void track(const std::set<std::string>& names);
  // Waits until every tracked name has had an answer or a failure, at most `limit`. False
  // when the limit passed first.
  bool waitSettled(std::chrono::milliseconds limit);

  // Bumped by every change of any answer. Any thread; a relaxed read.
  [[nodiscard]] uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }
  // The answers of the current epoch. Any thread; takes a lock (call when epoch() moved).
  [[nodiscard]] std::shared_ptr<const DnsAnswers> snapshot() const;

 private:
  struct Entry {
    DnsAnswer answer;
    bool answered = false;
    bool in_flight = false;
    int failures = 0;
    std::chrono::steady_clock::time_point next{};
  };
  struct Query;
  void run();
  void startDue(std::chrono::steady_clock::time_point now);
  void onAnswer(const std::string& name, int status, ::ares_addrinfo* result);
  void publish();
  void wake();

  Options options_;
  ::ares_channeldata* channel_ = nullptr;
  std::string error_;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> epoch_{0};
  mutable std::mutex mu_;
  std::condition_variable settled_;
  std::set<std::string> wanted_;                // under mu_: what track() asked for
  std::shared_ptr<const DnsAnswers> snapshot_;  // under mu_
  bool settled_now_ = true;                     // under mu_
  std::map<std::string, Entry> entries_;        // the resolver thread's
  std::thread thread_;
};

}  // namespace meshroute::runtime
