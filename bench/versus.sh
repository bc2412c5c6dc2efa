#!/bin/sh
# versus.sh - roost against another build of roost: one of the benchmarks
# run on each build in turn, with the same load generators, and the ratio
# of their medians.  For checking that a change keeps the figures.
#
#   sh bench/versus.sh OLD_BIN SCRIPT [ARGS...]
#
# OLD_BIN is the other build's bin/ (a checkout built with make); SCRIPT
# is accept, deliver, imap or pop; ARGS go to it.  PAIRS (default 5)
# pairs of runs, each run a fresh instance measured for one round
# (ONLY=roost ROUNDS=1); the order within a pair alternates (old-new,
# new-old, ...) so that neither build always runs on a warmer disk.
# Prints each run's figure, the medians and new/old.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 OLD_BIN SCRIPT [ARGS...]" >&2; exit 2; }
OLD=$(cd "$1" && pwd) SCRIPT=$2
shift 2
cd "$(dirname "$0")/.."
. bench/lib.sh
PAIRS=${PAIRS:-5}
[ -x "$OLD/roostctl" ] || { echo "$0: no roostctl in $OLD" >&2; exit 2; }
[ -f "bench/$SCRIPT.sh" ] || { echo "$0: no bench/$SCRIPT.sh" >&2; exit 2; }
bench_need_root

# This tree's programs and load generators drive both builds.
L=build/release/bench
make -s all "$L/smtpload" "$L/imapload" "$L/popload" >/dev/null
TOP=$(pwd)
NEW=$TOP/bin SMTPLOAD=$TOP/$L/smtpload IMAPLOAD=$TOP/$L/imapload
POPLOAD=$TOP/$L/popload
export SMTPLOAD IMAPLOAD POPLOAD

# run BIN - one run of the script on BIN: its roost figure (the median of
# its one round), or nothing when it printed none.
run() {
	bin=$1
	shift
	out=$(ROOST_BIN=$bin ONLY=roost ROUNDS=1 sh "bench/$SCRIPT.sh" "$@" 2>&1) ||
	    true
	echo "$out" | sed -n 's/^roost [^:]*:.*(median \([0-9.]*\)).*/\1/p' |
	    tail -n 1
}

olds='' news='' i=1
while [ "$i" -le "$PAIRS" ]; do
	if [ $((i % 2)) = 1 ]; then
		o=$(run "$OLD" "$@") n=$(run "$NEW" "$@")
	else
		n=$(run "$NEW" "$@") o=$(run "$OLD" "$@")
	fi
	echo "pair $i: old ${o:-failed}, new ${n:-failed}"
	olds="$olds $o" news="$news $n"
	i=$((i + 1))
done
# shellcheck disable=SC2086 # the lists are split on purpose
mo=$(bench_median $olds) mn=$(bench_median $news)
echo "$SCRIPT old:$olds (median $mo)"
echo "$SCRIPT new:$news (median $mn)"
awk -v o="$mo" -v n="$mn" -v s="$SCRIPT" 'BEGIN {
    if (o > 0) printf "%s new/old: %.3f\n", s, n / o }'
