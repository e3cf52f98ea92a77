# Thin wrapper over CMake. `make` builds, `make test` runs the suite twice (a normal build and an
# AddressSanitizer + UndefinedBehaviorSanitizer build) and then the threaded tests under
# ThreadSanitizer (a third build, `make test-tsan`), `make demo` runs the main example,
# `make bench` runs the benchmarks, `make install PREFIX=...` installs. Configuring prints einc's
# own summary lines (version, dispatch kernels, CBLAS, default GEMM, OpenMP); the whole CMake
# output is in $(BUILD)/configure.log.
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
WERROR ?= $(if $(CI),ON,OFF)
CMAKE_FLAGS ?=

.PHONY: all build test test-normal test-asan test-tsan test-valgrind demo bench install clean format fuzz fuzz-check

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

# The programs that run einc on several threads at once (contexts on their own threads, a
# context's workers inside operations, a context used from a second thread, and every program
# that sets a context's thread count above 1), built with ThreadSanitizer and run with
# halt_on_error: any report fails the run. The compiler is clang where it is installed (CI
# installs it), else the system compiler: gcc's TSan runtime comes with build-essential, so
# `make test` needs nothing more than the README says.
# OpenMP is off in this build: on POSIX systems einc's threads are its own pthreads
# (src/core/parallel.c), which TSan sees completely, and OpenMP would only contribute
# omp_get_max_threads() (the default of einc_set_threads(ctx, 0)); libgomp is not instrumented,
# so a build with it would need suppressions for its internals. Without it no suppression file is
# needed. die_after_fork=0: test_parallel forks a child whose first large operation starts fresh
# workers (a context must keep working in a forked child); TSan refuses threads after a
# multi-threaded fork by default. The tool (einc_tool) is built for test_notation_indexing, which
# also runs it.
TSAN_CC ?= $(if $(shell command -v clang 2>/dev/null),clang,cc)
TSAN_TESTS ?= test_threads test_ctx_threads test_parallel test_core test_copy_kernel test_elementwise test_reduce \
  test_linalg test_autograd test_nn test_attention_fused test_notation test_notation_grad \
  test_notation_indexing test_notation_sorting
test-tsan:
	@mkdir -p $(TSAN_BUILD)
	CC=$(TSAN_CC) cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEINC_TSAN=ON -DEINC_OPENMP=OFF -DEINC_PROGRAMS=ON -DEINC_PYTHON=OFF -DEINC_WERROR=$(WERROR) $(CMAKE_FLAGS) >$(TSAN_BUILD)/configure.log
	@grep '^-- einc: ' $(TSAN_BUILD)/configure.log
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target $(TSAN_TESTS) einc_tool
	cd $(TSAN_BUILD) && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 die_after_fork=0 $(TSAN_OPTIONS)" ctest --output-on-failure -j $(JOBS) -R '^($(subst $(eval) ,|,$(strip $(TSAN_TESTS))))$$'

# normal build first, then the ASan/UBSan build, then the TSan one; ends with ctest's summary line
test: test-normal test-asan test-tsan

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

# a short campaign of every fuzz target under ASan + UBSan (FUZZ_SECONDS each, default 30), then the
# Python package's fuzzer on the normal build's extension for as long; fails
# on any finding, whose input is left in /tmp/einc-fuzz-artifacts/ (fuzz/README.md)
FUZZ_SECONDS ?= 30
fuzz-check: fuzz build
	./fuzz/campaign.sh $(FUZZ_SECONDS) notation npy safetensors axes
	PYTHONPATH=$(BUILD)/python python3 fuzz/fuzz_python.py $(FUZZ_SECONDS)

format:
	git ls-files '*.c' '*.h' '*.hpp' '*.cpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) build-fuzz
