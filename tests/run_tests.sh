#!/usr/bin/env bash
#
# run_tests.sh - the one test runner (called by `make check`).
#
#   tests/run_tests.sh                  both builds, every check below
#   tests/run_tests.sh --quick          optimised build only, no fuzzing
#   tests/run_tests.sh --update-golden  (nothing to update yet)
#
# For the optimised build (./spanlog, build/tests/*) and then the ASan+UBSan
# build (build-san/spanlog, build-san/tests/*):
#   unit       every unit test binary; its own "N passed, N failed" is added
#   golden     pcapgen's golden captures against their facts files
#   scenario   the OT baseline scenario (tests/scenario/check.py)
#   multi      several -r as one capture (also reversed, as a directory, stdin)
#   errors     truncated / missing / non-pcap input, bad config, bad flag
#   workers    --workers 1 and 2 give the same events
#   snaplen    every golden and shared capture at snaplen 64/96/128/200
#   xcheck     flows vs tshark's conv,tcp / conv,udp on ../shared/pcaps
# and once, when clang is there: every libFuzzer target for 20 s.
#
# Every check prints one PASS or FAIL line; the last line is always
# "N passed, N failed" and the exit status is 1 when anything failed.
# Environment: KEEP=1 keeps the scratch directory; JOBS=n (default nproc);
# FUZZ_SECONDS (default 20, 0 = skip fuzzing); PCAPGEN_BIN (another pcapgen).

set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

quick=0
for arg in "$@"; do
	case $arg in
	--quick) quick=1 ;;
	--update-golden)
		echo "run_tests.sh: golden facts come from tests/gen/pcapgen at" \
		    "test time; there is nothing stored to update"
		exit 0 ;;
	-h|--help) sed -n '3,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run_tests.sh: unknown option $arg" >&2; exit 1 ;;
	esac
done

JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
LIB=$ROOT/tests/lib
SHARED=$(cd "$ROOT/.." && pwd)/shared/pcaps
XCACHE=$ROOT/build/xcheck-cache
TO=600				# seconds any single spanlog run may take
TMP=$(mktemp -d "${TMPDIR:-/tmp}/spanlog-tests.XXXXXX") || exit 1
T0=$SECONDS

npass=0
nfail=0

