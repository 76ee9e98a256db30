# shellcheck shell=bash disable=SC2034 # (the variables set here are the sourcing script's)
# bench/lib.sh - the shell pieces the payment benchmarks share (bench/run on SQLite,
# bench/run-pg on PostgreSQL), sourced from the repository's root: processes started and
# stopped, ports, the build, wrk's BENCH line (bench/payments.lua), CPU from /proc, a server's
# SIGTERM. A script that sources it sets BUILD, GUICHETD and OUT first; everything it starts
# goes into `started` and is stopped on exit (cleanup, trapped here; a script with more to
# undo sets its own EXIT trap and calls cleanup from it).

started=()	# pids of what this script started, stopped on exit

# /proc/PID/stat read by bash itself (no awk a call: they are sampled every 0.1 s during a run,
# on the cores the server uses): the fields after the command's ")", the state first.
stat_fields() {	# stat_fields FILE: into the array sf; false when the file is gone
	local line
	{ read -r line <"$1"; } 2>/dev/null || return 1
	read -r -a sf <<<"${line##*) }"
}

proc_state() {	# R, S, D... Z for a zombie (exited, not yet waited for), X when gone
	if stat_fields "/proc/$1/stat"; then echo "${sf[0]}"; else echo X; fi
}
is_running() {
	local s
	s=$(proc_state "$1")
	[ "$s" != Z ] && [ "$s" != X ]
}

stop_pid() {	# stop_pid PID [SECONDS]: SIGTERM, wait, SIGKILL after SECONDS
	local pid=$1 wait_s=${2:-15} i
	is_running "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < wait_s * 10; i++)); do
		is_running "$pid" || return 0
		sleep 0.1
	done
	echo "bench: pid $pid still running ${wait_s}s after SIGTERM; SIGKILL" >&2
	kill -KILL "$pid" 2>/dev/null
}

cleanup() {
	local pid
	for pid in "${started[@]}"; do
		stop_pid "$pid" 5
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "bench: $*" >&2
	exit 1
}

free_port() {	# a port free on 127.0.0.1 now
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

wait_http() {	# wait_http URL SECONDS PID
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0
		is_running "$3" || return 1
		sleep 0.1
	done
	return 1
}

stat_ticks() {	# stat_ticks FILE: utime + stime in a /proc stat file, in clock ticks
	if stat_fields "$1"; then echo $((sf[11] + sf[12])); else echo 0; fi
}

cpu_ticks() {	# cpu_ticks PID: of the whole process
	stat_ticks "/proc/$1/stat"
}

thread_ticks() {	# thread_ticks PID: "tid ticks name" per thread, in creation order
	local t
	for t in /proc/"$1"/task/*; do
		echo "${t##*/} $(stat_ticks "$t/stat") $(cat "$t/comm" 2>/dev/null)"
	done | sort -n
}

# writer_figures URL: the server's writer from its metrics (the whole life of the server, the
# run almost all of it): "N groups, J jobs a group, commit X ms" (means).
writer_figures() {
	curl -fsS --max-time 5 "$1/metrics" 2>/dev/null | awk '
		/^guichet_writer_group_size_sum/ { js = $2 } /^guichet_writer_group_size_count/ { n = $2 }
		/^guichet_writer_commit_seconds_sum/ { cs = $2 }
		END { if (n > 0) printf "%d groups, %.1f jobs a group, commit %.2f ms (means)", n,
			js / n, cs / n * 1000; else print "n/a" }'
}

# threads_pct BEFORE AFTER SECONDS: the threads that used 1 % of a core or more between two
# thread_ticks, in creation order, as "name N%" (guichetd names its threads: writer, reader,
# loop …).
threads_pct() {
	awk -v hz="$(getconf CLK_TCK)" -v w="$3" 'NR == FNR { t0[$1] = $2; next }
		{ p = ($2 - t0[$1]) / hz / w * 100 }
		p >= 1 { printf "%s%s %.0f%%", (n++ ? ", " : ""), $3, p }' "$1" "$2"
}

idle_ticks() {	# machine-wide idle + iowait ticks, and the total
	awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $5 + $6, t }' /proc/stat
}

ms() {	# microseconds to milliseconds
	awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}

field() {	# field NAME LINE: value of NAME=value in a line of key=value words
	tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -n 1
}

# --- the build ----------------------------------------------------------------------------------
# bench_build: a release build in $BUILD (made if missing), brought up to date; sets buildtype.
bench_build() {
	if [ ! -f "$BUILD/build.ninja" ]; then
		meson setup "$BUILD" --buildtype=release -Db_ndebug=false >/dev/null ||
			fail "meson setup $BUILD failed"
	fi
	ninja -C "$BUILD" >/dev/null || fail "ninja -C $BUILD failed (run it to see why)"
	[ -x "$GUICHETD" ] || fail "$GUICHETD was not built"
	buildtype=$(meson introspect --buildoptions "$BUILD" 2>/dev/null | python3 -c '
import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "buildtype"))' 2>/dev/null ||
		echo unknown)
}

machine_line() {	# "N CPUs, model, memory, kernel"
	local cpu mem
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
	echo "$(nproc) CPUs, $cpu, $mem, $(uname -sr)"
}

