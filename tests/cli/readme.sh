#!/usr/bin/env bash
# readme.sh - README.md stays true: every command it names (bin/hhsim, hhfit,
# make targets, with their options), every file path, every params key and
# every table or HDF5 object exists. Tables and run files come from a real
# smoke run made the way `make figures SET=...` makes one (make_figures.sh
# with SET), which also checks that runs/, results/ and figures/out/ get the
# name of the change.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh
ROOT=$(pwd -P)
HHA=$ROOT/$HH
[ "${HH#/}" != "$HH" ] && HHA=$HH
FITA=$ROOT/${HHFIT:-bin/hhfit}

# --- a real smoke run via make_figures.sh with SET (what make figures SET=... runs)
W=$TMP/w
mkdir -p "$W/figures" && cp figures/style.gp figures/make_figures.sh "$W/figures/"
ln -s "$ROOT/params" "$W/params" && ln -s "$ROOT/papers" "$W/papers"
NAME='smoke+rl.iters=10'
t0=$(date +%s)
(cd "$W" && HHSIM=$HHA HHFIT=$FITA SET='rl.iters=10' bash figures/make_figures.sh params/smoke.ini) >"$TMP/mf.out" 2>&1
R=$W/runs/$NAME RES=$W/results/$NAME FIG=$W/figures/out/$NAME
if [ -s "$R/world.h5" ] && [ -s "$RES/tables.h5" ] && [ -s "$RES/claims.md" ] && ls "$FIG"/*.png >/dev/null 2>&1 &&
   grep -q '^iters = 10 ' "$R/params.ini" && [ "$(ls "$W/runs")" = "$NAME" ]; then
  ok "make figures SET: runs/, results/ and figures/out/ named $NAME ($(( $(date +%s) - t0 )) s)"
else bad "make figures SET: runs/, results/ and figures/out/ named $NAME" "$(tail -3 "$TMP/mf.out")"; exit 0; fi

# every HDF5 object of the run and the results, for /name spans
for f in "$RES/tables.h5" $(find "$R" -name '*.h5' | sort); do h5ls -r "$f" 2>/dev/null | awk '{print $1}'; done | sort -u >"$TMP/objects"
h5ls "$RES/tables.h5" | awk '{print "/" $1}' | sort -u >"$TMP/tables"
"$HHA" params params/smoke.ini >"$TMP/keys"

# --- the README's spans: "SECTION<TAB>KIND<TAB>TEXT", KIND span (backticks, paragraphs
# joined), row (a table row's span, with the row's first span) or code (an indented line)
awk '
  function spans(text, kind, first,   s) {
    while (match(text, /`[^`]+`/)) {
      s = substr(text, RSTART + 1, RLENGTH - 2)
      print sec "\t" kind "\t" s "\t" first
      text = substr(text, RSTART + RLENGTH)
    }
  }
  function flush() { if (para != "") spans(para, "span", ""); para = "" }
  /^## / { flush(); sec = substr($0, 4); next }
  /^    / { flush(); line = substr($0, 5); sub(/ +#.*$/, "", line); print sec "\tcode\t" line "\t"; next }
  /^\|/ { flush(); first = ""; if (match($0, /`[^`]+`/)) first = substr($0, RSTART + 1, RLENGTH - 2)
          spans($0, "row", first); next }
  /^$/ { flush(); next }
  { para = para (para == "" ? "" : " ") $0 }
  END { flush() }
' "${README:-README.md}" >"$TMP/spans"
[ "$(wc -l <"$TMP/spans")" -gt 200 ] && ok "readme: spans parsed ($(wc -l <"$TMP/spans"))" || bad "readme: spans parsed" "$(wc -l <"$TMP/spans")"

fails=0 checked=0
miss() { bad "readme: $1" "$2"; fails=$((fails + 1)); }
is_cmd() { "$HHA" help "$1" >/dev/null 2>&1; }
mk_target() { grep -qE "^$1:" Makefile; }
# the tree's files (git ls-files, or every file of an unpacked tarball)
{ git ls-files 2>/dev/null | grep . || find . -type f -not -path './build*' -not -path './bin/*' | sed 's|^\./||'; } >"$TMP/files"
tracked() { grep -qE "(^|/)$1(/|\$)" "$TMP/files"; }

# path PATH: a file of the tree, of the smoke run, its results or figures
check_path() {
  local p=${1%/} f
  case $p in
    runs|results|figures/out) f=$W/$p ;;
    runs/*) f=$R/${p#runs/*/}; [ "$p" = "${p#runs/*/}" ] && f=$R ;;
    results/*) f=$RES/${p#results/*/}; [ "$p" = "${p#results/*/}" ] && f=$RES ;;
    figures/out/*) f=$FIG/${p#figures/out/*/}; [ "$p" = "${p#figures/out/*/}" ] && f=$FIG ;;
    bin/hhsim-mpi) command -v mpicc >/dev/null || return 0; f=$ROOT/bin/hhsim-mpi ;;
    bin/*) f=$ROOT/$p ;;
    *) f=$ROOT/$p ;;
  esac
  [ -e "$f" ] || [ -e "$R/$p" ] || [ -e "$RES/$p" ] || tracked "$p" || { miss "path $1" "no such file in the tree, the smoke run or its results"; return; }
  checked=$((checked + 1))
}

# options OPTS... of HELPTEXT-file
check_opts() {
  local what=$1 help=$2; shift 2
  for o in "$@"; do
    case $o in --*) o=${o%%=*}; grep -q -- "$o\b" "$help" || miss "option $o of $what" "not in its --help" ;; esac
  done
}

check_hhsim() {  # check_hhsim WORDS...: after bin/hhsim
  local c=$1; shift
  case $c in --help|-h|--version) checked=$((checked + 1)); return ;; esac
  [[ $c =~ [A-Z] ]] && return 0
  local alt ok1=1
  for alt in ${c//|/ }; do is_cmd "$alt" || { miss "command hhsim $alt" "'hhsim help $alt' fails"; ok1=0; }; done
  [ $ok1 = 1 ] || return
  "$HHA" help "${c%%|*}" >"$TMP/help.txt" 2>&1
  check_opts "hhsim ${c%%|*}" "$TMP/help.txt" "$@"
  checked=$((checked + 1))
}

check_words() {  # a command line or span: hhsim / hhfit / make / mpirun
  local -a w
  read -r -a w <<<"$1"
  case ${w[0]} in
    bin/hhsim|hhsim) [ ${#w[@]} -ge 2 ] && check_hhsim "${w[@]:1}" ;;
    mpirun) local i; for ((i = 0; i < ${#w[@]}; i++)); do
              [ "${w[$i]}" = bin/hhsim-mpi ] && check_hhsim "${w[@]:i+1}"; done ;;
    bin/hhfit|hhfit) "$FITA" --help >"$TMP/fhelp.txt" 2>&1; check_opts hhfit "$TMP/fhelp.txt" "${w[@]:1}"; checked=$((checked + 1)) ;;
    make) local t; for t in "${w[@]:1}"; do
            case $t in *=*|-*) ;; *) [[ $t =~ ^[a-z][a-z-]*$ ]] || break
              mk_target "$t" && checked=$((checked + 1)) || miss "make $t" "no such target in the Makefile" ;; esac; done ;;
  esac
}

while IFS=$'\t' read -r sec kind text first; do
  if [ "$kind" = code ]; then check_words "$text"; continue; fi
  case $text in
    "bin/hhsim"*|"hhsim "*|"bin/hhfit"*|"hhfit "*|"make "*|make|"mpirun "*)
      [ "$text" = make ] || check_words "$text"; continue ;;
    \[*\]*)  # [section] or [section] key ('Adding a stage' names a test's own [toy] section)
      [ "$sec" = "Adding a stage" ] && continue
      sec2=${text#[}; sec2=${sec2%%]*}; key=${text#*] }; key=${key%% *}
      grep -qx "\[$sec2\]" "$TMP/keys" || { miss "params section [$sec2]" "not in hhsim params"; continue; }
      if [ "$key" != "$text" ] && [[ $key =~ ^[a-z_]+$ ]]; then
        sed -n "/^\[$sec2\]/,/^\[/p" "$TMP/keys" | grep -q "^$key = " || miss "params key [$sec2] $key" "not in hhsim params"
      fi
      checked=$((checked + 1)); continue ;;
    /*) [ "$text" = / ] && continue
      [[ $text =~ ^/(usr|opt|tmp|proc|etc)(/|$) ]] && continue
      [[ $text =~ ^/[a-z0-9_./]+$ ]] || continue
      if [ "$sec" = "Figures and claims" ] || [ "$sec" = "Start here" ]; then
        grep -qx "$text" "$TMP/tables" || miss "table $text" "not in a smoke tables.h5"
      else
        grep -qE "^$text(/|\$)" "$TMP/objects" || miss "HDF5 object $text" "in no smoke file"
      fi
      checked=$((checked + 1)); continue ;;
  esac
  # figure scripts named in the figures table
  if [ "$kind" = row ] && [ "$sec" = "Figures and claims" ] && [[ $text =~ ^[a-z][a-z0-9_]+$ ]] && [ "$text" != "$first" ]; then
    [ -s "$RES/$text.gp" ] || miss "figure $text" "no $text.gp in the smoke results"
    checked=$((checked + 1)); continue
  fi
  # paths: no spaces; a '/' or a file extension; no placeholders (NAME, DIR, ...), globs or braces
  [[ $text =~ [[:space:]] ]] && continue
  [[ $text =~ ^(-|http|\.) ]] && continue
  [ "$sec" = "Adding a stage" ] && [[ $text =~ evals ]] && continue  # the example of a new stage
  [[ $text =~ [*{}\<\>=] ]] && continue
  [[ $text =~ (/|\.(ini|h5|c|h|sh|gp|md|tsv|cff|py|sbatch|bib|png|pdf)$) ]] || continue
  [[ $text =~ [A-Z]{2,} ]] && ! [[ $text =~ ^(README\.md|LICENSE|CITATION\.cff|VERSION|DIST_COMMIT)$ ]] && continue
  [[ $text =~ ^[0-9./]+$ ]] && continue
  check_path "$text"
done <"$TMP/spans"
# every figure script of the smoke results has its row in the figures table
for g in "$RES"/*.gp; do
  b=$(basename "$g" .gp)
  awk -F'\t' -v b="$b" '$1 == "Figures and claims" && $2 == "row" && $3 == b { f = 1 } END { exit !f }' "$TMP/spans" ||
    miss "figure $b" "hhfit writes $b.gp but the figures table has no row for it"
done
[ $fails -eq 0 ] && ok "readme: every command, make target, option, path, params key and table named exists ($checked checked)"
if grep -n 'shared/\|DESIGN\.md' README.md docs/*.md analysis/README.md >"$TMP/ext" 2>/dev/null; then
  bad "readme: no references to files outside the repository" "$(head -2 "$TMP/ext")"
else ok "readme: no references to files outside the repository"; fi
