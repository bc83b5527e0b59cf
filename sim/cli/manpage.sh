#!/usr/bin/env bash
# manpage.sh BIN NAME VERSION SUMMARY [NOTE] - a man page (section 1) made
# from the program's own --help, on stdout (make install; no help2man needed):
# NAME, SYNOPSIS and DESCRIPTION from 'BIN --help' as it prints it, then, for a
# program with commands (hhsim), one subsection per command from 'BIN help CMD'.
# NOTE, when given, is a paragraph after the description (hhsim-mpi).
set -eu
bin=${1:?usage: manpage.sh BIN NAME VERSION SUMMARY [NOTE]}
name=${2:?}
version=${3:?}
summary=${4:?}
note=${5:-}

# roff-safe preformatted text: backslashes escaped, no line read as a request
esc() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }
block() { printf '.nf\n'; esc; printf '.fi\n'; }

help=$("$bin" --help)
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d 2>/dev/null || date -u +%Y-%m-%d)
upper=$(printf '%s' "$name" | tr '[:lower:]-' '[:upper:]_')
printf '.TH %s 1 "%s" "hhsim %s" "User Commands"\n' "$upper" "$date" "$version"
printf '.SH NAME\n%s \\- %s\n' "$name" "$summary"
printf '.SH SYNOPSIS\n'
printf '%s\n' "$help" | grep -m1 '^usage:' | sed "s/^usage: *//; s/^[^ ]*/$name/" | block
printf '.SH DESCRIPTION\n'
printf '%s\n' "$help" | block
[ -n "$note" ] && printf '.PP\n%s\n' "$note" | esc
cmds=$(printf '%s\n' "$help" | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
if [ -n "$cmds" ]; then
  printf '.SH COMMANDS\n'
  for c in $cmds; do
    [ "$c" = help ] && continue
    printf '.SS "%s %s"\n' "$name" "$c"
    "$bin" help "$c" | block
  done
fi
printf '.SH EXIT STATUS\n0 success, 1 failure, 2 bad usage or input (one line on stderr).\n'
printf '.SH SEE ALSO\n'
case $name in
  hhfit) printf 'hhsim(1); README.md and analysis/README.md of the source tree\n' ;;
  *) printf 'hhfit(1); README.md of the source tree\n' ;;
esac
