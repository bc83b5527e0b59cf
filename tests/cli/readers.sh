#!/usr/bin/env bash
# readers.sh - hostile inputs (issue 12): every reader refuses a crafted,
# corrupted or non-regular input with exit 2 and one stderr line naming the
# file and object, never a signal or a hang; a failed write exits 1 and leaves
# earlier outputs intact. Crafted files come from bin/tests/h5craft.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh

HF=${HF:-bin/hhfit}
CR=${CR:-bin/tests/h5craft}
P=params/smoke.ini
R="$TMP/run"

# expect_job_refused NAME PATTERN CMD...: a stage whose job refuses its input:
# exit 2, the job's one line matching PATTERN first, then only the stage's
# "job X failed ...; its message is above" lines (sim/core/jobs.c).
expect_job_refused() {
  local name=$1 pat=$2; shift 2
  timeout 60 "$@" >"$TMP/out" 2>"$TMP/err" </dev/null; local rc=$?
  if [ "$rc" -ne 2 ]; then bad "$name" "exit $rc, expected 2; stderr: $(head -c 400 "$TMP/err")"
  elif ! head -1 "$TMP/err" | grep -qE -- "$pat"; then bad "$name" "first line '$(head -1 "$TMP/err")' lacks /$pat/"
  elif grep -vE -- "$pat" "$TMP/err" | grep -vqE 'job [a-z0-9_/]+ failed \(status 2\); its message is above'; then
    bad "$name" "other lines on stderr: $(head -c 400 "$TMP/err")"
  else ok "$name"; fi
}

# craft NAME SRC DST ACTION ARGS...: copy SRC to DST and edit it.
craft() {
  local src=$1 dst=$2; shift 2
  mkdir -p "$(dirname "$dst")" && cp "$src" "$dst" && "$CR" "$dst" "$@" || bad "h5craft $*" "failed"
}

t0=$(date +%s)
if ! "$HH" run $P -o "$R" --quiet --jobs 2 || ! "$HF" "$R" -o "$TMP/res" --quiet; then
  bad "smoke run and hhfit for the reader checks" "failed"; exit 1
fi
echo "# smoke run + hhfit took $(( $(date +%s) - t0 )) s"

# --- 1-4: hhsim inspect ------------------------------------------------------
craft "$R/lm/xs.h5" "$TMP/r1.h5" rank32
expect_exit "repro 1: inspect a rank-32 dataset of huge dims" 0 "$HH" inspect "$TMP/r1.h5"
if grep -qE '^  /evil +int32 +\(0,71748523475265,71748523475265,.*\.\.\.\)' "$TMP/out"; then
  ok "repro 1: the rank-32 shape is listed, cut short"; else bad "repro 1: the rank-32 shape is listed, cut short" "$(grep evil "$TMP/out")"; fi

craft "$R/lm/xs.h5" "$TMP/r2.h5" attr-int-array / threads 4096
expect_one_line "repro 2: inspect an int[4096] threads attribute" 2 \
  'r2\.h5: attribute threads on / is invalid \(not one integer in range\); allowed: an integer from 1 to 1024' \
  "$HH" inspect "$TMP/r2.h5"
if grep -qE '^  threads +<- INVALID$' "$TMP/out"; then ok "repro 2: threads marked INVALID"
else bad "repro 2: threads marked INVALID" "$(grep threads "$TMP/out")"; fi

craft "$R/lm/xs.h5" "$TMP/r3.h5" attr-fixstr / host AAAAAAAA
expect_exit "repro 3: inspect a fixed-length string without NUL" 0 "$HH" inspect "$TMP/r3.h5"
if grep -qx '  host             AAAAAAAA' "$TMP/out"; then ok "repro 3: exactly the 8 bytes are printed"
else bad "repro 3: exactly the 8 bytes are printed" "$(grep host "$TMP/out" | od -c | head -3)"; fi
craft "$R/lm/xs.h5" "$TMP/r3b.h5" attr-fixstr / host "$(printf 'a\033[2Jb')"
expect_one_line "inspect: a control character in host is flagged" 2 'attribute host on / is invalid \(holds non-printable bytes\)' \
  "$HH" inspect "$TMP/r3b.h5"
