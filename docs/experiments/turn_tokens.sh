#!/bin/bash
# turn_tokens.sh N FILE...: per rl policy file, the share of N sampled
# responses (temperature 1, hhsim sample: no stop rule) holding a turn token
# (BOS, H, A or HHH) anywhere in the response.
n=$1; shift
for f in "$@"; do
  case $f in *.ckpt.h5) continue;; esac
  nice -n 19 bin/hhsim sample "$f" --n "$n" --temp 1 2>/dev/null | awk -v f="$(basename "$f" .h5)" -F' [|] ' '
    NF >= 3 { tot++; k = split($3, t, " "); hit = 0; last = 0
              for (i = 1; i <= k; i++) if (t[i] == "BOS" || t[i] == "H" || t[i] == "A" || t[i] == "HHH") { hit = 1; if (i == k) last = 1 }
              h += hit; l += last }
    END { printf "%-24s n %4d  with a turn token %.3f  ending at one %.3f\n", f, tot, h / tot, l / tot }'
done
