#!/usr/bin/env bash
# report.sh - the results of a smoke run as a reader gets them: claims.csv
# (RFC 4180), the report page index.html checked in a real browser (headless
# Chromium: every image rendered, every claim row present; a screenshot in
# results/report-test/index.png), `hhfit check` against the committed
# papers/bai2022/expected-smoke.tsv and against altered expectations,
# `hhfit diff` of identical and of different runs, and clean refusals
# (exit 2, one line naming the file) of bad results directories and files.
# Without chromium the browser checks print "skip" (counted as skipped).
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh
FIT=${HHFIT:-bin/hhfit}
P=params/smoke.ini
R=$TMP/run
S=$TMP/smoke  # named as make figures names it (the page title)
t0=$(date +%s)
"$HH" run $P -o "$R" --quiet || { bad "smoke run" "hhsim run failed"; exit 1; }
expect_exit "hhfit on the smoke run" 0 "$FIT" "$R" -o "$S" --quiet

# --- claims.csv: a header and one CRLF record per claims.tsv id, same verdicts as claims.md
ids=$(grep -v '^#' papers/bai2022/claims.tsv | grep -v '^id	' | cut -f1)
nids=$(echo "$ids" | wc -l)
if head -1 "$S/claims.csv" | grep -q $'^id,figure,statement,statistic,estimate,ci_lo,ci_hi,n,criterion,verdict,method,rationale\r$'; then
  ok "claims.csv header"; else bad "claims.csv header" "$(head -1 "$S/claims.csv")"; fi
miss=""
for id in $ids; do
  v=$(grep "^| $id | " "$S/claims.md" | grep -o '\*\*[A-Z ]*\*\* |$' | tr -d '*|' | sed 's/ *$//; s/^ *//')
  grep -q "^$id,.*,$v,[^,]*" "$S/claims.csv" || miss="$miss $id"
done
if [ -z "$miss" ]; then ok "claims.csv: every claim with the verdict of claims.md ($nids)"; else bad "claims.csv rows" "missing or other verdict:$miss"; fi
if [ "$(grep -c $'\r$' "$S/claims.csv")" -ge "$((nids + 1))" ] && grep -q '^pm_scaling_size,7,"PM accuracy' "$S/claims.csv"; then
  ok "claims.csv: CRLF records, fields with commas quoted"; else bad "claims.csv: RFC 4180" "no CRLF or unquoted field"; fi