if grep -qF '  host             a\x1b[2Jb' "$TMP/out"; then ok "inspect escapes control bytes"
else bad "inspect escapes control bytes" "$(grep host "$TMP/out" | od -c | head -3)"; fi
craft "$R/lm/xs.h5" "$TMP/r3c.h5" attr-double / wall_seconds nan
expect_one_line "inspect: a NaN wall_seconds is flagged" 2 'attribute wall_seconds on / is invalid' "$HH" inspect "$TMP/r3c.h5"
craft "$R/lm/xs.h5" "$TMP/r3d.h5" attr-fixstr / hhsim_kind "lx"
expect_one_line "inspect: an unknown hhsim_kind is flagged" 2 'attribute hhsim_kind on / is invalid \(not a kind hhsim writes\)' \
  "$HH" inspect "$TMP/r3d.h5"

craft "$R/lm/xs.h5" "$TMP/r4.h5" rank8
expect_exit "repro 4: inspect a rank-8 dataset of (0,)+(2^62,)*7" 0 "$HH" inspect "$TMP/r4.h5"
if grep -qE '^  /evil +int32 +\(0,4611686018427387904,.*\)' "$TMP/out"; then ok "repro 4: the shape fits the listing"
else bad "repro 4: the shape fits the listing" "$(grep evil "$TMP/out")"; fi

# --- 5: world.h5 enums and indices, read by 'hhsim distill' -----------------
W="$TMP/r5"
mkdir -p "$W" && cp -r "$R/lm" "$W/"
for v in 4 -1; do
  craft "$R/world.h5" "$W/world.h5" fill prompts/test/kind $v
  expect_one_line "repro 5: distill refuses prompts/test/kind = $v" 2 \
    "r5/world\.h5: prompts/test/kind\[0\] = $v; allowed: 0 to 3" "$HH" distill $P -o "$W" --quiet
done
if [ ! -e "$W/distill" ] || [ -z "$(ls "$W/distill")" ]; then ok "repro 5: no distill output"; else bad "repro 5: no distill output" "$(ls "$W/distill")"; fi
craft "$R/world.h5" "$W/world.h5" set comparisons/harmless/test/prompt 3 100000
expect_one_line "distill refuses a comparison's prompt index out of range" 2 \
  'comparisons/harmless/test/prompt\[3\] = 100000; allowed: 0 to [0-9]+' "$HH" distill $P -o "$W" --quiet
craft "$R/world.h5" "$W/world.h5" set comparisons/helpful/train/help_chosen 0 nan
expect_one_line "distill refuses a NaN gold help" 2 'comparisons/helpful/train/help_chosen\[0\] = nan; allowed: a finite value in \[0, 1\]' \
  "$HH" distill $P -o "$W" --quiet
craft "$R/world.h5" "$W/world.h5" set prompts/train/tokens 5 63
expect_one_line "distill refuses a prompt that does not parse" 2 'prompts/train row 0 is not a well-formed prompt' \
  "$HH" distill $P -o "$W" --quiet
craft "$R/world.h5" "$W/world.h5" retype prompts/test/kind
expect_one_line "distill refuses a string dataset for an enum" 2 \
  'dataset prompts/test/kind is string \(300\): wrong type; expected int8 \(300\)' "$HH" distill $P -o "$W" --quiet
craft "$R/world.h5" "$W/world.h5" elink prompts/test/turn /etc/passwd
expect_one_line "distill refuses an external link" 2 'prompts/test/turn \(expected' "$HH" distill $P -o "$W" --quiet

