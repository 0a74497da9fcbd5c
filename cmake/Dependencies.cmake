# Every dependency comes from Debian 12 packages (scripts/install-deps.sh, docs/dependencies.md).
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Boost 1.74 REQUIRED)  # Asio (header-only): the per-worker event loops
# Asio recycles coroutine frames and handlers through a per-thread cache of 2 blocks per kind;
# a request nests more coroutines than that (run, serve, forward, exchange, a read or write),
# so most frames went back to malloc. Every translation unit must agree on this value.
add_compile_definitions(BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE=16)
find_package(Threads REQUIRED)
find_package(OpenSSL REQUIRED)  # X.509 for the credential analyzer; TLS origination
pkg_check_modules(CARES REQUIRED IMPORTED_TARGET libcares)  # DNS endpoints (ServiceEntry DNS)
pkg_check_modules(NGHTTP2 REQUIRED IMPORTED_TARGET libnghttp2)  # HTTP/2 framing and HPACK
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)
if(NOT TARGET re2::re2)
  add_library(re2::re2 ALIAS PkgConfig::RE2)
endif()
if(MESHROUTE_TESTS)
  find_package(GTest REQUIRED)
endif()
if(MESHROUTE_BENCH)
  find_package(benchmark REQUIRED)
endif()
