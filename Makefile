# Walnut's front door. `make run` and `make test` do the whole set-up on a
# fresh Debian 12 machine: install missing packages, configure, build.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
ARGS ?=
JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: all build deps configure run test test-unit test-integration bench bench-engine \
        bench-callgrind test-asan test-tsan crash-test fuzz format clean

all: build

deps:
	@scripts/install-deps.sh build

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

configure: $(BUILD_DIR)/build.ninja

build: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	./$(BUILD_DIR)/walnut-server --dir ./walnut-data $(ARGS)

test:
	@scripts/install-deps.sh test
	@$(MAKE) --no-print-directory build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 900

test-unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L unit

test-integration: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L integration

# Sanitizer builds live in their own build directories.
test-asan:
	@scripts/install-deps.sh test
	$(MAKE) --no-print-directory build BUILD_DIR=build-asan BUILD_TYPE=Debug CMAKE_FLAGS=-DWALNUT_SANITIZE=address
	cd build-asan && ctest --output-on-failure -j $(JOBS) --timeout 1800

test-tsan:
	@scripts/install-deps.sh test
	$(MAKE) --no-print-directory build BUILD_DIR=build-tsan BUILD_TYPE=RelWithDebInfo CMAKE_FLAGS=-DWALNUT_SANITIZE=thread
	# Unit and integration tests. A race inside a server that a test started
	# would only show in that server's stderr, so every TSan report goes to a
	# file, and any report fails the target.
	rm -f build-tsan/tsan-report.*
	cd build-tsan && TSAN_OPTIONS="log_path=$(CURDIR)/build-tsan/tsan-report" \
	  ctest --output-on-failure -j $(JOBS) --timeout 1800
	@if ls build-tsan/tsan-report.* >/dev/null 2>&1; then \
	  echo "ThreadSanitizer reports:"; cat build-tsan/tsan-report.*; exit 1; fi

# Long crash loops (the short versions run inside `make test`): the engine's
# (a forked writer) and the real server's (SIGKILL of walnut-server under
# concurrent clients), 1,000 cycles each, then 20,000 corruption cases.
crash-test:
	@scripts/install-deps.sh test
	@$(MAKE) --no-print-directory build
	WALNUT_CRASH_ROUNDS=1000 ./$(BUILD_DIR)/tests/engine_crash_test
	WALNUT_SERVER_CRASH_CYCLES=1000 ./$(BUILD_DIR)/tests/server_crash_test
	WALNUT_CORRUPTION_CASES=20000 ./$(BUILD_DIR)/tests/corruption_test

# Engine micro-benchmarks, then the side-by-side comparison with redis-server.
# QUICK=1: 100k requests per row and 1M keys for start-up (6-10 minutes); the
# full run uses 1M requests per row and 1M and 10M keys. 3 alternating runs each.
# Coverage-guided fuzzing with clang's libFuzzer, FUZZ_SECONDS per target.
# Corpora grow in build-fuzz/corpus-*, seeded from fuzz/corpus/*. (`make test`
# runs the same targets briefly, built with g++ and a mutation driver.)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = resp_parser_fuzz wal_recovery_fuzz wal_record_fuzz base_image_fuzz hint_file_fuzz \
  http_json_fuzz
fuzz:
	@scripts/install-deps.sh fuzz
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DWALNUT_FUZZ=ON -DWALNUT_BUILD_TESTS=OFF -DWALNUT_BUILD_BENCH=OFF
	cmake --build build-fuzz -j $(JOBS) --target $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do \
	  c=build-fuzz/corpus-$${t%_fuzz}; mkdir -p $$c; cp -n fuzz/corpus/$${t%_fuzz}/* $$c/ 2>/dev/null; \
	  echo "== $$t for $(FUZZ_SECONDS) s"; \
	  ./build-fuzz/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$c 2>&1 \
	    | grep -E "stat::number_of_executed_units|ERROR|SUMMARY|Done" || exit 1; \
	done

bench:
	@scripts/install-deps.sh bench
	@$(MAKE) --no-print-directory build
	bench/run_engine_bench.sh $(BUILD_DIR)
	python3 bench/compare_redis.py --build $(BUILD_DIR) $(if $(QUICK),--quick) --out bench/results/compare.md

# Instructions per request (callgrind) of walnut (1 log, default logs) and redis-server, per
# redis-benchmark row: deterministic where throughput is not. ~9-10 minutes for all rows.
# ROWS='SET p1,GET p1' picks rows, REQUESTS=N changes the 200k requests per row.
bench-callgrind:
	@scripts/install-deps.sh bench
	@$(MAKE) --no-print-directory build
	python3 bench/callgrind_requests.py --build $(BUILD_DIR) $(if $(ROWS),--rows '$(ROWS)') \
	  $(if $(REQUESTS),--requests $(REQUESTS))

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf $(BUILD_DIR) build-asan build-tsan build-fuzz