cleanup()
{
	if [ "${KEEP:-0}" = 1 ]; then
		echo "scratch files kept in $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT

pass() { npass=$((npass + 1)); echo "PASS $*"; }
fail() { nfail=$((nfail + 1)); echo "FAIL $*"; }

# Show the last lines of a file, indented, under a FAIL line.
show() { tail -n "${2:-5}" "$1" 2>/dev/null | sed 's/^/    /'; }

# Does a stderr file hold a sanitizer report?
san_report()
{
	grep -m1 -E 'ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:|SUMMARY: [A-Za-z]+Sanitizer' "$1" 2>/dev/null
}

# Add the last "N passed, N failed" line of a log to the totals.
# Returns 1 when the log has none.
add_summary()
{
	local line p f
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)
	[ -n "$line" ] || return 1
	p=${line%% passed*}
	f=${line#*, }
	f=${f%% failed*}
	npass=$((npass + p))
	nfail=$((nfail + f))
	SUM_FAILED=$f
	return 0
}

# counted NAME CMD...: run a helper that prints its own PASS/FAIL lines and
# a summary; stream its output and add its counts.
counted()
{
	local name=$1 log=$TMP/counted.log rc
	shift
	"$@" 2>&1 | tee "$log" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
	rc=${PIPESTATUS[0]}
	SUM_FAILED=0
	if ! add_summary "$log"; then
		fail "$name: no summary line ($(rc_text "$rc"))"
		show "$log"
	elif [ "$rc" -ne 0 ] && [ "$SUM_FAILED" -eq 0 ]; then
		fail "$name: $(rc_text "$rc") with no failed check"
	fi
}

rc_text()
{
	if [ "$1" -eq 124 ]; then
		echo "timed out"
	elif [ "$1" -gt 128 ]; then
		echo "killed by signal $(($1 - 128))"
	else
		echo "exit $1"
	fi
}

phase_start() { PHASE=$1; PHASE_T0=$SECONDS; echo "== $1"; }
phase_end() { echo "== $PHASE: $((SECONDS - PHASE_T0)) s"; }

# ---------------------------------------------------------------------------

# unit TESTDIR LABEL
run_units()
{
	local dir=$1 label=$2 bin name log rc n=0
	for bin in "$dir"/*; do
		if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then continue; fi
		case $bin in *.d|*.o) continue ;; esac
		n=$((n + 1))
		name=$label/unit/$(basename "$bin")
		log=$TMP/unit.log
		# (the braces keep bash's "Segmentation fault" notice out)
		{ timeout "$TO" "$bin" >"$log" 2>&1; } 2>/dev/null
		rc=$?
		grep -E '^FAIL' "$log" | sed "s|^FAIL |FAIL $label/unit: |"
		SUM_FAILED=0
		if ! add_summary "$log"; then
			fail "$name: no \"N passed, N failed\" line ($(rc_text "$rc"))"
			show "$log" 10
		elif san_report "$log" >/dev/null; then
			fail "$name: sanitizer report ($(rc_text "$rc"))"
			san_report "$log" | sed 's/^/    /'
		elif [ "$rc" -ne 0 ] && [ "$SUM_FAILED" -eq 0 ]; then
			fail "$name: $(rc_text "$rc")"
			show "$log" 10
		elif [ "$SUM_FAILED" -eq 0 ]; then
			echo "PASS $name ($(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 | grep -oE '^[0-9]+') checks)"
		fi
	done
	[ "$n" -gt 0 ] || fail "$label/unit: no unit test binaries in $dir"
}

# The inputs of a golden case, one per line (multi_file lists its parts).
case_inputs()
{
	local c=$1 f
	if [ -f "$GOLD/$c.files" ]; then
		while IFS= read -r f; do
			[ -n "$f" ] || continue
			case $f in /*) echo "$f" ;; *) echo "$GOLD/$f" ;; esac
		done <"$GOLD/$c.files"
	elif [ -f "$GOLD/$c.pcap" ]; then
		echo "$GOLD/$c.pcap"
	elif [ -f "$GOLD/$c.pcapng" ]; then
		echo "$GOLD/$c.pcapng"
	fi
}

# rflags FILE...: "-r F1 -r F2 ..." into the array RFLAGS
rflags()
{
	RFLAGS=()
	local f
	for f in "$@"; do RFLAGS+=(-r "$f"); done
}

# spanlog_run OUT ERR ARGS...: run the binary under test with a time limit.
spanlog_run()
{
	local out=$1 err=$2
	shift 2
	timeout "$TO" "$BIN" "$@" >"$out" 2>"$err"
}

run_golden()
{
	local label=$1 facts c inputs want rc out err res='' n=0
	for facts in "$GOLD"/*.facts.jsonl; do
		[ -f "$facts" ] || continue
		c=$(basename "$facts" .facts.jsonl)
		mapfile -t inputs < <(case_inputs "$c")
		if [ "${#inputs[@]}" -eq 0 ]; then
			fail "$label/golden/$c: no capture next to $c.facts.jsonl"
			continue
		fi
		n=$((n + 1))
		want=0
		[ -f "$GOLD/$c.offset" ] && want=2
		out=$TMP/$label.golden.$c.jsonl
		err=$TMP/$label.golden.$c.err
		rflags "${inputs[@]}"
		timeout "$TO" "$BIN" --workers 1 "${RFLAGS[@]}" -o "$out" 2>"$err"
		rc=$?
		if san_report "$err" >/dev/null; then
			fail "$label/golden/$c: sanitizer report"
			san_report "$err" | sed 's/^/    /'
		elif [ "$rc" -ne "$want" ]; then
			fail "$label/golden/$c: $(rc_text "$rc"), want exit $want"
			show "$err" 3
		elif res=$(python3 "$LIB/check_facts.py" "$facts" "$out"); then
			pass "$label/golden/$c"
		else
			fail "$label/golden/$c"
			echo "$res"
		fi
	done
	[ "$n" -gt 0 ] || fail "$label/golden: pcapgen wrote no cases"
}

# run_protogolden LABEL GEN CHECKER: protocol golden cases (itgen/otgen):
# each generated case's facts against the events of one --workers 1 run.
run_protogolden()
{
	local label=$1 gen=$2 checker=$3 dir facts c out err rc res n=0
	dir=$TMP/$label.$(basename "$gen")
	mkdir -p "$dir"
	if [ ! -x "$gen" ]; then
		fail "$label/$(basename "$gen"): $gen is missing (run make)"
		return
	fi
	if ! "$gen" golden "$dir" >"$dir/gen.log" 2>&1; then
		fail "$label/$(basename "$gen"): 'golden' failed"
		show "$dir/gen.log"
		return
	fi
	for facts in "$dir"/*.facts.jsonl; do
		[ -f "$facts" ] || continue
		c=$(basename "$facts" .facts.jsonl)
		n=$((n + 1))
		out=$dir/$c.out
		err=$dir/$c.err
		timeout "$TO" "$BIN" --workers 1 -r "$dir/$c.pcap" -o "$out" 2>"$err"
		rc=$?
		if san_report "$err" >/dev/null; then
			fail "$label/$(basename "$gen")/$c: sanitizer report"
			san_report "$err" | sed 's/^/    /'
		elif [ "$rc" -ne 0 ]; then
			fail "$label/$(basename "$gen")/$c: $(rc_text "$rc")"
			show "$err" 3
		elif res=$(python3 "$LIB/$checker" "$facts" "$out"); then
			pass "$label/$(basename "$gen")/$c"
		else
			fail "$label/$(basename "$gen")/$c"
			echo "$res" | head -20
		fi
	done
	[ "$n" -gt 0 ] || fail "$label/$(basename "$gen"): no cases written"
}

run_multi()
{
	local label=$1 parts one rc d res
	mapfile -t parts < <(case_inputs multi_file)
	if [ "${#parts[@]}" -lt 2 ]; then
		fail "$label/multi: pcapgen wrote no multi_file parts"
		return
	fi
	one=$TMP/$label.multi.fwd.jsonl
	rflags "${parts[@]}"
	spanlog_run "$one" "$TMP/err" --workers 1 "${RFLAGS[@]}" -o -
	rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$label/multi/two_files: $(rc_text "$rc")"
		show "$TMP/err" 3
		return
	fi
	# One flow per fact: a flow crossing the file boundary stays one flow.
	if res=$(python3 "$LIB/check_facts.py" "$GOLD/multi_file.facts.jsonl" "$one"); then
		pass "$label/multi/two_files_one_flow"
	else
		fail "$label/multi/two_files_one_flow"
		echo "$res"
	fi
	# The files are one capture in timestamp order: -r order must not matter.
	local rev=() i
	for ((i = ${#parts[@]} - 1; i >= 0; i--)); do rev+=("${parts[$i]}"); done
	res=
	rflags "${rev[@]}"
	spanlog_run "$TMP/m.rev" "$TMP/err" --workers 1 "${RFLAGS[@]}" -o -
	rc=$?
	if [ "$rc" -eq 0 ] && res=$(python3 "$LIB/events_equiv.py" "$one" "$TMP/m.rev"); then
		pass "$label/multi/reversed_order"
	else
		fail "$label/multi/reversed_order ($(rc_text "$rc"))"
		echo "${res:-}"
	fi
	# A directory (searched recursively) is the same as its files.
	d=$TMP/$label.multidir
	mkdir -p "$d/sub"
	cp "${parts[0]}" "$d/"
	cp "${parts[@]:1}" "$d/sub/"
	res=
	spanlog_run "$TMP/m.dir" "$TMP/err" --workers 1 -r "$d" -o -
	rc=$?
	if [ "$rc" -eq 0 ] && res=$(python3 "$LIB/events_equiv.py" "$one" "$TMP/m.dir"); then
		pass "$label/multi/directory"
	else
		fail "$label/multi/directory ($(rc_text "$rc"))"
		echo "${res:-}"
		show "$TMP/err" 3
	fi
	# '-r -' reads stdin.
	local first=$ANY_CAP
	res=
	spanlog_run "$TMP/m.file" "$TMP/err" --workers 1 -r "$first" -o -
	timeout "$TO" "$BIN" --workers 1 -r - -o - <"$first" >"$TMP/m.stdin" 2>"$TMP/err2"
	rc=$?
	if [ "$rc" -eq 0 ] && res=$(python3 "$LIB/events_equiv.py" "$TMP/m.file" "$TMP/m.stdin"); then
		pass "$label/multi/stdin"
	else
		fail "$label/multi/stdin ($(rc_text "$rc"))"
		echo "${res:-}"
		show "$TMP/err2" 3
	fi
}

# error_ok NAME WANT_RC ERR: common checks of an error run whose exit
# status is in RC: no sanitizer report, the wanted exit status.
error_ok()
{
	local name=$1 want=$2 err=$3
	if san_report "$err" >/dev/null; then
		fail "$name: sanitizer report"
		san_report "$err" | sed 's/^/    /'
		return 1
	fi
	if [ "$RC" -ne "$want" ]; then
		fail "$name: $(rc_text "$RC"), want exit $want"
		show "$err" 3
		return 1
	fi
	return 0
}

# err_line ERR STRING: the first stderr line naming STRING (the one-line
# error); empty when there is none.
err_line() { grep -m1 -F -- "$2" "$1"; }

run_errors()
{
	local label=$1 tr off name line res=''
	# Truncated capture: exit 2, one line naming the file and the byte
	# offset, and the flows before the cut still written.
	tr=$GOLD/truncated.pcap
	name=$label/errors/truncated
	if [ ! -f "$tr" ] || [ ! -f "$GOLD/truncated.offset" ]; then
		fail "$name: pcapgen wrote no truncated.pcap/.offset"
	else
		off=$(tr -dc '0-9' <"$GOLD/truncated.offset")
		spanlog_run "$TMP/e.out" "$TMP/e.err" --workers 1 -r "$tr" -o -
		RC=$?
		if error_ok "$name" 2 "$TMP/e.err"; then
			line=$(err_line "$TMP/e.err" truncated.pcap)
			if [ -z "$line" ]; then
				fail "$name: no stderr line names the file"
				show "$TMP/e.err" 2
			elif ! echo "$line" | grep -qE "(^|[^0-9])$off([^0-9]|$)"; then
				fail "$name: the error line does not give byte offset $off"
				echo "    $line"
			elif [ -f "$GOLD/truncated.facts.jsonl" ] &&
			    ! res=$(python3 "$LIB/check_facts.py" "$GOLD/truncated.facts.jsonl" "$TMP/e.out"); then
				fail "$name: flows before the cut"
				echo "$res"
			elif ! grep -qE '"event_type": ?"flow"' "$TMP/e.out"; then
				fail "$name: no flow event before the cut was written"
			else
				pass "$name"
			fi
		fi
	fi

	# Missing file: exit 2, named.
	name=$label/errors/missing_file
	spanlog_run "$TMP/e.out" "$TMP/e.err" -r "$TMP/no-such-dir/missing-capture.pcap" -o -
	RC=$?
	if error_ok "$name" 2 "$TMP/e.err"; then
		if [ -n "$(err_line "$TMP/e.err" missing-capture.pcap)" ]; then
			pass "$name"
		else
			fail "$name: stderr does not name the file"
			show "$TMP/e.err" 2
		fi
	fi

	# A capture of a link type spanlog does not decode (DLT_USER0 = 147,
	# written here by hand): exit 2, one line naming the file and the type.
	name=$label/errors/unknown_linktype
	python3 -c 'import struct,sys; f=open(sys.argv[1],"wb"); f.write(struct.pack("<IHHiIII",0xa1b2c3d4,2,4,0,0,65535,147)); f.write(struct.pack("<IIII",1,0,4,4)+b"abcd")' "$TMP/user0-link.pcap"
	spanlog_run "$TMP/e.out" "$TMP/e.err" -r "$TMP/user0-link.pcap" -o -
	RC=$?
	if error_ok "$name" 2 "$TMP/e.err"; then
		line=$(err_line "$TMP/e.err" user0-link.pcap)
		if echo "$line" | grep -q "link type 147"; then
			pass "$name"
		else
			fail "$name: no stderr line names the file and link type 147"
			show "$TMP/e.err" 2
		fi
	fi

	# A file that is not a capture: exit 2, named.
	name=$label/errors/not_a_pcap
	local junk=$TMP/not-a-capture.pcap
	printf 'This is a text file, not a packet capture.\n%.0s' $(seq 1 20) >"$junk"
	spanlog_run "$TMP/e.out" "$TMP/e.err" -r "$junk" -o -
	RC=$?
	if error_ok "$name" 2 "$TMP/e.err"; then
		if [ -n "$(err_line "$TMP/e.err" not-a-capture.pcap)" ]; then
			pass "$name"
		else
			fail "$name: stderr does not name the file"
			show "$TMP/e.err" 2
		fi
	fi

	# An empty file is not a capture either.
	name=$label/errors/empty_file
	: >"$TMP/empty-capture.pcap"
	spanlog_run "$TMP/e.out" "$TMP/e.err" -r "$TMP/empty-capture.pcap" -o -
	RC=$?
	if error_ok "$name" 2 "$TMP/e.err"; then
		if [ -n "$(err_line "$TMP/e.err" empty-capture.pcap)" ]; then
			pass "$name"
		else
			fail "$name: stderr does not name the file"
			show "$TMP/e.err" 2
		fi
	fi

	# Unknown configuration key: exit 1, one line naming key and line 3.
	name=$label/errors/config_unknown_key
	local cfg=$TMP/bad-key.yaml
	printf '# spanlog test configuration\n# the next line has a key nobody knows\nbogus_option_xyz: 1\n' >"$cfg"
	spanlog_run "$TMP/e.out" "$TMP/e.err" -c "$cfg" -r "$ANY_CAP" -o -
	RC=$?
	if error_ok "$name" 1 "$TMP/e.err"; then
		line=$(err_line "$TMP/e.err" bogus_option_xyz)
		if [ -z "$line" ]; then
			fail "$name: stderr does not name the key"
			show "$TMP/e.err" 2
		elif ! echo "$line" | grep -qiE '(line[ :]*3([^0-9]|$)|:3([^0-9]|$))'; then
			fail "$name: the error line does not give line 3"
			echo "    $line"
		else
			pass "$name"
		fi
	fi

	# Missing configuration file: exit 1, named.
	name=$label/errors/config_missing
	spanlog_run "$TMP/e.out" "$TMP/e.err" -c "$TMP/no-such-config.yaml" -r "$ANY_CAP" -o -
	RC=$?
	if error_ok "$name" 1 "$TMP/e.err"; then
		if [ -n "$(err_line "$TMP/e.err" no-such-config.yaml)" ]; then
			pass "$name"
		else
			fail "$name: stderr does not name the file"
			show "$TMP/e.err" 2
		fi
	fi

	# Unknown command-line flag: exit 1.
	name=$label/errors/usage_bad_flag
	spanlog_run "$TMP/e.out" "$TMP/e.err" --no-such-flag-xyz -r "$ANY_CAP"
	RC=$?
	if error_ok "$name" 1 "$TMP/e.err"; then
		pass "$name"
	fi
}

run_workers()
{
	local label=$1 f name rc1 rc2 res=''
	for f in "${EQUIV_FILES[@]}"; do
		case $f in
		"$GOLD"/*) name=$label/workers/golden/$(basename "$f") ;;
		"$ROOT"/*) name=$label/workers/${f#"$ROOT"/} ;;
		*) name=$label/workers/${f#"$SHARED"/} ;;
		esac
		f=$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import evlib; print(evlib.materialize(sys.argv[2], sys.argv[3]))' "$LIB" "$f" "$TMP/gunzip")
		spanlog_run "$TMP/w1.jsonl" "$TMP/w1.err" --workers 1 -r "$f" -o -
		rc1=$?
		spanlog_run "$TMP/w2.jsonl" "$TMP/w2.err" --workers 2 -r "$f" -o -
		rc2=$?
		if san_report "$TMP/w1.err" >/dev/null || san_report "$TMP/w2.err" >/dev/null; then
			fail "$name: sanitizer report"
			san_report "$TMP/w1.err" | sed 's/^/    /'
			san_report "$TMP/w2.err" | sed 's/^/    /'
		elif [ "$rc1" -ne "$rc2" ] || { [ "$rc1" -ne 0 ] && [ "$rc1" -ne 2 ]; }; then
			fail "$name: --workers 1 $(rc_text "$rc1"), --workers 2 $(rc_text "$rc2")"
		elif res=$(python3 "$LIB/events_equiv.py" "$TMP/w1.jsonl" "$TMP/w2.jsonl"); then
			pass "$name"
		else
			fail "$name"
			echo "$res"
		fi
	done
}

# ---------------------------------------------------------------------------

echo "spanlog tests in $ROOT ($(date -u +%Y-%m-%dT%H:%M:%SZ), $JOBS jobs)"

# Golden captures: generated fresh, never stored.
PCAPGEN=
for p in ${PCAPGEN_BIN:-} build/tools/pcapgen build-san/tools/pcapgen; do
	[ -x "$p" ] && { PCAPGEN=$p; break; }
done
GOLD=$TMP/golden
mkdir -p "$GOLD"
if [ -z "$PCAPGEN" ]; then
	fail "golden/pcapgen: build/tools/pcapgen is missing (run make)"
elif ! "$PCAPGEN" golden "$GOLD" >"$TMP/pcapgen.log" 2>&1; then
	fail "golden/pcapgen: 'pcapgen golden' failed"
	show "$TMP/pcapgen.log"
fi
mapfile -t GOLD_CAPS < <(find "$GOLD" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
# A small clean capture for the checks that only need some valid input.
ANY_CAP=$GOLD/tcp_sf.pcap
[ -f "$ANY_CAP" ] || ANY_CAP=${GOLD_CAPS[0]:-$GOLD/none.pcap}

HAVE_SHARED=0
SHARED_CAPS=()
if [ -d "$SHARED" ]; then
	HAVE_SHARED=1
	mapfile -t SHARED_CAPS < <(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import evlib; print("\n".join(evlib.list_captures(sys.argv[2])))' "$LIB" "$SHARED")
else
	echo "SKIP shared captures: $SHARED not found (cross-checks, shared snaplen sweep and shared workers checks skipped)"
fi

# --workers 1 vs 2 on every golden capture, the demo plant and a few
# shared ones (zeek dnp3.pcap spans three years: baseline alerts too).
EQUIV_FILES=("${GOLD_CAPS[@]}" "$ROOT/pcaps/demo/plant.pcap")
if [ "$HAVE_SHARED" = 1 ]; then
	for f in zeek/Traces/modbus/modbusBig.pcap zeek/Traces/http/methods.pcap \
	    ndpi/pcap/dns_fragmented.pcap icsnpp-dnp3/traces/dnp3_example.pcap \
	    zeek/Traces/smtp.pcap arkime/pcap/dns-tcp.pcap \
	    zeek/Traces/dnp3/dnp3.pcap; do
		[ -f "$SHARED/$f" ] && EQUIV_FILES+=("$SHARED/$f")
	done
fi

builds=(opt)
[ "$quick" = 1 ] || builds+=(san)

for label in "${builds[@]}"; do
	if [ "$label" = opt ]; then
		BIN=$ROOT/spanlog
		UNITDIR=build/tests
		unset ASAN_OPTIONS UBSAN_OPTIONS
	else
		BIN=$ROOT/build-san/spanlog
		UNITDIR=build-san/tests
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
		export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	fi
	echo "=== build $label: $BIN"
	# Test a copy, so a rebuild while the tests run cannot change the
	# binary under them half-way.
	if [ -x "$BIN" ]; then
		mkdir -p "$TMP/bin-$label"
		cp -p "$BIN" "$TMP/bin-$label/spanlog"
		BIN=$TMP/bin-$label/spanlog
	fi

	phase_start "$label unit tests"
	run_units "$UNITDIR" "$label"
	phase_end

	if [ ! -x "$BIN" ]; then
		fail "$label/binary: $BIN is missing (run make check)"
		continue
	fi

	phase_start "$label golden"
	[ -n "$PCAPGEN" ] && run_golden "$label"
	run_protogolden "$label" build/tools/itgen check_proto_facts.py
	run_protogolden "$label" build/tools/otgen check_ot_facts.py
	phase_end

	phase_start "$label OT baseline scenario"
	if [ -x build/tools/scengen ]; then
		counted "$label/scenario" python3 tests/scenario/check.py \
		    --spanlog "$BIN" --gen build/tools/scengen \
		    --work "$TMP/scenario-$label"
	else
		fail "$label/scenario: build/tools/scengen is missing (run make)"
	fi
	phase_end

	phase_start "$label live capture on lo"
	tests/live/live_lo.sh "$BIN" >"$TMP/$label.live.log" 2>&1
	rc=$?
	if [ "$rc" -eq 77 ]; then
		cat "$TMP/$label.live.log"
	elif [ "$rc" -eq 0 ] && ! san_report "$TMP/$label.live.log" >/dev/null; then
		pass "$label/live/lo"
	else
		fail "$label/live/lo"
		show "$TMP/$label.live.log" 15
	fi
	phase_end

	phase_start "$label redis integration"
	if command -v redis-server >/dev/null; then
		counted "$label/redis" python3 tests/redis/run.py "$BIN"
	else
		echo "SKIP $label/redis: redis-server not installed"
	fi
	phase_end

	if [ -n "$PCAPGEN" ]; then
		phase_start "$label multi-file"
		run_multi "$label"
		phase_end
		phase_start "$label errors"
		run_errors "$label"
		phase_end
	fi

	phase_start "$label workers"
	run_workers "$label"
	phase_end

	phase_start "$label snaplen"
	[ "${#GOLD_CAPS[@]}" -gt 0 ] &&
		counted "$label/snaplen/golden" python3 "$LIB/sweep.py" \
		    --spanlog "$BIN" --work "$TMP/gunzip" --jobs "$JOBS" \
		    --timeout "$TO" --prefix "$label/snaplen/golden/" \
		    "${GOLD_CAPS[@]}"
	[ "$HAVE_SHARED" = 1 ] &&
		counted "$label/snaplen/shared" python3 "$LIB/sweep.py" \
		    --spanlog "$BIN" --work "$TMP/gunzip" --jobs "$JOBS" \
		    --timeout "$TO" --prefix "$label/snaplen/" \
		    --base "$SHARED" "${SHARED_CAPS[@]}"
	phase_end

	if [ "$HAVE_SHARED" = 1 ]; then
		phase_start "$label xcheck vs tshark"
		if command -v tshark >/dev/null; then
			counted "$label/xcheck" python3 "$LIB/xcheck_conv.py" \
			    --spanlog "$BIN" --shared "$SHARED" \
			    --cache "$XCACHE" --work "$TMP/gunzip" \
			    --exceptions "$ROOT/tests/xcheck/exceptions.txt" \
			    --jobs "$JOBS" --timeout "$TO" \
			    --prefix "$label/xcheck/"
		else
			echo "SKIP $label/xcheck: tshark not installed"
		fi
		phase_end
		# Protocol fields against tshark/Zeek: once, on the optimised build
		# (the sanitized build already ran every shared capture above).
		if [ "$label" = opt ] && command -v tshark >/dev/null; then
			phase_start "$label protocol xcheck vs tshark/zeek"
			for x in dns http smtp ot; do
				SPANLOG=$BIN counted "$label/xcheck-$x" \
				    python3 tests/xcheck/${x}_vs_tshark.py
			done
			phase_end
		fi
	fi
done
unset ASAN_OPTIONS UBSAN_OPTIONS

if [ "$quick" = 0 ] && [ "$FUZZ_SECONDS" != 0 ]; then
	phase_start "fuzz (${FUZZ_SECONDS} s per target)"
	if ! command -v clang >/dev/null; then
		echo "SKIP fuzz: clang not installed"
	elif ! ls tests/fuzz/fuzz_*.c >/dev/null 2>&1; then
		echo "SKIP fuzz: no tests/fuzz/fuzz_*.c"
	else
		# Its own directory, so a `make fuzz` running meanwhile is not
		# disturbed (and does not disturb this).
		FUZZ_OUT=build-fuzz/short counted fuzz "$ROOT/scripts/fuzz.sh" "$FUZZ_SECONDS"
	fi
	phase_end
fi

echo "total time: $((SECONDS - T0)) s"
[ "$nfail" -eq 0 ] || [ "${KEEP:-0}" = 1 ] || echo "(KEEP=1 keeps the scratch files of a failing run)"
echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
