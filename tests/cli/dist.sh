#!/usr/bin/env bash
# dist.sh - packaging: `make dist` makes hhsim-VERSION.tar.gz of the tracked
# files, which unpacks, builds alone and runs a smoke world with the same bits
# as this tree's hhsim (`make distcheck` runs the whole make test there);
# `make install` with PREFIX and DESTDIR puts the binaries, man pages made from
# --help and share/hhsim in place, and `make uninstall` removes them all.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh
V=$(cat VERSION)
M() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory "$@"; }

# --- dist (only at the top of a git work tree: not in an unpacked tarball or build-san/src)
if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ]; then
  if M dist DISTDIR="$TMP" >"$TMP/dist.out" 2>&1 && [ -s "$TMP/hhsim-$V.tar.gz" ]; then
    ok "dist: make dist writes hhsim-$V.tar.gz"; else bad "dist: make dist writes hhsim-$V.tar.gz" "$(tail -3 "$TMP/dist.out")"; fi
  tar -tzf "$TMP/hhsim-$V.tar.gz" | sed "s|^hhsim-$V/||" | grep -v '/$' | grep -v '^$' | sort >"$TMP/listed"
  { git ls-files; echo DIST_COMMIT; } | sort >"$TMP/tracked"
  if cmp -s "$TMP/listed" "$TMP/tracked"; then ok "dist: the tarball holds exactly the tracked files and DIST_COMMIT"
  else bad "dist: the tarball holds exactly the tracked files and DIST_COMMIT" "$(diff "$TMP/tracked" "$TMP/listed" | head -5)"; fi
  tar -C "$TMP" -xzf "$TMP/hhsim-$V.tar.gz"
  D="$TMP/hhsim-$V"
  t0=$(date +%s)
  if M -C "$D" -j2 bin/hhsim >"$TMP/build.out" 2>&1 && [ -x "$D/bin/hhsim" ]; then  # (make distcheck: all of make test)
    ok "dist: the unpacked tarball builds alone ($(( $(date +%s) - t0 )) s)"
  else bad "dist: the unpacked tarball builds alone" "$(grep -m3 -i 'error' "$TMP/build.out")"; fi
  if "$D/bin/hhsim" --version | grep -q "git $(git rev-parse HEAD)"; then ok "dist: its hhsim names the commit (DIST_COMMIT)"
  else bad "dist: its hhsim names the commit (DIST_COMMIT)" "$("$D/bin/hhsim" --version)"; fi
  (cd "$D" && bin/hhsim world params/smoke.ini -o "$TMP/w_dist" --quiet) && "$HH" world params/smoke.ini -o "$TMP/w_here" --quiet
  if h5diff --exclude-attribute / "$TMP/w_dist/world.h5" "$TMP/w_here/world.h5" >"$TMP/diff" 2>&1 && [ ! -s "$TMP/diff" ]; then
    ok "dist: its smoke world has this tree's bits"; else bad "dist: its smoke world has this tree's bits" "$(head -3 "$TMP/diff")"; fi
else
  ok "dist: skipped (not the top of a git work tree)"
fi

# --- install / uninstall under DESTDIR and PREFIX
I="$TMP/inst"
if M install DESTDIR="$I" PREFIX=/opt/hh >"$TMP/inst.out" 2>&1; then ok "install: make install DESTDIR PREFIX"
else bad "install: make install DESTDIR PREFIX" "$(tail -3 "$TMP/inst.out")"; fi
miss=""
for f in bin/hhsim bin/hhfit share/man/man1/hhsim.1 share/man/man1/hhfit.1 share/hhsim/style.gp \
         share/hhsim/make_figures.sh share/hhsim/claims.tsv share/hhsim/params/smoke.ini \
         share/doc/hhsim/README.md share/doc/hhsim/CITATION.cff $( [ -x bin/hhsim-mpi ] && echo bin/hhsim-mpi share/man/man1/hhsim-mpi.1); do
  [ -s "$I/opt/hh/$f" ] || miss="$miss $f"; done
[ -z "$miss" ] && ok "install: binaries, man pages, share/hhsim, docs" || bad "install: binaries, man pages, share/hhsim, docs" "missing:$miss"
if "$I/opt/hh/bin/hhsim" --help | grep -q '^usage: hhsim COMMAND' && "$I/opt/hh/bin/hhfit" --help | grep -q '^usage: hhfit'; then
  ok "install: the installed binaries run"; else bad "install: the installed binaries run" "--help failed"; fi
page="$I/opt/hh/share/man/man1/hhsim.1"
if grep -q '^\.TH HHSIM 1 .*"hhsim '"$V"'"' "$page" && grep -q '^\.SS "hhsim run"' "$page" && grep -q -- '--set SECTION' "$page" &&
   { ! command -v man >/dev/null || MANWIDTH=100 man -l "$page" 2>&1 | grep -q 'hhsim run PARAMS'; }; then
  ok "install: hhsim.1 made from --help, a section per command"
else bad "install: hhsim.1 made from --help, a section per command" "$(head -3 "$page")"; fi
M uninstall DESTDIR="$I" PREFIX=/opt/hh >"$TMP/un.out" 2>&1
left=$(find "$I" -type f | head -3)
[ -z "$left" ] && ok "uninstall: removes every installed file" || bad "uninstall: removes every installed file" "$left"

# --- CITATION.cff cites hhsim itself (the paper goes under references)
C=CITATION.cff
if grep -q '^type: software$' $C && grep -q '^version: '"$V"'$' $C && grep -q '^license: GPL-3.0-or-later$' $C &&
   grep -q '^  - name: "hhsim developers"$' $C && grep -q '^abstract:' $C && ! grep -q '^preferred-citation:' $C &&
   ! grep -qi 'et al\."$' $C && grep -q '^references:' $C && grep -q 'doi: "10.48550/arXiv.2204.05862"' $C; then
  ok "citation: software, VERSION, license, entity author, abstract, the paper's DOI under references"
else bad "citation: software, VERSION, license, entity author, abstract, the paper's DOI under references" "see $C"; fi
if ! python3 -c 'import yaml' 2>/dev/null; then ok "citation: YAML check skipped (no python3-yaml)"
elif python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); assert d["cff-version"] and d["title"] and d["message"] and len(d["references"][0]["authors"]) > 1' $C; then
  ok "citation: valid YAML with cff-version, title, message, the paper's authors"
else bad "citation: valid YAML with cff-version, title, message, the paper's authors" "python3 yaml check failed"; fi
