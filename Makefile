# Entry points for people and CI; CMake does the real work.
#   make demo   install dependencies, build, and run the bundled offline example end to end
#   make test   install dependencies (with the test-only ones), build, and run the test suite (slow
#               tests excluded)
# DEPS: options for scripts/install-deps.sh; test and test-all set --test (Python reference scripts
# and the schema validator), which demo and build do not need.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

DEPS ?=

.PHONY: all deps configure build test test-all demo clean

all: build

deps:
	@scripts/install-deps.sh $(DEPS)

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test test-all: DEPS += --test

test: build
	ctest --test-dir $(BUILD_DIR) -LE slow --output-on-failure -j $(JOBS)

test-all: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

demo: build
	scripts/demo.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
