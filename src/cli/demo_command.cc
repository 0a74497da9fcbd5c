#include "cli/demo_command.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http/h1.h"
#include "runtime/listener.h"

extern char** environ;

namespace meshroute::cli {
namespace {

namespace fs = std::filesystem;

struct Options {
  std::string examples;
  std::string listen = "127.0.0.1:15001";
  std::string admin = "127.0.0.1:15000";
  bool check = false;
};

struct Backend {
  const char* name;
  const char* version;
  const char* listen;
};
// The ports examples/demo/backends.yaml gives the WorkloadEntries.
constexpr Backend kBackends[] = {{"reviews-v1", "v1", "127.0.0.1:19081"},
                                 {"reviews-v2", "v2", "127.0.0.1:19082"},
                                 {"reviews-v3", "v3", "127.0.0.1:19083"},
                                 {"ratings-v1", "v1", "127.0.0.1:19084"}};

std::optional<fs::path> findExamples(const std::string& flag) {
  std::vector<fs::path> candidates;
  if (!flag.empty()) return fs::path(flag);
  if (const char* env = std::getenv("MESHROUTE_EXAMPLES")) candidates.emplace_back(env);
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / "../../examples");
    candidates.push_back(exe.parent_path() / "../examples");
  }
  candidates.emplace_back("examples");
  for (const auto& c : candidates) {
    if (fs::exists(c / "demo" / "backends.yaml", ec)) return fs::weakly_canonical(c, ec);
  }
  return std::nullopt;
}

pid_t spawn(const std::vector<std::string>& args, const std::string& out, const std::string& err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // The demo blocks SIGINT/SIGTERM to wait for them; its children must not inherit that.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  if (posix_spawn(&pid, "/proc/self/exe", &actions, &attr, argv.data(), environ) != 0) pid = -1;
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;
};

// One blocking HTTP/1.1 request with a 5 s timeout on every socket wait.
std::optional<Reply> httpGet(const runtime::Address& to, const std::string& host,
                             const std::string& path,
                             const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(to.port);
  inet_pton(AF_INET, to.host.c_str(), &addr.sin_addr);
  std::optional<Reply> result;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    std::string req =
        fmt::format("GET {} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n", path, host);
    for (const auto& [k, v] : headers) req += fmt::format("{}: {}\r\n", k, v);
    req += "\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      std::string buf;
      char chunk[4096];
      http::ResponseHead head;
      while (true) {
        ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
        if (n <= 0) break;
        buf.append(chunk, static_cast<size_t>(n));
        auto r = http::parseResponseHead(buf, http::Limits{}, "GET", head);
        if (r.status == http::ParseStatus::kComplete) {
          Reply reply;
          reply.status = head.status;
          for (const auto& h : head.headers) {
            std::string name(h.name);
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            reply.headers[name] = std::string(h.value);
          }
          result = reply;
          break;
        }
        if (r.status == http::ParseStatus::kError) break;
      }
    }
  }
  ::close(fd);
  return result;
}

// Polls `path` on `server` until it answers 200, at most `limit`.
bool waitReady(const runtime::Address& server, std::chrono::seconds limit,
               const std::string& path = "/ready") {
  auto end = std::chrono::steady_clock::now() + limit;
  auto delay = std::chrono::milliseconds(10);
  while (std::chrono::steady_clock::now() < end) {
    auto r = httpGet(server, server.str(), path);
    if (r && r->status == 200) return true;
    // Polling back-off while another process starts; bounded by `limit`.
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(200));
  }
  return false;
}

