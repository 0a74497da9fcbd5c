#include "runtime/dns_resolver.h"

#include <ares.h>
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

namespace meshroute::runtime {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// c-ares's library state is process-wide; initialised once, never torn down (other channels
// may live until exit).
bool initLibrary() {
  static const int status = ares_library_init(ARES_LIB_INIT_ALL);
  return status == ARES_SUCCESS;
}

}  // namespace

// What a lookup's callback needs: which resolver, and which name it was for.
struct DnsResolver::Query {
  DnsResolver* resolver;
  std::string name;
};

const DnsAnswer* DnsAnswers::find(const std::string& name) const {
  auto it = by_name.find(name);
  return it == by_name.end() ? nullptr : &it->second;
}

milliseconds nextLookupIn(const DnsAnswer& answer, int failures, const DnsRefreshPolicy& policy) {
  if (failures > 0) {
    milliseconds wait = policy.min_refresh;
    for (int i = 1; i < failures && wait < policy.refresh; ++i) wait *= 2;
    return std::min(wait, std::max(policy.refresh, policy.min_refresh));
  }
  return std::max<milliseconds>(answer.ttl, policy.min_refresh);
}

DnsResolver::DnsResolver(Options options) : options_(std::move(options)) {
  snapshot_ = std::make_shared<DnsAnswers>();
  if (!initLibrary()) {
    error_ = "c-ares could not be initialised";
    return;
  }
  ares_options opts{};
  opts.timeout = 2000;  // ms per try (ARES_OPT_TIMEOUTMS)
  opts.tries = 2;
  ares_channel channel = nullptr;
  if (const int s = ares_init_options(&channel, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
      s != ARES_SUCCESS) {
    error_ = fmt::format("c-ares: {}", ares_strerror(s));
    return;
  }
  if (!options_.servers.empty()) {
    if (const int s = ares_set_servers_ports_csv(channel, options_.servers.c_str());
        s != ARES_SUCCESS) {
      error_ = fmt::format("DNS servers \"{}\": {}", options_.servers, ares_strerror(s));
      ares_destroy(channel);
      return;
    }
  }
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    error_ = "eventfd failed";
    ares_destroy(channel);
    return;
  }
  channel_ = channel;
  thread_ = std::thread([this] { run(); });
}

