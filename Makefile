# hhsim - Makefile. `make help` lists the targets.
#
# Libraries are found with pkg-config; `make deps` installs them (Debian 12).
# No -ffast-math / -Ofast anywhere: results must be bit-reproducible.

CC      ?= gcc
PKGS    := gsl hdf5 openblas inih
DEB_PKGS := gcc make pkg-config libgsl-dev libhdf5-dev hdf5-tools \
            libopenblas-dev libinih-dev libcmocka-dev gnuplot-nox libopenmpi-dev openmpi-bin \
            chromium
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

# (a tree unpacked from `make dist` has no .git: its DIST_COMMIT names the commit)
GIT_COMMIT := $(shell git rev-parse --verify -q HEAD 2>/dev/null || cat DIST_COMMIT 2>/dev/null || echo unknown)
GIT_DIRTY  := $(shell test -z "$$(git status --porcelain --untracked-files=no 2>/dev/null)" && echo 0 || echo 1)
VERSION    := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
# Hash of the simulator's sources: `hhsim run` reruns a job whose output was
# written by other simulator code (analysis-only changes rerun nothing).
SIM_DIRS   := core model world stages cli
SIM_FILES  := $(sort $(wildcard $(SIM_DIRS:%=sim/%/*.c) $(SIM_DIRS:%=sim/%/*.h) sim/*.c sim/*.h))
SIM_HASH   := $(shell cat $(SIM_FILES) | sha256sum | cut -c1-16)

# CFLAGS is the user's (optimisation, debug; `make CFLAGS=-O0` replaces only
# it); HH_CFLAGS holds what the project needs and is always used.
CFLAGS  ?= -O2 -g
HH_CFLAGS := -std=c11 -pthread -Wall -Wextra -Werror -MMD -MP -D_POSIX_C_SOURCE=200809L \
           $(SIM_DIRS:%=-Isim/%) -Ianalysis $(PKG_CFLAGS)
LDLIBS  := -lhdf5_hl $(PKG_LIBS) -lm -pthread

SIM_SRC  := $(filter-out sim/cli/main.c sim/cli/mpi.c,$(filter %.c,$(SIM_FILES)))
ANA_SRC  := $(filter-out analysis/hhfit.c,$(wildcard analysis/*.c))
SIM_OBJ  := $(SIM_SRC:%.c=build/%.o)
ANA_OBJ  := $(ANA_SRC:%.c=build/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=bin/tests/%)

.PHONY: all deps test test-killresume figures bench bench-deps clean help check-deps fuzz fuzz-deps test-sanitize \
        check-results expected-results install uninstall dist distcheck man

# bin/hhsim-mpi (the cluster path, `mpirun -np N bin/hhsim-mpi run ...`) is
# built from the same sources when Open MPI's mpicc is installed.
MPICC   := $(shell command -v mpicc 2>/dev/null)
MPI_BIN := $(if $(MPICC),bin/hhsim-mpi)

## all: build bin/hhsim, bin/hhfit and, with Open MPI, bin/hhsim-mpi (default)
all: check-deps bin/hhsim bin/hhfit $(MPI_BIN)

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
	$(CC) $(HH_CFLAGS) $(CFLAGS) -c $< -o $@

build/sim/core/version.o: HH_CFLAGS += -DHH_VERSION='"$(VERSION)"' \
  -DHH_GIT_COMMIT='"$(GIT_COMMIT)"' -DHH_GIT_DIRTY=$(GIT_DIRTY) -DHH_SIM_HASH='"$(SIM_HASH)"'
build/sim/core/version.o: $(wildcard .git/index) VERSION $(filter-out sim/core/version.c,$(SIM_SRC)) \
  $(ANA_SRC) sim/cli/main.c analysis/hhfit.c

build/libhhsim.a: $(SIM_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

build/libhhfit.a: $(ANA_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

bin/hhsim: build/sim/cli/main.o build/libhhsim.a
	@mkdir -p bin
	$(CC) -o $@ $^ $(LDLIBS)

build/mpi/%.o: %.c
	@mkdir -p $(dir $@)
	$(MPICC) -DHH_MPI $(HH_CFLAGS) $(CFLAGS) -c $< -o $@

bin/hhsim-mpi: build/mpi/sim/cli/main.o build/mpi/sim/cli/mpi.o build/libhhsim.a
	@mkdir -p bin
	$(MPICC) -o $@ $^ $(LDLIBS)

bin/hhfit: build/analysis/hhfit.o build/libhhfit.a build/libhhsim.a
	@mkdir -p bin
	$(CC) -o $@ $^ $(LDLIBS)

bin/tests/%: build/tests/%.o build/libhhfit.a build/libhhsim.a
	@mkdir -p bin/tests
	$(CC) -o $@ $^ $(LDLIBS) $(CMOCKA_LIBS)

# h5craft: edits HDF5 files as an attacker would (tests/cli/readers.sh, fuzz seeds)
bin/tests/h5craft: build/tests/h5craft.o
	@mkdir -p bin/tests
	$(CC) -o $@ $^ $(LDLIBS)

## test: build and run every test suite; ends with "N passed, N failed"
test: all $(TEST_BIN) bin/tests/h5craft
	@bash tests/run_tests.sh $(TEST_BIN)

## test-killresume: SIGKILL a smoke run at 20 points, rerun; outputs bit-identical, no temp files left (~10 min)
test-killresume: all
	@bash tests/killresume/killresume.sh | tee /dev/stderr | grep -q '^FAIL' && exit 1 || exit 0

## figures: run PARAMS (default params/default.ini; SET='section.key=value ...' overrides keys), fit, draw figures/out/NAME/ and the claims report
figures:
	@pkg-config --exists $(PKGS) cmocka || $(MAKE) deps
	@$(MAKE) --no-print-directory all
ifneq ($(strip $(SET)),)
	SET='$(strip $(SET))' bash figures/make_figures.sh $(PARAMS)
else ifeq ($(PARAMS),params/$(NAME).ini)
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
	@mkdir -p $(dir $@); t0=$$(date +%s); n=$$(ls results/$*/*.gp | wc -l); \
	ls results/$*/*.gp | xargs -P 2 -n 1 gnuplot -e "outdir='$(dir $@)'" || exit 1; \
	echo "make figures: drew $$n figures in $$(( $$(date +%s) - t0 )) s (two at a time)" >&2; \
	bin/hhfit report results/$* --figures $(dir $@) && touch $@

EXPECTED ?= papers/bai2022/expected-$(NAME).tsv
## check-results: run PARAMS if needed, then compare its claims with $(EXPECTED) claim by claim (exit 1 on a mismatch)
check-results: all
	@test -f $(EXPECTED) || { echo "check-results: no $(EXPECTED); write it with 'make expected-results PARAMS=$(PARAMS)'" >&2; exit 2; }
	@$(MAKE) --no-print-directory results/$(NAME)/tables.h5
	bin/hhfit check results/$(NAME) $(EXPECTED)

# Other OpenBLAS kernels stand in for other machines (analysis/expect.h); both run on any x86-64 with AVX.
EXPECTED_KERNELS ?= Sandybridge Nehalem
## expected-results: write $(EXPECTED) from PARAMS run here and with the OpenBLAS kernels $(EXPECTED_KERNELS) (3 runs)
expected-results: all
	@$(MAKE) --no-print-directory results/$(NAME)/tables.h5
	@also=""; for k in $(EXPECTED_KERNELS); do \
	  OPENBLAS_CORETYPE=$$k bin/hhsim run $(PARAMS) -o runs/$(NAME)-blas-$$k --quiet && \
	  bin/hhfit runs/$(NAME)-blas-$$k -o results/$(NAME)-blas-$$k --quiet || exit 1; \
	  also="$$also --also results/$(NAME)-blas-$$k"; done; \
	bin/hhfit check results/$(NAME) $(EXPECTED) --write $$also

.PRECIOUS: runs/%/.done results/%/tables.h5
# test objects are kept (no "rm ..." after the closing "N passed, N failed" line)
.SECONDARY: $(TEST_SRC:tests/%.c=build/tests/%.o) build/tests/h5craft.o

# ---------------------------------------------------------------------------
# fuzzing and sanitizers: separate build directories, the normal build untouched

FUZZ_DEB_PKGS := clang libclang-rt-14-dev
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := inspect stage hhfit params results elodata onlinedata segdata lmkb
FUZZ_NUM_inspect := 1
FUZZ_NUM_stage := 2
FUZZ_NUM_hhfit := 3
FUZZ_NUM_params := 4
FUZZ_NUM_results := 5
FUZZ_NUM_elodata := 6
FUZZ_NUM_onlinedata := 7
FUZZ_NUM_segdata := 8
FUZZ_NUM_lmkb := 9
FUZZ_CFLAGS := -std=c11 -pthread -g -O1 -Wall -Wextra -D_POSIX_C_SOURCE=200809L $(SIM_DIRS:%=-Isim/%) -Ianalysis \
               $(PKG_CFLAGS) -DHH_VERSION='"$(VERSION)"' -DHH_GIT_COMMIT='"$(GIT_COMMIT)"' \
               -DHH_GIT_DIRTY=$(GIT_DIRTY) -DHH_SIM_HASH='"$(SIM_HASH)"' \
               -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_OBJ := $(SIM_SRC:%.c=build-fuzz/%.o) $(ANA_SRC:%.c=build-fuzz/%.o)
.SECONDARY: $(FUZZ_OBJ)  # kept between builds of the targets (not deleted as intermediates)

build-fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

bin/fuzz/fuzz_%: tests/fuzz/fuzz_readers.c $(FUZZ_OBJ)
	@mkdir -p bin/fuzz
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -DFUZZ_TARGET=$(FUZZ_NUM_$*) -o $@ $^ $(LDLIBS)

fuzz-deps:
	@command -v clang >/dev/null && ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    apt-get install -y -qq --no-install-recommends $(FUZZ_DEB_PKGS); \
	  else echo "run as root:  apt-get install -y $(FUZZ_DEB_PKGS)" >&2; exit 1; fi; }

## fuzz: libFuzzer + ASan/UBSan on the HDF5 readers (stages, hhfit, elo, online, segments, /kb and /facts), the params parser and the results readers, FUZZ_SECONDS (60) per target
fuzz: fuzz-deps all bin/tests/h5craft $(FUZZ_TARGETS:%=bin/fuzz/fuzz_%)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_TARGETS="$(FUZZ_TARGETS)" bash tests/fuzz/run_fuzz.sh

# test-sanitize: the whole suite (cmocka, CLI checks, smoke runs) built with
# ASan + UBSan (LeakSanitizer on) in build-san/src, a copy of the sources;
# without bin/hhsim-mpi (Open MPI is not instrumented; tests/cli/mpi.sh runs
# in the plain `make test`).
SAN_CC := gcc -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:exitcode=86:strict_string_checks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
           UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86

## test-sanitize: build-san/: make test under ASan + UBSan + LeakSanitizer (exit 86 on a report)
test-sanitize: check-deps
	@mkdir -p build-san/src && rm -rf build-san/src/sim build-san/src/analysis build-san/src/tests build-san/src/docs && \
	  cp -r -u --preserve=timestamps Makefile VERSION README.md LICENSE CITATION.cff docs sim analysis tests \
	  params papers figures build-san/src/
	@cd build-san/src && $(SAN_ENV) HH_NO_MPI=1 $(MAKE) --no-print-directory test CC="$(SAN_CC)" MPICC=

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

# ---------------------------------------------------------------------------
# installing and distributing

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  := $(PREFIX)/bin
MANDIR  := $(PREFIX)/share/man/man1
SHAREDIR := $(PREFIX)/share/hhsim
DOCDIR  := $(PREFIX)/share/doc/hhsim
MAN_PAGES := build/man/hhsim.1 build/man/hhfit.1 $(if $(MPI_BIN),build/man/hhsim-mpi.1)
HHSIM_SUMMARY := reproduce RLHF for helpful and harmless assistants (Bai et al. 2022) at laptop scale

build/man/hhsim.1: bin/hhsim sim/cli/manpage.sh VERSION
	@mkdir -p $(dir $@)
	bash sim/cli/manpage.sh bin/hhsim hhsim "$(VERSION)" "$(HHSIM_SUMMARY)" >$@.tmp && mv $@.tmp $@
build/man/hhsim-mpi.1: bin/hhsim sim/cli/manpage.sh VERSION
	@mkdir -p $(dir $@)
	bash sim/cli/manpage.sh bin/hhsim hhsim-mpi "$(VERSION)" "hhsim over MPI ranks: mpirun -np N hhsim-mpi run PARAMS -o DIR" \
	  "hhsim-mpi is hhsim built with Open MPI: its commands and options are those above. Under 'mpirun -np N hhsim-mpi run PARAMS -o DIR' rank 0 runs the world stage, plans and hands out the jobs (running jobs too); the outputs are the same bits for any N and equal to hhsim run's." >$@.tmp && mv $@.tmp $@
build/man/hhfit.1: bin/hhfit sim/cli/manpage.sh VERSION
	@mkdir -p $(dir $@)
	bash sim/cli/manpage.sh bin/hhfit hhfit "$(VERSION)" "fit the paper's relationships to an hhsim run: tables.h5, figure scripts, claims" >$@.tmp && mv $@.tmp $@

## man: the man pages of hhsim, hhfit (and hhsim-mpi), generated from their --help, in build/man/
man: $(MAN_PAGES)

## install: bin/hhsim, bin/hhfit, bin/hhsim-mpi (if built), man pages, share/hhsim (style, make_figures.sh, claims, params) under DESTDIR/PREFIX (/usr/local)
install: all man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(SHAREDIR)/params $(DESTDIR)$(DOCDIR)
	install -m 755 bin/hhsim bin/hhfit $(MPI_BIN) $(DESTDIR)$(BINDIR)/
	install -m 644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/
	install -m 644 figures/style.gp papers/bai2022/claims.tsv $(DESTDIR)$(SHAREDIR)/
	install -m 755 figures/make_figures.sh $(DESTDIR)$(SHAREDIR)/
	install -m 644 params/*.ini $(DESTDIR)$(SHAREDIR)/params/
	install -m 644 README.md LICENSE CITATION.cff $(DESTDIR)$(DOCDIR)/

## uninstall: remove what install put under DESTDIR/PREFIX
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/hhsim $(DESTDIR)$(BINDIR)/hhfit $(DESTDIR)$(BINDIR)/hhsim-mpi
	rm -f $(DESTDIR)$(MANDIR)/hhsim.1 $(DESTDIR)$(MANDIR)/hhfit.1 $(DESTDIR)$(MANDIR)/hhsim-mpi.1
	rm -rf $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(DOCDIR)

DIST := hhsim-$(VERSION)
DISTDIR ?= .

## dist: DISTDIR/hhsim-VERSION.tar.gz (DISTDIR .) of the committed files (git ls-files) and DIST_COMMIT; it builds and passes make test alone
dist:
	@git rev-parse --verify -q HEAD >/dev/null || { echo "make dist: needs the git repository" >&2; exit 1; }
	@[ -z "$$(git status --porcelain --untracked-files=no)" ] || 	  echo "make dist: warning: uncommitted changes; the tarball holds the working tree's tracked files" >&2
	@rm -rf build/dist && mkdir -p build/dist/$(DIST)
	git ls-files -z | xargs -0 cp --parents -p -t build/dist/$(DIST)
	git rev-parse HEAD >build/dist/$(DIST)/DIST_COMMIT
	tar -C build/dist --sort=name --owner=0 --group=0 --numeric-owner \
	  --mtime="@$$(git log -1 --format=%ct)" -czf $(DISTDIR)/$(DIST).tar.gz $(DIST)
	@rm -rf build/dist
	@echo "make dist: $(DISTDIR)/$(DIST).tar.gz ($$(tar -tzf $(DISTDIR)/$(DIST).tar.gz | grep -vc '/$$') files)"

## distcheck: unpack the dist tarball in a temporary directory, build it and run make test there
distcheck: dist
	@d=$$(mktemp -d /tmp/hhsim-distcheck.XXXXXX) && tar -C $$d -xzf $(DIST).tar.gz && 	  $(MAKE) -C $$d/$(DIST) test && $(MAKE) -C $$d/$(DIST) install DESTDIR=$$d/inst && 	  $$d/inst/usr/local/bin/hhsim --version && rm -rf $$d && echo "make distcheck: $(DIST).tar.gz builds, passes make test and installs"

## clean: remove build products (not runs/ or results/)
clean:
	rm -rf build bin build-fuzz build-san hhsim-*.tar.gz

## help: list the targets
help:
	@grep -E '^## ' Makefile | sed 's/^## /  /'

-include $(SIM_OBJ:.o=.d) $(ANA_OBJ:.o=.d) build/sim/cli/main.d build/analysis/hhfit.d \
         build/mpi/sim/cli/main.d build/mpi/sim/cli/mpi.d build/tests/h5craft.d \
         $(TEST_SRC:tests/%.c=build/tests/%.d) $(FUZZ_OBJ:.o=.d)