# --- wrk ----------------------------------------------------------------------------------------
# wrk_start FILE URL REQUESTS CONNECTIONS: wrk in the background, THREADS threads, DURATION s,
# posting REQUESTS (bench/make_requests.py) through bench/payments.lua; its output in FILE, its
# pid in wrk_pid (and in started).
wrk_start() {
	stdbuf -oL wrk -t"$THREADS" -c"$4" -d"${DURATION}s" --latency -s bench/payments.lua \
		"$2" -- "$3" "$THREADS" >"$1" 2>&1 &
	wrk_pid=$!
	started+=("$wrk_pid")
}

# wrk_wait_running FILE PID: wrk formats its requests first (a few seconds), then prints
# "Running" and starts its clock; returns then (or when wrk is gone).
wrk_wait_running() {
	while ! grep -q '^Running' "$1" && [ "$(proc_state "$2")" != Z ] &&
		[ "$(proc_state "$2")" != X ]; do
		sleep 0.05
	done
}

# wrk_read FILE: the BENCH line of a wrk run into rps, requests, ok201, other, errors, closes,
# wrapped, p50, p90, p99, pmax (ms), wall (s), first_other; fails when there is none.
wrk_read() {
	local line
	line=$(grep '^BENCH ' "$1" | tail -n 1)
	[ -n "$line" ] || fail "wrk gave no result: $(tail -n 5 "$1")"
	first_other=$(sed -n 's/^BENCH_FIRST_OTHER //p' "$1" | head -n 1)
	rps=$(field rps "$line")
	requests=$(field requests "$line")
	ok201=$(field status_201 "$line")
	other=$(field status_other "$line")
	errors=$(field errors "$line")
	closes=$(field closes "$line")
	wrapped=$(field wrapped "$line")
	p50=$(ms "$(field p50_us "$line")")
	p90=$(ms "$(field p90_us "$line")")
	p99=$(ms "$(field p99_us "$line")")
	pmax=$(ms "$(field max_us "$line")")
	wall=$(awk -v d="$(field duration_us "$line")" 'BEGIN { print d / 1e6 }')
}

# --- CPU over a run -----------------------------------------------------------------------------
# cpu_watch PID... -- WRK_PID...: the CPU ticks of each PID now (cw_t0) and, every 0.1 s until
# every WRK_PID has exited, the last read while it lived (cw_t1: bash reaps its children at
# once, so the last sample is what is left); cw_died[PID] is when a PID died before the wrks
# (date +%s.%N); machine-wide idle ticks into idle0, total0, idle1, total1.
declare -A cw_t0 cw_t1 cw_died
cpu_watch() {
	local pids=() wrks=() pid t any
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		pids+=("$1")
		shift
	done
	shift
	wrks=("$@")
	cw_t0=()
	cw_t1=()
	cw_died=()
	for pid in "${pids[@]}"; do
		cw_t0[$pid]=$(cpu_ticks "$pid")
		cw_t1[$pid]=${cw_t0[$pid]}
	done
	read -r idle0 total0 < <(idle_ticks)
	while :; do
		any=no
		for pid in "${wrks[@]}"; do
			is_running "$pid" && any=yes
		done
		[ "$any" = yes ] || break
		for pid in "${pids[@]}"; do
			[ -n "${cw_died[$pid]:-}" ] && continue
			t=$(cpu_ticks "$pid")
			[ "$t" -gt 0 ] && cw_t1[$pid]=$t
			is_running "$pid" || cw_died[$pid]=$(date +%s.%N)
		done
		sleep 0.1
	done
	read -r idle1 total1 < <(idle_ticks)
	for pid in "${pids[@]}"; do
		if [ -z "${cw_died[$pid]:-}" ] && is_running "$pid"; then
			t=$(cpu_ticks "$pid")
			[ "$t" -gt 0 ] && cw_t1[$pid]=$t
		fi
	done
}

# cpu_pct PID SECONDS: the share of one core PID spent over the watch, as "N" (no % sign).
cpu_pct() {
	awk -v a="${cw_t0[$1]:-0}" -v b="${cw_t1[$1]:-0}" -v hz="$(getconf CLK_TCK)" -v w="$2" \
		'BEGIN { printf "%.0f", (b - a) / hz / w * 100 }'
}

idle_pct() {	# the machine's idle over the watch, of nproc x 100
	awk -v i0="$idle0" -v i1="$idle1" -v t0="$total0" -v t1="$total1" -v n="$(nproc)" \
		'BEGIN { printf "%.0f", (i1 - i0) / (t1 - t0) * 100 * n }'
}

# --- stopping a server --------------------------------------------------------------------------
# stop_server PID: SIGTERM as an operator would, up to 20 s, then SIGKILL; sets stop_status
# (the exit status, "N (signal S)" or "killed") and stop_s (seconds it took).
stop_server() {
	local pid=$1 t_stop i stopped=no
	t_stop=$(date +%s.%N)
	is_running "$pid" && kill -TERM "$pid"
	stop_status=0
	for ((i = 0; i < 200; i++)); do
		if ! is_running "$pid"; then
			stopped=yes
			break
		fi
		sleep 0.1
	done
	if [ "$stopped" = yes ]; then
		wait "$pid"
		stop_status=$?
		[ "$stop_status" -gt 128 ] && stop_status="$stop_status (signal $((stop_status - 128)))"
	else
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		stop_status=killed
	fi
	stop_s=$(awk -v a="$t_stop" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
}