# --- the page, drawn in the make figures order: hhfit, gnuplot, hhfit report
mkdir -p "$TMP/fig"
for g in "$S"/*.gp; do gnuplot -e "outdir='$TMP/fig'" "$g" 2>/dev/null; done
nfig=$(ls "$S"/*.gp | wc -l)
expect_exit "hhfit report" 0 "$FIT" report "$S" --figures "$TMP/fig" --quiet
H=$S/index.html
n=$(grep -o '<img class="fig"[^>]*src="data:image/png;base64,' "$H" | wc -l)
if [ "$n" -eq "$nfig" ]; then ok "index.html embeds one PNG per figure script ($n)"; else bad "index.html embeds every figure" "$n of $nfig"; fi
if grep -qiE '<script|src="https?:|href="https?:|@import|url\(' "$H"; then bad "index.html is self-contained" "script or network reference"
else ok "index.html is self-contained (no script, no network reference)"; fi
n=$(grep -o '<tr class="claim" data-id="[^"]*"' "$H" | sort -u | wc -l)
if [ "$n" -eq "$nids" ]; then ok "index.html: one claim row per claim ($n)"; else bad "index.html claim rows" "$n of $nids"; fi
if grep -q 'id="count-rep"><b>[0-9]*</b>' "$H" && grep -q '<th>git commit</th><td>[0-9a-f]\{40\}' "$H" && grep -q 'seed = 7' "$H"; then
  ok "index.html opens with verdict counts and provenance"; else bad "index.html verdicts and provenance" "missing"; fi
if grep -q '<code>/fig07_accuracy</code>: [1-9][0-9]* rows' "$H" && grep -q '<th>acc<br><small>fraction</small></th>' "$H"; then
  ok "index.html: each figure's tables with columns and units"; else bad "index.html tables" "fig07_accuracy missing"; fi
touch -d '2000-01-01' "$TMP/fig/fig08_accuracy_by_turn.png"
"$FIT" report "$S" --figures "$TMP/fig" --quiet
if grep -q 'fig08_accuracy_by_turn.png is older than tables.h5' "$H"; then ok "a stale PNG is left out and named"
else bad "a stale PNG is left out and named" "embedded"; fi
touch "$TMP/fig/fig08_accuracy_by_turn.png"
"$FIT" report "$S" --figures "$TMP/fig" --quiet

# strings from the data are escaped (a claims table whose first statement is markup)
awk -F'\t' 'BEGIN{OFS="\t"} !/^#/ && $1!="id" && !done {$3="<script>alert(1)</script> &amp; \"q\" " $3; done=1} {print}' \
  papers/bai2022/claims.tsv >"$TMP/esc.tsv"
"$FIT" "$R" -o "$TMP/esc" --claims "$TMP/esc.tsv" --quiet && "$FIT" report "$TMP/esc" --figures "$TMP/fig" --quiet
if ! grep -q '<script>alert' "$TMP/esc/index.html" && grep -q '&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp; &quot;q&quot;' "$TMP/esc/index.html"; then
  ok "data strings are HTML-escaped"; else bad "data strings are HTML-escaped" "raw markup in the page"; fi

# --- in a real browser: every image rendered, every claim row present
if ! command -v chromium >/dev/null 2>&1; then
  echo "skip browser: chromium not installed ('make deps' installs it); the page is not checked in a browser"
else
  mkdir -p "$TMP/alone" && cp "$H" "$TMP/alone/index.html"  # the page alone, away from its figures
  # the check runs in a copy, with one deliberately broken image to prove the check sees breakage
  sed 's|</body></html>|<img alt="probe" src="data:image/png;base64,AAAA"><script>window.addEventListener("load",function(){var im=document.querySelectorAll("img"),bad=[];im.forEach(function(i){if(!(i.complete\&\&i.naturalWidth>0))bad.push(i.alt)});var ids=Array.prototype.map.call(document.querySelectorAll("tr.claim"),function(r){return r.getAttribute("data-id")});var p=document.createElement("pre");p.id="hhcheck";p.textContent="images="+im.length+" broken="+bad.join(",")+" ids="+ids.join(" ")+" end";document.body.appendChild(p)});</script></body></html>|' \
    "$TMP/alone/index.html" >"$TMP/alone/check.html"
  CHROME="chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions --user-data-dir=$TMP/chrome"
  $CHROME --virtual-time-budget=10000 --dump-dom "file://$TMP/alone/check.html" 2>/dev/null >"$TMP/dom.html"
  res=$(grep -o '<pre id="hhcheck">[^<]*' "$TMP/dom.html" | sed 's/.*>//')
  if [ -z "$res" ]; then bad "browser: page loaded and checked" "no result in the DOM (chromium failed?)"
  else
    ok "browser: page loaded and checked"
    ni=$(echo "$res" | sed -n 's/^images=\([0-9]*\) .*/\1/p'); br=$(echo "$res" | sed -n 's/.* broken=\([^ ]*\) .*/\1/p')
    if [ "$ni" = "$((nfig + 1))" ] && [ "$br" = "probe" ]; then ok "browser: all $nfig figures rendered (naturalWidth > 0), the broken probe detected"
    else bad "browser: every image rendered" "images=$ni broken=$br (expected $((nfig + 1)) and only the probe)"; fi
    miss=""
    got=" $(echo "$res" | sed 's/.* ids=//; s/ end$//') "
    for id in $ids; do case "$got" in *" $id "*) ;; *) miss="$miss $id" ;; esac; done
    if [ -z "$miss" ]; then ok "browser: every claim row present ($nids)"; else bad "browser: every claim row present" "missing:$miss"; fi
  fi
  shot=results/report-test
  mkdir -p "$shot" && cp "$H" "$S/claims.csv" "$shot/"
  $CHROME --hide-scrollbars --window-size=1280,2400 --screenshot="$PWD/$shot/index.png" "file://$PWD/$shot/index.html" >/dev/null 2>&1
  if [ -s "$shot/index.png" ]; then ok "browser: screenshot $shot/index.png"; else bad "browser: screenshot" "none written"; fi
fi

