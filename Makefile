# chainsleuth — one plain GNU Makefile.
#   make            build bin/chainsleuth, bin/chainsleuth-gen, lib/libchainsleuth.a
#   make test       unit tests (cmocka) + end-to-end CLI tests
#   make check      the same tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make fuzz       libFuzzer targets (clang); FUZZ_SECONDS=N runs each for N s
#   make bench      benchmarks (never fail on timing)
#   make demo       the end-to-end story on built-in data (KEEP=1 keeps its store)
#   make install    PREFIX=/usr/local (DESTDIR too): binaries, libchainsleuth.a, headers
#                   as <chainsleuth/util/json.h>, lib/pkgconfig/chainsleuth.pc
# Plain `make` never installs packages; `make test`, `make check` and `make demo`
# first run scripts/install-deps (apt-get only when something is missing).
# Every src/<module>/*.c goes into the library; src/cli/*.c make the binary.
# New files are picked up by wildcard: no list to keep in sync.

CC      ?= cc
PREFIX  ?= /usr/local
BUILD   ?= build
MODE    ?= release
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-format-truncation
CPPFLAGS += -D_GNU_SOURCE -Isrc
# the EVM tracer (cmd_trace_evm.c) attributes through the EVM clustering when it is built
ifneq ($(wildcard src/cluster/evm_cluster.h),)
  CPPFLAGS += -DCS_HAVE_EVMCLU
endif
ifeq ($(MODE),check)
  CFLAGS  ?= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
else
  CFLAGS  ?= -O2 -g
  # link-time optimisation with GCC: the walkers call the store's row accessors
  # across files millions of times a second (trace: 4.3 -> 5.0 M tx/s measured)
  ifneq ($(shell $(CC) --version 2>/dev/null | grep -c 'Free Software Foundation'),0)
    ifeq ($(origin CFLAGS),file)
      CFLAGS  += -flto=auto -ffat-lto-objects
      LDFLAGS += -flto=auto
      AR      := gcc-ar
      TEST_NOLTO := -fno-lto # unit tests link the fat objects' plain code
    endif
  endif
endif
CFLAGS  += $(WARN) -MMD -MP
LDLIBS  += $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl) -lsnappy -lsecp256k1 -lcrypto -lm -lpthread
# the server (src/server): libmicrohttpd for HTTP, SQLite for its state
LDLIBS  += $(shell pkg-config --libs libmicrohttpd sqlite3 2>/dev/null || echo -lmicrohttpd -lsqlite3)
VERSION := $(shell sed -n 's/^\#define CS_VERSION "\(.*\)"/\1/p' src/cli/main.c)
# every src/ .c file is compiled with util/banned.h forced in (strcpy, sprintf,
# ... become compile errors).  Exempt, until their owners replace the calls:
#   (none today)
BANNED_EXEMPT :=
BANNED_FLAGS := -include src/util/banned.h