DnsResolver::~DnsResolver() {
  stop_.store(true);
  wake();
  if (thread_.joinable()) thread_.join();
  if (channel_ != nullptr) ares_destroy(channel_);  // runs pending callbacks: entries_ lives
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void DnsResolver::wake() {
  if (wake_fd_ < 0) return;
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void DnsResolver::track(const std::set<std::string>& names) {
  {
    std::lock_guard lock(mu_);
    wanted_ = names;
    const auto& known = snapshot_->by_name;
    settled_now_ = std::all_of(names.begin(), names.end(),
                               [&](const std::string& n) { return known.count(n) != 0; });
  }
  wake();
}

bool DnsResolver::waitSettled(milliseconds limit) {
  std::unique_lock lock(mu_);
  return settled_.wait_for(lock, limit, [this] { return settled_now_ || channel_ == nullptr; });
}

std::shared_ptr<const DnsAnswers> DnsResolver::snapshot() const {
  std::lock_guard lock(mu_);
  return snapshot_;
}

void DnsResolver::startDue(Clock::time_point now) {
  std::set<std::string> wanted;
  {
    std::lock_guard lock(mu_);
    wanted = wanted_;
  }
  bool forgot = false;
  for (auto it = entries_.begin(); it != entries_.end();) {
    // A lookup in flight keeps its entry until it answers (its callback finds it).
    if (wanted.count(it->first) == 0 && !it->second.in_flight) {
      forgot = forgot || it->second.answered;
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  for (const std::string& name : wanted) entries_.try_emplace(name);
  if (forgot) publish();
  for (auto& [name, e] : entries_) {
    if (e.in_flight || e.next > now || wanted.count(name) == 0) continue;
    e.in_flight = true;
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_INET;  // Istio's V4_ONLY for a proxy without IPv6
    auto* q = new Query{this, name};
    ares_getaddrinfo(
        channel_, name.c_str(), nullptr, &hints,
        [](void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
          std::unique_ptr<Query> query(static_cast<Query*>(arg));
          query->resolver->onAnswer(query->name, status, result);
        },
        q);
  }
}

void DnsResolver::onAnswer(const std::string& name, int status, ares_addrinfo* result) {
  DnsAnswer answer;
  if (status == ARES_SUCCESS && result != nullptr) {
    int ttl = -1;
    for (ares_addrinfo_node* n = result->nodes; n != nullptr; n = n->ai_next) {
      if (n->ai_family != AF_INET) continue;
      char text[INET_ADDRSTRLEN];
      const auto* sin = reinterpret_cast<const sockaddr_in*>(n->ai_addr);
      if (::inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text) == nullptr) continue;
      if (std::find(answer.addresses.begin(), answer.addresses.end(), text) ==
          answer.addresses.end()) {
        answer.addresses.emplace_back(text);
      }
      ttl = ttl < 0 ? n->ai_ttl : std::min(ttl, n->ai_ttl);
    }
    answer.ttl = std::chrono::seconds(std::max(ttl, 0));
    if (answer.addresses.empty()) answer.error = "no IPv4 address";
  } else {
    answer.error = ares_strerror(status);
  }
  if (result != nullptr) ares_freeaddrinfo(result);
  auto it = entries_.find(name);
  if (it == entries_.end() || stop_.load()) return;
  Entry& e = it->second;
  e.in_flight = false;
  const bool failed = !answer.error.empty();
  e.failures = failed ? e.failures + 1 : 0;
  e.next = Clock::now() + nextLookupIn(answer, e.failures, options_.refresh);
  const bool changed = !e.answered || e.answer.addresses != answer.addresses ||
                       e.answer.error.empty() != answer.error.empty();
  if (options_.log && failed && (!e.answered || e.answer.error.empty())) {
    options_.log(fmt::format("dns: {} does not resolve ({}): its clusters answer 503 UH", name,
                             answer.error));
  } else if (options_.log && !failed && e.answered && !e.answer.error.empty()) {
    options_.log(fmt::format("dns: {} resolves again", name));
  }
  e.answer = std::move(answer);
  e.answered = true;
  if (changed) publish();
}

void DnsResolver::publish() {
  auto next = std::make_shared<DnsAnswers>();
  for (const auto& [name, e] : entries_) {
    if (e.answered) next->by_name.emplace(name, e.answer);
  }
  std::lock_guard lock(mu_);
  next->epoch = snapshot_->epoch + 1;
  snapshot_ = std::move(next);
  settled_now_ = std::all_of(wanted_.begin(), wanted_.end(), [&](const std::string& n) {
    return snapshot_->by_name.count(n) != 0;
  });
  epoch_.store(snapshot_->epoch, std::memory_order_release);
  settled_.notify_all();
}

void DnsResolver::run() {
  while (!stop_.load()) {
    const auto now = Clock::now();
    startDue(now);
    // The earliest of c-ares's own timeout and the next lookup due; with neither, until
    // track() or the destructor wakes the thread.
    std::optional<milliseconds> wait;
    for (const auto& [name, e] : entries_) {
      if (!e.in_flight) {
        const auto due = std::chrono::duration_cast<milliseconds>(
            std::max(e.next - now, Clock::duration::zero()));
        wait = wait ? std::min(*wait, due) : due;
      }
    }
    timeval tv{};
    if (const timeval* t = ares_timeout(channel_, nullptr, &tv)) {
      const milliseconds ares_wait(t->tv_sec * 1000 + (t->tv_usec + 999) / 1000);
      wait = wait ? std::min(*wait, ares_wait) : ares_wait;
    }
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    const int mask = ares_getsock(channel_, socks, ARES_GETSOCK_MAXNUM);
    std::vector<pollfd> fds;
    fds.push_back({wake_fd_, POLLIN, 0});
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short events = 0;
      if (ARES_GETSOCK_READABLE(mask, i)) events |= POLLIN;
      if (ARES_GETSOCK_WRITABLE(mask, i)) events |= POLLOUT;
      if (events != 0) fds.push_back({socks[i], events, 0});
    }
    const int ready = ::poll(fds.data(), fds.size(), wait ? static_cast<int>(wait->count()) : -1);
    if (ready > 0 && (fds[0].revents & POLLIN) != 0) {
      uint64_t drained = 0;
      (void)!::read(wake_fd_, &drained, sizeof drained);
    }
    bool any = false;
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      any = true;
      const bool readable = (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
      const bool writable = (fds[i].revents & POLLOUT) != 0;
      ares_process_fd(channel_, readable ? fds[i].fd : ARES_SOCKET_BAD,
                      writable ? fds[i].fd : ARES_SOCKET_BAD);
    }
    if (!any) ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
  }
}

}  // namespace meshroute::runtime
