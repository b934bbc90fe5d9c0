#!/usr/bin/env bash
#
# fuzz.sh - build and run every libFuzzer target in tests/fuzz/.
#
#   scripts/fuzz.sh SECONDS [NAME...]     e.g. scripts/fuzz.sh 600 fuzz_http
#
# Each tests/fuzz/fuzz_*.c is linked, with clang -fsanitize=fuzzer,address,
# undefined, against an archive of the library sources (dissectors/, flows/,
# ot/, sensor/) built the same way.  The archive leaves out every object
# that defines what a fuzz file replaces with its own stubs (flow_ev_init,
# flow_anomaly, out_emit; today flows/flow_table.c and sensor/output.c) and
# sensor/main.c.  Being an archive, only the members a target needs are
# linked in.  FUZZ_OUT changes the output directory (default build-fuzz).
#
# Every target then runs for SECONDS with -seed=1, its corpus kept in
# build-fuzz/corpus/NAME (seeded from tests/fuzz/corpus/NAME/ when that
# exists) and crashes written to build-fuzz/artifacts/.  Targets run side by
# side, JOBS at a time (default nproc).  Prints one PASS/FAIL line per
# target and "N passed, N failed"; exits 1 when a target failed to build
# or found a crash, leak or timeout.

set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
	echo "usage: $0 SECONDS [fuzz_name...]" >&2
	exit 1
fi
SECS=$1
shift

CLANG=${CLANG:-clang}
if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "fuzz.sh: $CLANG not found; run scripts/install-deps.sh" >&2
	exit 1
fi

OUT=${FUZZ_OUT:-build-fuzz}	# tests/run_tests.sh uses build-fuzz/short
FD=${FUZZ_DIR:-tests/fuzz}	# where the targets are (override for testing)
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
PKGS="libpcap libndpi hiredis libmaxminddb yaml-0.1 libcrypto"
# shellcheck disable=SC2086
PKG_CFLAGS=$(pkg-config --cflags $PKGS 2>/dev/null)
# shellcheck disable=SC2086
PKG_LIBS=$(pkg-config --libs $PKGS 2>/dev/null)
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-std=c11 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer $SAN -I. $PKG_CFLAGS"

