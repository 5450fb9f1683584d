# weir — build, test, demo.  `make` builds build/weir; `make test` installs what is
# missing (scripts/setup.sh), builds, and runs every test, then again under
# AddressSanitizer + UndefinedBehaviorSanitizer; `make demo` runs the example job.
#
# SAN=1 builds into build-san/ with the sanitizers; the sources are found by
# wildcard, so a new module needs no edit here.

SAN ?= 0
ifeq ($(SAN),1)
B := build-san
OPT := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
else
B := build
OPT := -O2
endif

CC ?= gcc
CFLAGS := -std=c17 -g $(OPT) -Wall -Wextra -Werror -Wno-missing-field-initializers \
          -D_GNU_SOURCE -Isrc -pthread $(EXTRA_CFLAGS)
LDLIBS := -lpcre2-8 -lsqlite3 -lm -lpthread
LDFLAGS := $(OPT)

LIB_SRC := $(sort $(shell find src -name '*.c' ! -path src/main.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

.PHONY: all setup test test-fast unit sql e2e demo bench clean style
all: $(B)/weir

setup:
	@bash scripts/setup.sh

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/libweir.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/weir: $(B)/obj/src/main.o $(B)/libweir.a
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libweir.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(B)/libweir.a -lcmocka $(LDLIBS)

unit: $(UNIT_BIN)
	@bash tests/run_unit.sh $(B)

sql: $(B)/weir
	@bash tests/sql/run.sh $(B)/weir

e2e: $(B)/weir
	@bash tests/e2e/run.sh $(B)/weir

# The one command of the README: everything, then everything again under ASan+UBSan.
# Compiling runs in parallel; the suites run one after another (the e2e tests
# time signals and would be disturbed by a parallel suite).
test: setup
	$(MAKE) -j2 all $(UNIT_BIN)
	$(MAKE) test-fast
	$(MAKE) -j2 SAN=1 all $(UNIT_BIN:build/%=build-san/%)
	$(MAKE) SAN=1 test-fast
	@echo "make test: all suites passed (plain and ASan+UBSan)"

test-fast: all unit sql e2e

demo: setup all
	@bash examples/run_demo.sh $(B)/weir

bench: setup all
	@bash bench/run.sh $(B)/weir

style:
	clang-format -i $(shell find src tests bench -name '*.[ch]')

clean:
	rm -rf build build-san

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