void printTour(const Options& o, const fs::path& dir) {
  const std::string& l = o.listen;
  const std::string& a = o.admin;
  std::cout << fmt::format(R"(
meshroute demo: reviews v1/v2/v3 and ratings (meshroute echo) behind `meshroute run` on {l}
configuration: {dir} (examples/reviews.yaml, ratings.yaml, demo/backends.yaml; edit it live:
the proxy reloads on save and rejects invalid changes)

Try:
  # header routing: beta users get reviews v2
  curl -s -H 'Host: reviews:9080' -H 'x-user-type: beta' http://{l}/ | head -c 200; echo
  # everyone else: the 80/15/5 canary split (count who answered 100 requests)
  for i in $(seq 100); do curl -s -o /dev/null -D - -H 'Host: reviews:9080' http://{l}/; done | grep -i x-echo-name | sort | uniq -c
  # the proxy used as an HTTP proxy
  curl -s -x http://{l} http://ratings:9080/ratings/1 | head -c 200; echo
  # fault injection: testers' ratings requests wait 2 s (flag DI in the access log)
  curl -s -o /dev/null -w '%{{http_code}} after %{{time_total}}s\n' -H 'Host: ratings:9080' -H 'end-user: tester' http://{l}/
  # the same decisions, explained without sending anything
  meshroute explain -f {dir} 'GET http://reviews:9080/' -H 'x-user-type: beta'
  meshroute explain -f {dir} 'GET http://reviews:9080/'
  # the admin API
  curl -s http://{a}/ready
  curl -s http://{a}/stats/prometheus | grep '^istio_requests_total'
  curl -s http://{a}/clusters | grep rq_total
  curl -s http://{a}/routes | head -40
  curl -s http://{a}/config_dump | head -20
  # the access log
  tail -f {dir}/access.log

Ctrl-C stops everything and removes {dir}.
)",
                           fmt::arg("l", l), fmt::arg("a", a), fmt::arg("dir", dir.string()));
  std::cout.flush();
}

// The tour's requests, checked: 0 when every answer is what the configuration says.
int runChecks(const Options& o) {
  auto proxy = *runtime::parseAddress(o.listen);
  int failures = 0;
  auto beta = httpGet(proxy, "reviews:9080", "/", {{"x-user-type", "beta"}});
  bool ok = beta && beta->status == 200 && beta->headers["x-echo-name"] == "reviews-v2";
  std::cout << fmt::format("{} beta user -> {}\n", ok ? "ok  " : "FAIL",
                           beta ? beta->headers["x-echo-name"] : "no answer");
  failures += ok ? 0 : 1;
  std::map<std::string, int> split;
  for (int i = 0; i < 400; ++i) {
    auto r = httpGet(proxy, "reviews:9080", "/");
    if (!r || r->status != 200) {
      std::cout << fmt::format("     request {}: {}\n", i,
                               r ? fmt::format("status {}", r->status) : std::string("no answer"));
    }
    split[r && r->status == 200 ? r->headers["x-echo-name"] : "error"]++;
  }
  // 80/15/5 over 400 requests: v1 within 80% +- 8 points (over 4 standard deviations).
  double v1 = split["reviews-v1"] / 400.0;
  ok = split["error"] == 0 && v1 > 0.72 && v1 < 0.88 && split["reviews-v2"] > 0 &&
       split["reviews-v3"] > 0;
  std::cout << fmt::format("{} canary split over 400 requests: v1 {} v2 {} v3 {} errors {}\n",
                           ok ? "ok  " : "FAIL", split["reviews-v1"], split["reviews-v2"],
                           split["reviews-v3"], split["error"]);
  failures += ok ? 0 : 1;
  auto ratings = httpGet(proxy, "ratings:9080", "/ratings/1");
  ok = ratings && ratings->status == 200 && ratings->headers["x-echo-name"] == "ratings-v1";
  std::cout << fmt::format("{} ratings -> {}\n", ok ? "ok  " : "FAIL",
                           ratings ? ratings->headers["x-echo-name"] : "no answer");
  failures += ok ? 0 : 1;
  const auto start = std::chrono::steady_clock::now();
  auto tester = httpGet(proxy, "ratings:9080", "/", {{"end-user", "tester"}});
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  ok = tester && tester->status == 200 && waited >= std::chrono::milliseconds(1900);
  std::cout << fmt::format(
      "{} tester's ratings request delayed by the fault rule: {} after {} ms\n",
      ok ? "ok  " : "FAIL", tester ? tester->status : 0, waited.count());
  failures += ok ? 0 : 1;
  return failures == 0 ? 0 : 1;
}