targets=()
if [ $# -gt 0 ]; then
	for n in "$@"; do
		n=${n%.c}
		n=${n##*/}
		[ -f "$FD/$n.c" ] || { echo "fuzz.sh: no $FD/$n.c" >&2; exit 1; }
		targets+=("$n")
	done
else
	for f in "$FD"/fuzz_*.c; do
		[ -f "$f" ] && targets+=("$(basename "$f" .c)")
	done
fi
if [ "${#targets[@]}" -eq 0 ]; then
	echo "fuzz.sh: no $FD/fuzz_*.c targets"
	echo "0 passed, 0 failed"
	exit 0
fi

mkdir -p "$OUT/obj" "$OUT/corpus" "$OUT/artifacts" "$OUT/log"

# One fuzz.sh per output directory at a time (make fuzz and make check may
# overlap): the second one waits.
exec 9>"$OUT/.lock"
if ! flock -n 9; then
	echo "fuzz.sh: another fuzz.sh is using $OUT; waiting for it" >&2
	flock 9
fi

# --- the library archive, rebuilt when a source or any header changed -----

lib_src=()
for f in dissectors/*.c flows/*.c ot/*.c sensor/*.c; do
	[ -f "$f" ] || continue
	[ "$f" = sensor/main.c ] && continue
	lib_src+=("$f")
done

newest_h=$(find dissectors flows ot sensor -name '*.h' -newer "$OUT/libfuzzdeps.a" 2>/dev/null | head -n 1)
stale=()
for f in "${lib_src[@]}"; do
	o=$OUT/obj/${f%.c}.o
	if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ -n "$newest_h" ]; then
		stale+=("$f")
	fi
done

compile_one()
{
	local f=$1 o=$OUT/obj/${1%.c}.o
	mkdir -p "$(dirname "$o")"
	# fuzzer-no-link: coverage instrumentation without a second main().
	# shellcheck disable=SC2086
	if ! $CLANG $CFLAGS -fsanitize=fuzzer-no-link -c "$f" -o "$o" \
	    2>"$OUT/log/$(echo "${f%.c}" | tr / _).build.log"; then
		rm -f "$o"
		echo "fuzz.sh: warning: $f does not compile; left out of the archive" >&2
	fi
}
export -f compile_one
export OUT CLANG CFLAGS

if [ "${#stale[@]}" -gt 0 ] || [ ! -f "$OUT/libfuzzdeps.a" ]; then
	# shellcheck disable=SC2016
	printf '%s\n' "${stale[@]}" | xargs -r -P "$JOBS" -I{} bash -c 'compile_one "$1"' _ {}
	# Leave out every object that defines what the fuzz files stub out
	# (flows/flow_table.c, sensor/output.c as written today).
	objs=()
	for f in "${lib_src[@]}"; do
		o=$OUT/obj/${f%.c}.o
		[ -f "$o" ] || continue
		if nm --defined-only "$o" 2>/dev/null |
		    grep -qE ' [TtDdBb] (flow_ev_init|flow_anomaly|out_emit|main)$'; then
			continue
		fi
		objs+=("$o")
	done
	rm -f "$OUT/libfuzzdeps.a"
	ar rcs "$OUT/libfuzzdeps.a" "${objs[@]}"
fi

# --- link and run every target ---------------------------------------------

run_target()
{
	local n=$1 bin=$OUT/$1 log=$OUT/log/$1.log seeds=()
	# shellcheck disable=SC2086
	if ! $CLANG $CFLAGS -fsanitize=fuzzer "$FD/$n.c" "$OUT/libfuzzdeps.a" \
	    $PKG_LIBS -lpthread -lm -o "$bin" >"$OUT/log/$n.build.log" 2>&1; then
		echo "BUILD" >"$OUT/log/$n.status"
		return
	fi
	mkdir -p "$OUT/corpus/$n"
	[ -d "$FD/corpus/$n" ] && seeds+=("$FD/corpus/$n")
	# A short run also starts from what the long runs (make fuzz) found.
	if [ "$OUT" != build-fuzz ] && [ -d "build-fuzz/corpus/$n" ]; then
		seeds+=("build-fuzz/corpus/$n")
	fi
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    "$bin" -seed=1 -max_total_time="$SECS" -timeout=25 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$OUT/artifacts/$n-" \
	    "$OUT/corpus/$n" "${seeds[@]}" >"$log" 2>&1
	echo "$?" >"$OUT/log/$n.status"
}

running=0
for n in "${targets[@]}"; do
	rm -f "$OUT/log/$n.status"
	run_target "$n" 2>/dev/null &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

pass=0
fail=0
for n in "${targets[@]}"; do
	st=$(cat "$OUT/log/$n.status" 2>/dev/null || echo "?")
	log=$OUT/log/$n.log
	if [ "$st" = BUILD ]; then
		fail=$((fail + 1))
		echo "FAIL fuzz/$n: does not build"
		grep -m5 -E 'error|undefined reference' "$OUT/log/$n.build.log" | sed 's/^/    /'
	elif [ "$st" = 0 ]; then
		pass=$((pass + 1))
		runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
		cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1)
		echo "PASS fuzz/$n (${runs:-?} runs in ${SECS} s, ${cov:-cov: ?}, corpus $(find "$OUT/corpus/$n" -type f | wc -l) inputs)"
	else
		fail=$((fail + 1))
		echo "FAIL fuzz/$n: exit $st, log $log"
		grep -m3 -E 'ERROR: |runtime error:|SUMMARY:|Test unit written' "$log" | sed 's/^/    /'
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
