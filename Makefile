# Thin wrapper over CMake. `make` builds, `make test` runs the suite twice (a normal build and an
# AddressSanitizer + UndefinedBehaviorSanitizer build), `make demo` runs the main example,
# `make bench` runs the benchmarks, `make install PREFIX=...` installs. Configuring prints einc's
# own summary lines (version, dispatch kernels, CBLAS, default GEMM, OpenMP); the whole CMake
# output is in $(BUILD)/configure.log.
BUILD ?= build
ASAN_BUILD ?= build-asan
PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
WERROR ?= $(if $(CI),ON,OFF)
CMAKE_FLAGS ?=

.PHONY: all build test test-normal test-asan test-valgrind demo bench install clean format fuzz fuzz-check

all: build

build:
	@mkdir -p $(BUILD)
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DEINC_WERROR=$(WERROR) $(CMAKE_FLAGS) >$(BUILD)/configure.log
	@grep '^-- einc: ' $(BUILD)/configure.log
	cmake --build $(BUILD) -j $(JOBS)

test-normal: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan:
	@mkdir -p $(ASAN_BUILD)
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEINC_SANITIZE=ON -DEINC_WERROR=$(WERROR) $(CMAKE_FLAGS) >$(ASAN_BUILD)/configure.log
	@grep '^-- einc: ' $(ASAN_BUILD)/configure.log
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

# normal build first, then the sanitizer build; ends with ctest's summary line
test: test-normal test-asan

# every test program under valgrind (definite leaks and memory errors fail the run)
test-valgrind: build
	cd $(BUILD)/tests && for t in ./test_*; do \
	  echo "== valgrind $$t"; \
	  EINC_UNDER_VALGRIND=1 OMP_NUM_THREADS=1 valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 $$t >/dev/null || exit 1; \
	done; echo "valgrind: no errors, no definite leaks"

demo: build
	./$(BUILD)/attention

bench: build
	@for b in $(BUILD)/bench_*; do echo "== $$b"; ./$$b || exit 1; done

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

fuzz:
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DEINC_FUZZ=ON -DEINC_TESTS=OFF -DEINC_OPENMP=OFF >/dev/null
	cmake --build build-fuzz -j $(JOBS)

# a short campaign of every fuzz target under ASan + UBSan (FUZZ_SECONDS each, default 30); fails
# on any finding, whose input is left in /tmp/einc-fuzz-artifacts/ (fuzz/README.md)
FUZZ_SECONDS ?= 30
fuzz-check: fuzz
	./fuzz/campaign.sh $(FUZZ_SECONDS) notation npy safetensors axes

format:
	clang-format -i include/einc.h include/einc.hpp include/einc/*.h src/*/*.c src/*/*.h tests/*.c tools/*.c examples/*.c bench/*.c

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
