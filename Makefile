# gatehouse: a thin wrapper over CMake. Quick start: `make run`, `make test`.
#   make            build (mbedTLS backend) into build/
#   make run        build the reference server (quietly) and start it on its built-in demo (Ctrl-C stops it)
#   make demo       build the CLI only, then demonstrate it on the bundled examples (tokens to the whole gateway)
#   make test       build and run every test, with both crypto backends
#   make bench      benchmarks beside the peers (writes build/bench/results.jsonl)
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (clang)
#   make sanitize   all tests under ASan+UBSan (clang);  make valgrind;  make tsan
#   make install    PREFIX=/usr/local
PREFIX ?= /usr/local
JOBS ?= 2
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=
CTEST = ctest --output-on-failure -j$(JOBS)
# cmake --build runs make again: without this, each level prints "Entering directory" lines
MAKEFLAGS += --no-print-directory

.PHONY: all build deps run demo build-run test test-mbedtls test-openssl test-install sanitize valgrind tsan bench fuzz install clean

all: build

deps:
	@scripts/install-deps.sh

# $(call configure,DIR,FLAGS)
define configure
	@test -f $(1)/CMakeCache.txt || cmake -S . -B $(1) $(2) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(1) -j$(JOBS)
endef

build: deps
	$(call configure,build,-DGH_CRYPTO=mbedtls)

build-openssl: deps
	$(call configure,build-openssl,-DGH_CRYPTO=openssl)

# Only what the server and the demo run (no tests, no peers), the build output
# in a log shown only on failure. The demo's key pair is kept in .gatehouse/.
run: build-run
	@exec build-run/bin/gatehouse-server --state .gatehouse

demo: build-run
	@scripts/demo.sh build-run/bin/gatehouse

build-run:
	@scripts/install-deps.sh --run
	@test -f build-run/CMakeCache.txt || cmake -S . -B build-run -DGH_TESTS=OFF $(CMAKE_FLAGS) > build-run.log 2>&1 || { cat build-run.log; exit 1; }
	@echo "building gatehouse-server and the gatehouse CLI (log: build-run.log) ..."
	@cmake --build build-run -j$(JOBS) --target gatehouse-cli gatehouse-server >> build-run.log 2>&1 || { tail -40 build-run.log; exit 1; }

test: test-mbedtls test-openssl test-install
	@echo "make test: all suites passed"

test-mbedtls: build
	cd build && $(CTEST)

test-openssl: build-openssl
	cd build-openssl && $(CTEST)

# Installs into a scratch prefix and builds a consumer with find_package and pkg-config.
test-install: build
	@scripts/test-install.sh build

sanitize: deps
	$(call configure,build-asan,-DCMAKE_C_COMPILER=clang -DGH_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(CTEST) -E '^(python|go|docs)$$'  # bindings and doc programs cannot load an ASan library

valgrind: build
	@scripts/valgrind.sh build/bin

# Shared objects under ThreadSanitizer, with each crypto backend.
tsan: deps
	$(call configure,build-tsan,-DCMAKE_C_COMPILER=clang -DGH_TSAN=ON -DCMAKE_BUILD_TYPE=Debug)
	cd build-tsan && $(CTEST) -R 'concurrency|redis|upstream|gateway|apim|server|identity-provider'
	$(call configure,build-tsan-openssl,-DCMAKE_C_COMPILER=clang -DGH_TSAN=ON -DGH_CRYPTO=openssl -DCMAKE_BUILD_TYPE=Debug)
	# the library's objects again with the other crypto backend; the server's threads (its TLS is mbedTLS's
	# whatever the backend) were checked above
	cd build-tsan-openssl && $(CTEST) -R 'concurrency|redis|upstream|gateway|apim'

bench: deps
	$(call configure,build-bench-openssl,-DGH_CRYPTO=openssl -DGH_BENCH=ON -DGH_TESTS=OFF -DCMAKE_BUILD_TYPE=Release)
	$(call configure,build-bench-mbedtls,-DGH_CRYPTO=mbedtls -DGH_BENCH=ON -DGH_TESTS=OFF -DCMAKE_BUILD_TYPE=Release)
	@scripts/bench.sh

fuzz: deps
	$(call configure,build-fuzz,-DCMAKE_C_COMPILER=clang -DGH_FUZZ=ON -DGH_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug)
	@scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

install: build
	cmake --install build --prefix $(PREFIX)

clean:
	rm -rf build build-run build-run.log build-openssl build-asan build-tsan build-tsan-openssl build-fuzz build-bench-openssl build-bench-mbedtls