# --- 6: LM checkpoint of a stopped run --------------------------------------
C="$TMP/r6"
mkdir -p "$C" && cp "$R/world.h5" "$C/"
"$HH" pretrain $P -o "$C" --jobs 1 --stop-after 60 --quiet
if [ -s "$C/lm/xs.ckpt.h5" ]; then ok "repro 6: stop-after 60 leaves lm/xs.ckpt.h5"; else bad "repro 6: stop-after 60 leaves lm/xs.ckpt.h5" "$(ls "$C/lm")"; fi
cp "$C/lm/xs.ckpt.h5" "$TMP/xs.ckpt.good"
for d in step train_loss heldout_loss tokens; do "$CR" "$C/lm/xs.ckpt.h5" resize curve/$d 100000 1; done
expect_job_refused "repro 6: resume refuses curves of 100000 points" \
  'xs\.ckpt\.h5: dataset curve/step is float64 \(100000\): wrong size; expected float64 \(1\)' \
  "$HH" pretrain $P -o "$C" --jobs 1 --quiet
craft "$TMP/xs.ckpt.good" "$C/lm/xs.ckpt.h5" resize curve/tokens 2 1
expect_job_refused "resume refuses curves of different lengths" 'curve/tokens is float64 \(2\): wrong size' \
  "$HH" pretrain $P -o "$C" --jobs 1 --quiet
craft "$TMP/xs.ckpt.good" "$C/lm/xs.ckpt.h5" attr-double /opt step 1e18
expect_job_refused "resume refuses an absurd step" 'attribute step on /opt is 1e\+18; allowed: a multiple of \[pretrain\] eval_every' \
  "$HH" pretrain $P -o "$C" --jobs 1 --quiet
craft "$TMP/xs.ckpt.good" "$C/lm/xs.ckpt.h5" set opt/v 7 -1
expect_job_refused "resume refuses a negative second moment" 'opt/v\[7\] = -1' "$HH" pretrain $P -o "$C" --jobs 1 --quiet
craft "$TMP/xs.ckpt.good" "$C/lm/xs.ckpt.h5" set model/wte 0 inf
expect_job_refused "resume refuses an infinite weight" 'dataset wte\[0\] is inf' "$HH" pretrain $P -o "$C" --jobs 1 --quiet
cp "$TMP/xs.ckpt.good" "$C/lm/xs.ckpt.h5"
expect_exit "the untouched checkpoint still resumes" 0 "$HH" pretrain $P -o "$C" --jobs 1 --quiet
if h5diff --exclude-attribute / "$R/lm/xs.h5" "$C/lm/xs.h5" >"$TMP/diff" 2>&1 && [ ! -s "$TMP/diff" ]; then
  ok "resumed lm/xs.h5 = uninterrupted"; else bad "resumed lm/xs.h5 = uninterrupted" "$(head -3 "$TMP/diff")"; fi

# --- 7: write failures: exit 1, one line, earlier outputs intact ------------
F="$TMP/r7"
mkdir -p "$F" && cp "$R/world.h5" "$F/"
sum=$(md5sum <"$F/world.h5")
expect_one_line "repro 7: hhsim world beyond ulimit -f exits 1" 1 'world\.h5\.tmp\.[0-9]+: cannot write dataset .* \(disk full or file size limit\?\)' \
  bash -c "ulimit -f 150; exec \"\$0\" world $P -o \"\$1\" --force --quiet" "$HH" "$F"
if [ "$(md5sum <"$F/world.h5")" = "$sum" ] && [ -z "$(ls "$F" | grep tmp)" ]; then ok "repro 7: world.h5 intact, no temporary file"
else bad "repro 7: world.h5 intact, no temporary file" "$(ls "$F")"; fi
cp -r "$TMP/res" "$TMP/res7"
sum=$(md5sum <"$TMP/res7/tables.h5")
expect_one_line "repro 7: hhfit beyond ulimit -f exits 1" 1 'hhfit: .*(cannot write|cannot close|disk full|File too large)' \
  bash -c "ulimit -f 100; exec \"\$0\" \"\$1\" -o \"\$2\" --quiet" "$HF" "$R" "$TMP/res7"
if [ "$(md5sum <"$TMP/res7/tables.h5")" = "$sum" ] && [ -z "$(ls "$TMP/res7" | grep tmp)" ]; then ok "repro 7: tables.h5 intact, no temporary file"
else bad "repro 7: tables.h5 intact, no temporary file" "$(ls "$TMP/res7")"; fi