# --- hhfit check: the committed expectations, then altered ones (on claim C, the first measured one)
expect_exit "hhfit check against papers/bai2022/expected-smoke.tsv" 0 "$FIT" check "$S" papers/bai2022/expected-smoke.tsv
if grep -q "^$nids of $nids claims match" "$TMP/out"; then ok "hhfit check: every claim matches"; else bad "hhfit check: every claim matches" "$(tail -1 "$TMP/out")"; fi
E=$TMP/exp.tsv
expect_exit "hhfit check --write" 0 "$FIT" check "$S" "$E" --write
expect_exit "hhfit check of its own expectations" 0 "$FIT" check "$S" "$E"
C=$(awk -F'\t' '!/^#/ && $1!="id" && $4!="-" {print $1; exit}' "$E")
SC=$(awk -F'\t' -v c="$C" '$1==c {print $2}' "$E"); V=$(awk -F'\t' -v c="$C" '$1==c {print $3}' "$E")
if [ "$V" = "NOT REPRODUCED" ]; then W=REPRODUCED; else W="NOT REPRODUCED"; fi
NC=$(grep -n "^$C," "$S/claims.csv" | cut -d: -f1)
awk -F'\t' -v c="$C" 'BEGIN{OFS="\t"} $1==c{$4=$4+1} {print}' "$E" >"$TMP/e1.tsv"
expect_exit "hhfit check: estimate out of tolerance" 1 "$FIT" check "$S" "$TMP/e1.tsv"
if grep -q "^MISMATCH $C: estimate .*(off by 1)" "$TMP/out" && [ "$(grep -c '^MISMATCH' "$TMP/out")" -eq 1 ]; then
  ok "hhfit check names the claim out of tolerance"; else bad "hhfit check names the claim out of tolerance" "$(grep MISMATCH "$TMP/out")"; fi
awk -F'\t' -v c="$C" -v w="$W" 'BEGIN{OFS="\t"} $1==c{$3=w} {print}' "$E" >"$TMP/e2.tsv"
expect_exit "hhfit check: other verdict" 1 "$FIT" check "$S" "$TMP/e2.tsv"
grep -q "^MISMATCH $C: verdict $V, expected $W" "$TMP/out" \
  && ok "hhfit check names the verdict mismatch" || bad "hhfit check names the verdict mismatch" "$(grep MISMATCH "$TMP/out")"
grep -v "^$C	" "$E" >"$TMP/e3.tsv"
expect_exit "hhfit check: a claim the expectations lack" 1 "$FIT" check "$S" "$TMP/e3.tsv"
if make -s check-results PARAMS=params/nonesuch.ini >"$TMP/out" 2>&1; then bad "make check-results without expectations" "exit 0"
else grep -q 'no papers/bai2022/expected-nonesuch.tsv' "$TMP/out" && ok "make check-results without expectations fails, naming the file" \
  || bad "make check-results without expectations" "$(head -2 "$TMP/out")"; fi

# --- hhfit diff: identical, a verdict moved, a params key changed
cp -r "$S" "$TMP/s2"
expect_exit "hhfit diff of a results directory and its copy" 0 "$FIT" diff "$S" "$TMP/s2"
grep -q '^identical: same params, claims and tables$' "$TMP/out" && ok "hhfit diff says identical" || bad "hhfit diff says identical" "$(tail -1 "$TMP/out")"
cp -r "$S" "$TMP/moved" && sed -i "${NC}s/,$V,/,$W,/" "$TMP/moved/claims.csv"
expect_exit "hhfit diff: a moved verdict" 1 "$FIT" diff "$S" "$TMP/moved"
if sed -n '/^claims:/{n;p}' "$TMP/out" | grep -q "^  verdict $C: $V -> $W"; then
  ok "hhfit diff: the verdict move comes first"; else bad "hhfit diff: the verdict move comes first" "$(grep -A2 '^claims' "$TMP/out")"; fi
cp -a "$R" "$TMP/run2" && sed '/^\[rl\]/,/^\[/ s/^bon_max = 16/bon_max = 8/' $P >"$TMP/p2.ini"
"$HH" run "$TMP/p2.ini" -o "$TMP/run2" --quiet && "$FIT" "$TMP/run2" -o "$TMP/res2" --quiet
expect_exit "hhfit diff of runs with one params key changed" 1 "$FIT" diff "$S" "$TMP/res2"
if grep -q '^params: 1 keys differ' "$TMP/out" && grep -q '^  \[rl\] bon_max: 16 -> 8$' "$TMP/out" \
   && grep -q '^  /beyond_gold_vs_sqrt_kl: ' "$TMP/out" && ! grep -q '^  /fig07_accuracy' "$TMP/out"; then
  ok "hhfit diff: the params key and the tables it changed"; else bad "hhfit diff: params and tables" "$(head -12 "$TMP/out")"; fi

