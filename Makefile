# hhsim - Makefile. `make help` lists the targets.
#
# Libraries are found with pkg-config; `make deps` installs them (Debian 12).
# No -ffast-math / -Ofast anywhere: results must be bit-reproducible.

CC      ?= gcc
PKGS    := gsl hdf5 openblas inih
DEB_PKGS := gcc make pkg-config libgsl-dev libhdf5-dev hdf5-tools \
            libopenblas-dev libinih-dev libcmocka-dev gnuplot-nox
# PyTorch for the bench peers only (tests/bench): large with its dependencies and
# slow to install, so not in DEB_PKGS (make deps, CI)
BENCH_DEB_PKGS := python3-torch
PARAMS  ?= params/default.ini
NAME    ?= $(basename $(notdir $(PARAMS)))

HAVE_DEPS := $(shell pkg-config --exists $(PKGS) cmocka 2>/dev/null && echo yes)
ifeq ($(HAVE_DEPS),yes)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
# GSL's .pc adds its reference CBLAS; every BLAS call goes to OpenBLAS instead.
PKG_LIBS   := $(filter-out -lgslcblas,$(shell pkg-config --libs $(PKGS)))
CMOCKA_LIBS := $(shell pkg-config --libs cmocka)
endif

GIT_COMMIT := $(shell git rev-parse --verify -q HEAD 2>/dev/null || echo unknown)
GIT_DIRTY  := $(shell test -z "$$(git status --porcelain --untracked-files=no 2>/dev/null)" && echo 0 || echo 1)
VERSION    := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
# Hash of the simulator's sources: `hhsim run` reruns a job whose output was
# written by other simulator code (analysis-only changes rerun nothing).
SIM_HASH   := $(shell cat $(sort $(wildcard sim/*.c sim/*.h)) | sha256sum | cut -c1-16)

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -Wall -Wextra -Werror -MMD -MP -D_POSIX_C_SOURCE=200809L \
           -Isim -Ianalysis $(PKG_CFLAGS)
LDLIBS  := -lhdf5_hl $(PKG_LIBS) -lm

SIM_SRC  := $(filter-out sim/main.c,$(wildcard sim/*.c))
ANA_SRC  := $(filter-out analysis/hhfit.c,$(wildcard analysis/*.c))
SIM_OBJ  := $(SIM_SRC:%.c=build/%.o)
ANA_OBJ  := $(ANA_SRC:%.c=build/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=bin/tests/%)

.PHONY: all deps test figures bench bench-deps clean help check-deps

## all: build bin/hhsim and bin/hhfit (default)
all: check-deps bin/hhsim bin/hhfit

## deps: install the Debian packages hhsim needs (as root), else print the command
deps:
	@if [ "$$(id -u)" = 0 ]; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $(DEB_PKGS); \
	else \
	  echo "run as root:  apt-get update && apt-get install -y $(DEB_PKGS)"; \
	  pkg-config --exists $(PKGS) cmocka || exit 1; \
	fi

check-deps:
	@pkg-config --exists $(PKGS) cmocka || { \
	  echo "hhsim: missing libraries ($(PKGS) cmocka); run 'make deps'" >&2; exit 1; }

build/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

build/sim/version.o: CFLAGS += -DHH_VERSION='"$(VERSION)"' \
  -DHH_GIT_COMMIT='"$(GIT_COMMIT)"' -DHH_GIT_DIRTY=$(GIT_DIRTY) -DHH_SIM_HASH='"$(SIM_HASH)"'
build/sim/version.o: $(wildcard .git/index) VERSION $(filter-out sim/version.c,$(SIM_SRC)) \
  $(ANA_SRC) sim/main.c analysis/hhfit.c

build/libhhsim.a: $(SIM_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

build/libhhfit.a: $(ANA_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

bin/hhsim: build/sim/main.o build/libhhsim.a
	@mkdir -p bin
	$(CC) -o $@ $^ $(LDLIBS)

bin/hhfit: build/analysis/hhfit.o build/libhhfit.a build/libhhsim.a
	@mkdir -p bin
	$(CC) -o $@ $^ $(LDLIBS)

bin/tests/%: build/tests/%.o build/libhhfit.a build/libhhsim.a
	@mkdir -p bin/tests
	$(CC) -o $@ $^ $(LDLIBS) $(CMOCKA_LIBS)

## test: build and run every test suite; ends with "N passed, N failed"
test: all $(TEST_BIN)
	@bash tests/run_tests.sh $(TEST_BIN)

## figures: run PARAMS (default params/default.ini), fit, draw figures/out/NAME/ and the claims report
figures:
	@pkg-config --exists $(PKGS) cmocka || $(MAKE) deps
	@$(MAKE) --no-print-directory all
ifeq ($(PARAMS),params/$(NAME).ini)
	@$(MAKE) --no-print-directory figures/out/$(NAME)/.done
	@echo "make figures: data runs/$(NAME)/, tables and claims results/$(NAME)/, figures figures/out/$(NAME)/"
else
	bash figures/make_figures.sh "$(PARAMS)" "$(NAME)"
endif

# The pipeline as real files: a changed params file or simulator reruns
# `hhsim run` (which itself skips up-to-date jobs); a changed analysis reruns
# only hhfit and gnuplot.
runs/%/.done: params/%.ini bin/hhsim
	@t0=$$(date +%s); bin/hhsim run $< -o runs/$* && touch $@ && \
	  echo "make figures: simulation took $$(( $$(date +%s) - t0 )) s" >&2

results/%/tables.h5: runs/%/.done bin/hhfit papers/bai2022/claims.tsv figures/style.gp
	@t0=$$(date +%s); bin/hhfit runs/$* -o results/$* && \
	  echo "make figures: analysis took $$(( $$(date +%s) - t0 )) s" >&2

figures/out/%/.done: results/%/tables.h5
	@mkdir -p $(dir $@); t0=$$(date +%s); n=0; \
	for g in results/$*/*.gp; do gnuplot -e "outdir='$(dir $@)'" $$g || exit 1; n=$$((n + 1)); done; \
	touch $@; echo "make figures: drew $$n figures in $$(( $$(date +%s) - t0 )) s" >&2

.PRECIOUS: runs/%/.done results/%/tables.h5

## bench: training and sampling speed per scale beside PyTorch (runs bench-deps first when root and torch is missing)
bench: all
	@/usr/bin/python3 -c 'import torch' 2>/dev/null || [ "$$(id -u)" != 0 ] || $(MAKE) --no-print-directory bench-deps
	bash tests/bench/run_bench.sh

## bench-deps: install Debian's PyTorch for the bench peers (as root), else print the command; not part of deps (large, bench only)
bench-deps:
	@if [ "$$(id -u)" = 0 ]; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $(BENCH_DEB_PKGS); \
	else \
	  echo "run as root:  apt-get update && apt-get install -y $(BENCH_DEB_PKGS)"; \
	fi

## clean: remove build products (not runs/ or results/)
clean:
	rm -rf build bin

## help: list the targets
help:
	@grep -E '^## ' Makefile | sed 's/^## /  /'

-include $(SIM_OBJ:.o=.d) $(ANA_OBJ:.o=.d) build/sim/main.d build/analysis/hhfit.d \
         $(TEST_SRC:tests/%.c=build/tests/%.d)