# --- 8: FIFOs and directories named like inputs -----------------------------
mkfifo "$TMP/fifo.h5"
expect_one_line "repro 8: inspect refuses a FIFO" 2 'fifo\.h5: not a regular file' "$HH" inspect "$TMP/fifo.h5"
mkdir -p "$TMP/dir.h5"
expect_one_line "inspect refuses a directory" 2 'dir\.h5: not a regular file' "$HH" inspect "$TMP/dir.h5"
Q="$TMP/r8"
mkdir -p "$Q/lm" && mkfifo "$Q/world.h5"
expect_one_line "repro 8: hhfit refuses a FIFO world.h5" 2 'r8/world\.h5: not a regular file' "$HF" "$Q" -o "$TMP/res8" --quiet
expect_one_line "repro 8: pretrain refuses a FIFO world.h5" 2 'r8/world\.h5: not a regular file' "$HH" pretrain $P -o "$Q" --quiet
rm "$Q/world.h5" && cp "$R/world.h5" "$Q/" && mkfifo "$Q/lm/xs.h5" "$Q/lm/s.h5"
expect_job_refused "repro 8: distill refuses a FIFO lm/xs.h5" 'r8/lm/(xs|s)\.h5: not a regular file' "$HH" distill $P -o "$Q" --jobs 1 --quiet
mkfifo "$Q/lm/xs.ckpt.h5" && rm "$Q/lm/xs.h5"
expect_job_refused "repro 8: pretrain refuses a FIFO checkpoint" 'xs\.ckpt\.h5: not a regular file' "$HH" pretrain $P -o "$Q" --jobs 1 --quiet

# --- 9: corrupted values that used to change hhfit's results silently -------
H="$TMP/r9"
hhfit_refuses() {  # NAME FILE PATTERN ACTION ARGS...: craft a copy of the run, hhfit exits 2
  local name=$1 rel=$2 pat=$3; shift 3
  rm -rf "$H" && cp -r "$R" "$H" && "$CR" "$H/$rel" "$@" || bad "$name" "h5craft failed"
  expect_one_line "$name" 2 "$pat" "$HF" "$H" -o "$TMP/res9" --quiet
}
pm=$(cd "$R/pm" && ls *.h5 | head -1)
rl=$(cd "$R/rl" && ls *.h5 | grep -v ckpt | head -1)
hhfit_refuses "hhfit refuses a negative eval/n" "pm/$pm" 'eval/n\[0\] = -5' set eval/n 0 -5
hhfit_refuses "hhfit refuses eval/accuracy above 1" "pm/$pm" 'eval/accuracy\[1\] = 1\.5' set eval/accuracy 1 1.5
hhfit_refuses "hhfit refuses a gold label of 3" "pm/$pm" 'eval/helpful/gold\[2\] = 3; allowed: -1 to 1' set eval/helpful/gold 2 3
hhfit_refuses "hhfit refuses a help_frac of 7" "pm/$pm" 'help_frac (on /job )?is 7' attr-double /job help_frac 7
hhfit_refuses "hhfit refuses a non-finite norm/sd" "pm/$pm" 'norm/sd = inf' set norm/sd 0 inf
hhfit_refuses "hhfit refuses a NaN RL KL" "rl/$rl" 'curve/kl\[1\] = nan' set curve/kl 1 nan
hhfit_refuses "hhfit refuses gold harm above 1 in an RL curve" "rl/$rl" 'curve/harm_redteam\[2\] = 2' set curve/harm_redteam 2 2
hhfit_refuses "hhfit refuses a crowd agreement above 1" world.h5 'crowd/agreement/gold_measured\[0\] = 1\.2' set crowd/agreement/gold_measured 0 1.2
hhfit_refuses "hhfit refuses a params text without NUL that does not parse" world.h5 'world\.h5:2: .*unknown section \[rnu\]' \
  attr-fixstr / params "$(printf '[rnu]\nx = 1')"
hhfit_refuses "hhfit refuses an int array as a model attribute" lm/xs.h5 'missing integer attribute n_layer on /model' attr-int-array /model n_layer 4096