# --- --help, bad usage and bad input: exit 2, one line naming the file
for c in report check diff; do
  "$FIT" $c --help >"$TMP/out" 2>&1 && grep -q "^usage: hhfit $c" "$TMP/out" && grep -q '^example: ' "$TMP/out" \
    && ok "hhfit $c --help" || bad "hhfit $c --help" "$(head -1 "$TMP/out")"
done
one_line "report: no such results dir" "nope: no such results directory" "$FIT" report "$TMP/nope"
one_line "report: missing argument" "missing arguments; hhfit report RESULTS_DIR" "$FIT" report
one_line "report: unknown option" "unknown option '--bogus'" "$FIT" report "$S" --bogus
one_line "check: --write is not for diff" "option '--write' is not one of 'hhfit diff'" "$FIT" diff "$S" "$S" --write
one_line "diff: no such results dir" "nope: no such results directory" "$FIT" diff "$S" "$TMP/nope"
bad_csv() {  # bad_csv NAME PATTERN SED: a copy of the results with claims.csv edited
  rm -rf "$TMP/b" && cp -r "$S" "$TMP/b" && sed -i "$3" "$TMP/b/claims.csv"
  one_line "$1" "$2" "$FIT" diff "$S" "$TMP/b"
}
bad_csv "claims.csv: unclosed quote" "b/claims.csv:[0-9]*: quoted field not closed" $'$s/\\r$/,"open/'
bad_csv "claims.csv: bad verdict" "b/claims.csv:$NC: verdict 'MAYBE'" "${NC}s/,$V,/,MAYBE,/"
bad_csv "claims.csv: bad number" "b/claims.csv:$NC: estimate 'x1'" "${NC}s/,$SC,[^,]*,/,$SC,x1,/"
bad_csv "claims.csv: missing column" "b/claims.csv:1: no column 'verdict'" '1s/verdict/vердикт/'
id2=$(sed -n 2p "$S/claims.csv" | cut -d, -f1)
bad_csv "claims.csv: duplicate id" "duplicate id '$id2'" "3s/^[a-z0-9_]*,/$id2,/"
rm -rf "$TMP/b" && cp -r "$S" "$TMP/b" && echo "not hdf5" >"$TMP/b/tables.h5"
one_line "tables.h5 not HDF5" "b/tables.h5: not an HDF5 file" "$FIT" report "$TMP/b"
rm -rf "$TMP/b" && cp -r "$S" "$TMP/b" && cp "$R/world.h5" "$TMP/b/tables.h5"
one_line "tables.h5 of another kind" "b/tables.h5: is an hhsim 'world' file; expected a 'results' file" "$FIT" diff "$S" "$TMP/b"
rm -f "$TMP/b/tables.h5" && mkfifo "$TMP/b/tables.h5"
one_line "tables.h5 a FIFO" "b/tables.h5: not a regular file" "$FIT" report "$TMP/b"
printf 'id\tstatistic\tverdict\testimate\ttolerance\nx\tfit_b\tREPRODUCED\t0.1\n' >"$TMP/e4.tsv"
one_line "expected.tsv: missing field" "e4.tsv:2: 4 tab-separated fields; expected 5" "$FIT" check "$S" "$TMP/e4.tsv"
printf 'x\tfit_b\tSURE\t0.1\t0.1\n' >"$TMP/e5.tsv"
one_line "expected.tsv: bad verdict" "e5.tsv:1: verdict 'SURE'" "$FIT" check "$S" "$TMP/e5.tsv"
printf 'x\tfit_b\tREPRODUCED\t0.1\t-1\n' >"$TMP/e6.tsv"
one_line "expected.tsv: negative tolerance" "e6.tsv:1: tolerance '-1'" "$FIT" check "$S" "$TMP/e6.tsv"
one_line "expected.tsv: missing" "nope.tsv: no such file" "$FIT" check "$S" "$TMP/nope.tsv"
echo "# report.sh took $(( $(date +%s) - t0 )) s"