int run(const Options& o) {
  auto examples = findExamples(o.examples);
  if (!examples) {
    std::cerr << "meshroute demo: cannot find examples/demo/backends.yaml; pass --examples DIR\n";
    return 1;
  }
  auto proxy_addr = runtime::parseAddress(o.listen);
  auto admin_addr = runtime::parseAddress(o.admin);
  if (!proxy_addr || !admin_addr) {
    std::cerr << "meshroute demo: --listen/--admin want HOST:PORT\n";
    return 2;
  }
  char tmpl[] = "/tmp/meshroute-demo-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    std::cerr << "meshroute demo: cannot create a temporary directory\n";
    return 1;
  }
  fs::path dir(tmpl);
  std::error_code ec;
  for (const char* f : {"reviews.yaml", "ratings.yaml", "demo/backends.yaml"}) {
    fs::copy_file(*examples / f, dir / fs::path(f).filename(), ec);
    if (ec) {
      std::cerr << fmt::format("meshroute demo: {}: {}\n", (*examples / f).string(), ec.message());
      fs::remove_all(dir, ec);
      return 1;
    }
  }
  // Signals are taken synchronously below; children get the default dispositions back.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::vector<pid_t> children;
  for (const auto& b : kBackends) {
    children.push_back(
        spawn({"meshroute", "echo", "--listen", b.listen, "--name", b.name, "--version", b.version},
              (dir / (std::string(b.name) + ".log")).string(),
              (dir / (std::string(b.name) + ".err")).string()));
  }
  children.push_back(
      spawn({"meshroute", "run", "-f", dir.string(), "--listen", o.listen, "--admin", o.admin},
            (dir / "access.log").string(), (dir / "proxy.log").string()));
  int rc = 0;
  // The proxy's readiness says nothing of the backends': every one must answer before the
  // tour's first request, or it meets a connection refused.
  bool backends_up = true;
  for (const auto& b : kBackends) {
    backends_up =
        backends_up && waitReady(*runtime::parseAddress(b.listen), std::chrono::seconds(15), "/");
  }
  if (!backends_up || !waitReady(*admin_addr, std::chrono::seconds(15))) {
    std::cerr << fmt::format(
        "meshroute demo: the proxy (admin {}) or its backends did not become ready (ports "
        "19081-19084, {} and {} must be free); the logs:\n",
        o.admin, o.listen, o.admin);
    std::system(fmt::format("cat {}/proxy.log {}/*.err 1>&2", dir.string(), dir.string()).c_str());
    rc = 1;
  } else if (o.check) {
    rc = runChecks(o);
  } else {
    printTour(o, dir);
    int sig = 0;
    sigwait(&stop_signals, &sig);
    std::cout << "\nstopping...\n";
  }
  for (pid_t pid : children) {
    if (pid > 0) kill(pid, SIGTERM);
  }
  for (pid_t pid : children) {
    if (pid > 0) waitpid(pid, nullptr, 0);
  }
  fs::remove_all(dir, ec);
  return rc;
}

}  // namespace

void addDemoCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "demo",
      "Start echo backends for reviews v1/v2/v3 and ratings on 127.0.0.1:19081-19084, the proxy\n"
      "in front of them with examples/ loaded, and print a tour. Ctrl-C stops everything.\n"
      "Exit codes: 0 ok, 1 something did not start (or a --check failed), 2 usage.");
  cmd->add_option("--examples", o->examples,
                  "the examples directory (default: found beside the binary)");
  cmd->add_option("--listen", o->listen, "proxy listener")->capture_default_str();
  cmd->add_option("--admin", o->admin, "admin API")->capture_default_str();
  cmd->add_flag("--check", o->check, "run the tour's requests, report, and exit 0/1");
  cmd->callback([o, &exit_code] { exit_code = run(*o); });
}

}  // namespace meshroute::cli