B       := $(BUILD)/$(MODE)
LIB_SRC := $(wildcard src/util/*.c src/btc/*.c src/store/*.c src/tags/*.c src/cluster/*.c src/trace/*.c src/chain/*.c src/risk/*.c src/report/*.c src/evm/*.c src/server/*.c)
CLI_SRC := $(wildcard src/cli/*.c)
GEN_SRC := $(wildcard tools/gen/*.c)
BENCH_SRC := $(wildcard bench/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(B)/%.o)
GEN_OBJ := $(GEN_SRC:%.c=$(B)/%.o)
BENCH_OBJ := $(BENCH_SRC:%.c=$(B)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

LIBA    := $(B)/libchainsleuth.a
BIN     := $(B)/chainsleuth
GENBIN  := $(B)/chainsleuth-gen
BENCHBIN := $(B)/chainsleuth-bench

.PHONY: all deps test unit cli-test check fuzz bench demo install clean format
ALL_BINS := $(BIN) $(if $(GEN_SRC),$(GENBIN)) $(if $(BENCH_SRC),$(BENCHBIN))
all: $(ALL_BINS)
	@mkdir -p bin && for b in $(ALL_BINS); do case $$b in /*) t=$$b;; *) t=../$$b;; esac; \
	  ln -sf $$t bin/$$(basename $$b); done

# Installs Debian packages only when a probe says something is missing.  Only
# the goals that set up a machine (test, check, demo, fuzz) ask for it, and
# before anything is compiled (order-only, so it never forces a rebuild).
deps:
	@scripts/install-deps --check-only >/dev/null 2>&1 || scripts/install-deps
ifneq ($(filter test check demo unit cli-test fuzz,$(MAKECMDGOALS)),)
$(LIB_OBJ) $(CLI_OBJ) $(GEN_OBJ) $(BENCH_OBJ) $(UNIT_BIN): | deps
endif

$(filter-out $(BANNED_EXEMPT:%.c=$(B)/%.o),$(LIB_OBJ) $(CLI_OBJ)): CPPFLAGS += $(BANNED_FLAGS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

# the git commit the binary is built from (case reports and --version name it):
# a generated header, rewritten only when the commit (or the dirty mark) changes,
# so a new commit rebuilds main.o and nothing else; "unknown" outside git.
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git rev-parse HEAD >/dev/null 2>&1 && ! git diff --quiet HEAD -- src 2>/dev/null && echo -dirty)
$(B)/gen/cs_commit.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define CS_GIT_COMMIT "$(GIT_COMMIT)"' >$@.tmp; cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp
$(B)/src/cli/main.o: $(B)/gen/cs_commit.h
$(B)/src/cli/main.o: CPPFLAGS += -I$(B)/gen
.PHONY: FORCE
FORCE:

# docs/openapi.json compiled into the binary (served at /v1/openapi.json)
$(B)/gen/openapi.c: docs/openapi.json
	@mkdir -p $(dir $@)
	@{ echo '#include <stddef.h>'; echo 'const char cs_openapi_json[] = {'; \
	  od -An -v -tx1 $< | sed 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; echo '0};'; \
	  echo 'const size_t cs_openapi_json_len = sizeof cs_openapi_json - 1;'; } >$@.tmp && mv $@.tmp $@
$(B)/gen/openapi.o: $(B)/gen/openapi.c
	$(CC) $(CFLAGS) -c $< -o $@

$(BIN): $(CLI_OBJ) $(B)/gen/openapi.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(B)/gen/openapi.o $(LIBA) $(LDLIBS)

$(GENBIN): $(GEN_OBJ) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $(GEN_OBJ) $(LIBA) $(LDLIBS)

$(BENCHBIN): $(BENCH_OBJ) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $(BENCH_OBJ) $(LIBA) $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(TEST_NOLTO) -o $@ $< $(LIBA) $(LDFLAGS) $(TEST_NOLTO) -lcmocka $(LDLIBS)

unit: all $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do echo "== $$t"; $$t || fail=1; done; exit $$fail

cli-test: all
	@BIN=$(abspath $(BIN)) GENBIN=$(abspath $(GENBIN)) LIBA=$(abspath $(LIBA)) CS_MODE=$(MODE) tests/cli/run-all

test: unit cli-test

check: deps
	$(MAKE) MODE=check test

FUZZ_SECONDS ?= 0
fuzz: deps
	@mkdir -p $(BUILD)/fuzz
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  echo "clang -fsanitize=fuzzer $$f"; \
	  clang -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS) -o $(BUILD)/fuzz/$$n $$f $(LIB_SRC) $(LDLIBS) || exit 1; done
	@if [ "$(FUZZ_SECONDS)" != 0 ]; then for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  s=tests/fuzz/seeds/$${n#fuzz_}; mkdir -p $(BUILD)/fuzz/corpus-$$n; \
	  $(BUILD)/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -rss_limit_mb=2048 \
	    $(BUILD)/fuzz/corpus-$$n $$( [ -d $$s ] && echo $$s ) || exit 1; done; fi

bench: all
	$(BENCHBIN) all
	bench/evm_trace.sh
	bench/evm_node.sh
	/usr/bin/python3 bench/serve.py --bin $(BIN) --gen $(GENBIN)

# KEEP=1 keeps the demo's scratch store and prints its path (scripts/demo --help)
demo: all
	KEEP="$(KEEP)" scripts/demo

# Headers go to include/chainsleuth/<module>/; chainsleuth.pc's Cflags name both
# include/ (for <chainsleuth/util/json.h>) and include/chainsleuth/ (so the
# headers' own "util/error.h" includes resolve).  Libs.private follows LDLIBS.
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/chainsleuth
	install -m 755 $(BIN) $(GENBIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(LIBA) $(DESTDIR)$(PREFIX)/lib/
	for d in src/*/; do m=$$(basename $$d); [ $$m = cli ] && continue; ls $$d*.h >/dev/null 2>&1 || continue; \
	  install -d $(DESTDIR)$(PREFIX)/include/chainsleuth/$$m; \
	  for h in $$d*.h; do case $$h in *_int.h|src/util/banned.h) ;; *) install -m 644 $$h $(DESTDIR)$(PREFIX)/include/chainsleuth/$$m/;; esac; done; done
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@LIBS_PRIVATE@|$(strip $(LDLIBS))|' \
	  chainsleuth.pc.in >$(DESTDIR)$(PREFIX)/lib/pkgconfig/chainsleuth.pc
	chmod 644 $(DESTDIR)$(PREFIX)/lib/pkgconfig/chainsleuth.pc
	install -d $(DESTDIR)$(PREFIX)/share/doc/chainsleuth
	install -m 644 docs/METHODS.md $(DESTDIR)$(PREFIX)/share/doc/chainsleuth/
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	  $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	$(BIN) man > $(DESTDIR)$(PREFIX)/share/man/man1/chainsleuth.1
	$(BIN) completion bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/chainsleuth
	$(BIN) completion zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_chainsleuth

format:
	clang-format -i $$(find src tools tests bench -name '*.[ch]')

clean:
	rm -rf $(BUILD) bin

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(GEN_OBJ:.o=.d) $(BENCH_OBJ:.o=.d)
