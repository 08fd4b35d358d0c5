# crmd — build, run and test. `make run` and `make test` install what is missing first.
CC      ?= cc
CXX     ?= c++
BUILD   ?= build
PKGS    := libmicrohttpd jansson sqlite3 libsodium libpq
# libcurl's headers only: the library is loaded when a webhook is first sent (src/lib/libcurl.h).
CURL_CFLAGS := $(shell pkg-config --cflags libcurl 2>/dev/null)
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
override CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(CURL_CFLAGS)
CXXFLAGS ?= -O2 -g
override CXXFLAGS += -std=c++17 -Wall -Wextra -Werror -Isrc
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lwslay -lphonenumber -lpthread -ldl -lstdc++
SAN     :=
# The builds of `make test` and `make asan` run this many compilers at once (CI's 15 minutes).
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)

LIB_SRC  := $(wildcard src/lib/*.c)
LIB_CXX  := $(wildcard src/lib/*.cc)
APP_SRC  := $(wildcard src/http/*.c src/api/*.c src/service/*.c src/store/*.c src/store/*/*.c src/model/*.c src/realtime/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(LIB_CXX:%.cc=$(BUILD)/%.o)
APP_OBJ  := $(APP_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/console_assets.o
CLI_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(wildcard src/cli/*.c))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps run cluster test test-unit test-api asan clean bench fuzz fuzz-build
all: $(BUILD)/crmd

deps:
	@scripts/install-deps

$(BUILD)/crmd: $(BUILD)/src/main.o $(CLI_OBJ) $(APP_OBJ) $(LIB_OBJ)
	$(CC) $(SAN) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c $(wildcard src/*/*.h src/*/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -c -o $@ $<

$(BUILD)/%.o: %.cc $(wildcard src/*/*.h src/*/*/*.h)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $(SAN) -c -o $@ $<

# The web console (web/, docs/console.md): npm installs the locked packages, web/build.mjs
# bundles them and writes every file into one generated C file.
WEB_SRC := $(wildcard web/src/*) web/build.mjs web/package-lock.json

web/node_modules/.installed: web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(BUILD)/gen/console_assets.c: $(WEB_SRC) web/node_modules/.installed
	@mkdir -p $(dir $@)
	node web/build.mjs $@

$(BUILD)/gen/console_assets.o: $(BUILD)/gen/console_assets.c src/api/console_assets.h
	$(CC) $(CFLAGS) $(SAN) -c -o $@ $<

# The OpenAPI document (openapi/openapi.yaml, as JSON) and Redoc's standalone bundle (from npm,
# pinned by openapi/package-lock.json) are embedded by src/api/assets.c (docs/openapi.md).
OPENAPI_NPM := openapi/node_modules/.package-lock.json
REDOC_JS    := openapi/node_modules/redoc/bundles/redoc.standalone.js

$(OPENAPI_NPM): openapi/package.json openapi/package-lock.json
	cd openapi && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

$(BUILD)/openapi.json: openapi/openapi.yaml openapi/to-json.mjs $(OPENAPI_NPM)
	@mkdir -p $(dir $@)
	node openapi/to-json.mjs $< $@

$(BUILD)/src/api/assets.o: $(BUILD)/openapi.json $(OPENAPI_NPM)
$(BUILD)/src/api/assets.o: override CFLAGS += -DASSET_OPENAPI_JSON='"$(BUILD)/openapi.json"' \
	-DASSET_REDOC_JS='"$(REDOC_JS)"'

# Every module but main.o, as an archive: a unit test pulls in only what it uses.
$(BUILD)/libcrmd.a: $(APP_OBJ) $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(BUILD)/libcrmd.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -Itests/unit -o $@ $< $(BUILD)/libcrmd.a $(LDLIBS)

# Benchmark programs in C (bench/*.c), linked like the unit tests.
$(BUILD)/bench-%: bench/%.c $(BUILD)/libcrmd.a
	$(CC) $(CFLAGS) $(SAN) -o $@ $< $(BUILD)/libcrmd.a $(LDLIBS)

run: deps $(BUILD)/crmd
	@scripts/run-demo

# Three servers on a throwaway PostgreSQL behind HAProxy on 127.0.0.1:2212 (docs/deploy.md).
cluster: deps $(BUILD)/crmd
	@deploy/local-cluster

test: deps
	@$(MAKE) -j$(JOBS) --no-print-directory $(BUILD)/crmd $(UNIT_BIN)
	@$(MAKE) --no-print-directory fuzz-build
	@BUILD=$(BUILD) FUZZ_BUILD=$(FUZZ_BUILD) scripts/with-postgres scripts/run-tests

test-unit: $(UNIT_BIN)
	@BUILD=$(BUILD) scripts/run-tests unit

test-api: $(BUILD)/crmd
	@BUILD=$(BUILD) scripts/run-tests api

asan: deps
	@$(MAKE) -j$(JOBS) --no-print-directory BUILD=build-asan CFLAGS="-O1 -g -fno-omit-frame-pointer" \
	  CXXFLAGS="-O1 -g -fno-omit-frame-pointer" SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  build-asan/crmd $(patsubst $(BUILD)/%,build-asan/%,$(UNIT_BIN))
	@$(MAKE) --no-print-directory fuzz-build
	@BUILD=build-asan FUZZ_BUILD=$(FUZZ_BUILD) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  scripts/with-postgres scripts/run-tests

bench: $(BUILD)/crmd
	@bench/run

# Fuzzing (tests/fuzz, libFuzzer): every module built again by clang with the fuzzer's coverage
# and ASan/UBSan into build-fuzz/, one binary per tests/fuzz/fuzz_*.c. `make fuzz` runs each for
# FUZZ_SECONDS; `make test` runs each for a few seconds (scripts/run-fuzz). clang++ links, for
# UBSan's C++ checks in the phone shim.
FUZZ_BUILD   := build-fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_BIN     := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60

fuzz-build:
	@$(MAKE) -j$(JOBS) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang CXX=clang++ \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer" CXXFLAGS="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" $(FUZZ_BIN)

$(FUZZ_BUILD)/fuzz/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) $(FUZZ_BUILD)/libcrmd.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -Itests/fuzz -c -o $@.o $<
	$(CXX) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $@.o $(FUZZ_BUILD)/libcrmd.a $(LDLIBS)

fuzz: deps fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) scripts/run-fuzz $(FUZZ_SECONDS)

clean:
	rm -rf build build-asan build-fuzz
