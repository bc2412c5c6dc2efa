#!/bin/sh
# run.sh OUT SECONDS - run every libFuzzer harness built in OUT/fuzz for
# SECONDS each: first over its regression inputs (fuzz/regress/NAME,
# each must pass), then fuzzing from its kept corpus (OUT/corpus/NAME),
# its seeds (fuzz/seeds/NAME) and, where one fits, a corpus of another
# project (../shared/corpora).  A crash is saved in OUT/crash/ and fails
# the run; one line per harness says how many inputs it ran.
set -eu
OUT=$1 T=$2
top=$(cd "$(dirname "$0")/.." && pwd)
corpora=${ROOST_CORPORA:-$top/../shared/corpora}
fail=0 ran=0
mkdir -p "$OUT/crash"

# extra_seeds NAME - a directory of other projects' inputs for NAME, or
# nothing (only ROOST_REQUIRE_CORPORA=1 makes a missing one an error).
extra_seeds() {
	case $1 in
	mime) src=$corpora/mime4j/testmsgs ;;
	addr) src=$corpora/isemail/tests.xml ;;
	*) return 0 ;;
	esac
	if [ ! -e "$src" ]; then
		echo "fuzz-$1: no $src" >&2
		[ "${ROOST_REQUIRE_CORPORA:-0}" = 0 ] || return 1
		return 0
	fi
	case $1 in
	mime) echo "$src" ;;
	addr)	# each <address> as a seed, behind the flags byte
		d=$OUT/seeds/addr
		mkdir -p "$d"
		sed -n 's:.*<address>\(.*\)</address>.*:\1:p' "$src" |
		    awk -v d="$d" '{ f = d "/isemail-" NR;
			printf "%c%s", 3, $0 > f; close(f) }'
		echo "$d" ;;
	esac
}

for h in "$OUT"/fuzz/fuzz-*; do
	case $h in *.o | *.d) continue ;; esac
	[ -x "$h" ] || continue
	name=${h##*/fuzz-}
	corpus=$OUT/corpus/$name
	mkdir -p "$corpus"
	if [ -d "$top/fuzz/regress/$name" ]; then
		if ! "$h" -runs=0 "$top/fuzz/regress/$name"/* \
		    >"$OUT/regress.$name.log" 2>&1; then
			echo "fuzz-$name: a regression input fails" \
			    "($OUT/regress.$name.log)" >&2
			fail=1
		fi
	fi
	seeds=
	[ -d "$top/fuzz/seeds/$name" ] && seeds=$top/fuzz/seeds/$name
	extra=$(extra_seeds "$name") || fail=1
	# shellcheck disable=SC2086 # seeds and extra are one path or none
	if "$h" -max_total_time="$T" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$OUT/crash/$name-" \
	    "$corpus" $seeds $extra >"$OUT/fuzz.$name.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
		    "$OUT/fuzz.$name.log")
		echo "fuzz-$name: clean, ${runs:-?} inputs in $T s," \
		    "corpus $(find "$corpus" -type f | wc -l)"
	else
		echo "fuzz-$name: FAILED; the last lines of" \
		    "$OUT/fuzz.$name.log:" >&2
		tail -n 40 "$OUT/fuzz.$name.log" >&2
		fail=1
	fi
	ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || { echo "run.sh: no harness in $OUT/fuzz" >&2; exit 1; }
exit $fail
