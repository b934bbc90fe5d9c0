# spanlog - one GNU Makefile.
#
#   make            build ./spanlog
#   make check      install missing packages, build, run every test (also under ASan+UBSan)
#   make demo       install missing packages, build, run on the bundled capture
#   make bench      speed and memory next to tcpdump and ndpiReader
#   make fuzz       libFuzzer targets (clang), FUZZ_SECONDS each
#   make SANITIZER=address,undefined   sanitized build in build-san/
#   make DEV=1      adds -Werror

CC ?= cc
PKGS := libpcap libndpi hiredis libmaxminddb yaml-0.1 libssl libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wvla -Wstrict-prototypes -Wformat=2 -Wwrite-strings \
	-Wno-missing-field-initializers
OPT ?= -O2
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE -I. $(OPT) -g $(WARN) $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL := $(PKG_LIBS) -lpthread -lm $(LDLIBS)
ifeq ($(DEV),1)
CFLAGS_ALL += -Werror
endif

ifneq ($(SANITIZER),)
BUILD := build-san
CFLAGS_ALL += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=$(SANITIZER)
BIN := $(BUILD)/spanlog
else
BUILD := build
BIN := spanlog
endif

LIB_SRC := $(sort $(filter-out sensor/main.c,$(wildcard sensor/*.c dissectors/*.c flows/*.c ot/*.c)))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/sensor/main.o
UNIT_SRC := $(sort $(wildcard tests/unit/*_test.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC := $(sort $(wildcard tests/gen/*.c))
TOOL_BIN := $(TOOL_SRC:tests/gen/%.c=$(BUILD)/tools/%)
DEPS := $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_BIN:=.d) $(TOOL_BIN:=.d)

PREFIX ?= /usr/local
NPROC := $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps check test test-fast demo bench fuzz fuzz-short golden-update install clean tools units

all: $(BIN) units tools

$(BIN): $(MAIN_OBJ) $(BUILD)/libspanlog.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/libspanlog.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

units: $(UNIT_BIN)
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libspanlog.a tests/unit/testhelp.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP $(LDFLAGS) -o $@ $< $(BUILD)/libspanlog.a $(LDLIBS_ALL)

tools: $(TOOL_BIN)
$(BUILD)/tools/%: tests/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP $(LDFLAGS) -o $@ $< $(LDLIBS_ALL)

deps:
	@scripts/install-deps.sh

# Everything: optimised build + tests, then the same tests under ASan+UBSan.
check: deps
	$(MAKE) -j$(NPROC) all
	$(MAKE) -j$(NPROC) SANITIZER=address,undefined all
	tests/run_tests.sh

demo: deps
	$(MAKE) -j$(NPROC) all
	scripts/demo.sh

bench: deps
	$(MAKE) -j$(NPROC) all
	scripts/bench.sh

FUZZ_SECONDS ?= 600
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-short:
	scripts/fuzz.sh 20

golden-update: all
	tests/run_tests.sh --update-golden

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/spanlog

clean:
	rm -rf build build-san build-fuzz spanlog

-include $(DEPS)
