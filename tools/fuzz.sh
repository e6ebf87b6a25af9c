#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan, UBSan) into build-fuzz/ and runs each
# for a bounded time: first its seed corpus and kept regressions once, then fuzzing. A crash,
# leak, timeout or out-of-memory input is copied into tests/fuzz/regressions/<target>/ and fails
# the run.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: tools/fuzz.sh [--seconds N] [--parallel N] [--list] [TARGET...]

  --seconds N    fuzz each target for N seconds (default 20) after replaying its inputs
  --parallel N   targets run at the same time (default: the number of CPUs)
  --list         print the target names and exit
  TARGET         a name from tests/fuzz/fuzz_<name>.c (default: all of them)

For each target: tests/fuzz/corpus/<name>/ (seeds) and tests/fuzz/regressions/<name>/ (inputs
that once crashed) are run once, with the real evidence of ../shared/vectors for the SNP and TDX
targets ($CWINIT_VECTORS overrides the path), then the fuzzer runs with -max_total_time=N, -timeout=5,
-rss_limit_mb=2048, a -max_len suited to the target and tests/fuzz/dict/<name>.dict when present.
New corpus entries go to a scratch directory that is deleted at the end: the committed corpus
does not grow by itself. A failing input is copied to tests/fuzz/regressions/<name>/ (commit
it with the fix) and its path is printed; the script then exits 1.
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FUZZ=$ROOT/tests/fuzz
BUILD=$ROOT/build-fuzz

# Inputs longer than any realistic document of the kind only slow the search down.
declare -A MAX_LEN=(
	[config_json]=8192 [cmdline]=4200 [footer]=16384 [workload]=16384 [user]=8192
	[challenge]=4096 [broker_error]=4096 [jwe]=8192 [jcs]=4096 [base64]=2048
	[snp_report]=1300 [snp_evidence]=16384 [snp_certs]=4096 [jsonr]=8192 [tdx_quote]=8192
	[evidence]=16384 [refkbs]=2048 [initdata]=8192
)
# Targets seeded at run time with the real evidence in ../shared/vectors (never copied into the
# tree): globs relative to that directory. *.hex files are decoded to binary as well.
declare -A VECTOR_SEEDS=(
	[snp_report]='snp/*.bin snp/*.hex' [snp_evidence]='snp/*evidence.json'
	[jsonr]='snp/*.json tdx/*.json' [tdx_quote]='tdx/*.dat'
	[evidence]='snp/*.bin snp/*.hex snp/*.json tdx/*.dat tdx/*.json'
)
VECTORS=${CWINIT_VECTORS:-$ROOT/../shared/vectors}
DEFAULT_MAX_LEN=8192

seconds=20
parallel=$(nproc)
list=0
targets=()
while (($#)); do
	case $1 in
	--seconds) seconds=${2:?--seconds needs a number}; shift ;;
	--parallel) parallel=${2:?--parallel needs a number}; shift ;;
	--list) list=1 ;;
	-h | --help) usage; exit 0 ;;
	-*) printf 'fuzz.sh: unknown option %s\n\n' "$1" >&2; usage >&2; exit 2 ;;
	*) targets+=("$1") ;;
	esac
	shift
done
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: --seconds must be a positive whole number" >&2; exit 2; }
[[ $parallel =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: --parallel must be a positive whole number" >&2; exit 2; }

all=()
for src in "$FUZZ"/fuzz_*.c; do
	name=${src##*/fuzz_}
	all+=("${name%.c}")
done
if ((list)); then
	printf '%s\n' "${all[@]}"
	exit 0
fi
((${#targets[@]})) || targets=("${all[@]}")
for t in "${targets[@]}"; do
	[[ -f $FUZZ/fuzz_$t.c ]] || { echo "fuzz.sh: no target '$t' (tests/fuzz/fuzz_$t.c); try --list" >&2; exit 2; }
done

command -v clang > /dev/null ||
	{ echo "fuzz.sh: clang is missing; run tools/install-deps.sh (clang, libclang-rt-14-dev)" >&2; exit 1; }
[[ -f $(clang -print-file-name=libclang_rt.fuzzer-x86_64.a) ]] ||
	{ echo "fuzz.sh: libFuzzer's runtime is missing; run tools/install-deps.sh (libclang-rt-14-dev)" >&2; exit 1; }

# Optimised a little: -O0 halves the executions per second, -O1 hides little from the sanitizers.
# Configured every time (a second): a target added since the last run must be known to make.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/cwinit-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
echo "fuzz.sh: building ${#targets[@]} targets in $BUILD" >&2
if ! { cmake -S "$ROOT" -B "$BUILD" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	'-DCMAKE_C_FLAGS_DEBUG=-g -O1' -DCWINIT_FUZZ=ON -DCWINIT_STATIC=OFF -DCWINIT_DEPS_PREFIX= &&
	cmake --build "$BUILD" -j"$(nproc)" --target "${targets[@]/#/fuzz_}"; } > "$scratch/build.log" 2>&1; then
	cat "$scratch/build.log" >&2
	echo "fuzz.sh: the build failed" >&2
	exit 1
fi
if [[ -d $VECTORS ]]; then
	export CWINIT_VECTORS=$VECTORS
else
	echo "fuzz.sh: $VECTORS is missing: the SNP and TDX targets start from their own seeds only" >&2
fi

# Copies a target's vector seeds into dir.
vector_seeds() {
	local t=$1 dir=$2 glob f
	[[ -d $VECTORS && -n ${VECTOR_SEEDS[$t]:-} ]] || return 0
	mkdir -p "$dir"
	for glob in ${VECTOR_SEEDS[$t]}; do
		for f in "$VECTORS"/$glob; do
			[[ -f $f ]] || continue
			cp "$f" "$dir/"
			[[ $f != *.hex ]] ||
				/usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(open(sys.argv[1]).read().strip()))' \
					"$f" > "$dir/$(basename "$f" .hex).bin"
		done
	done
	chmod -R u+w "$dir"
}

# Runs one target; its log and a one-line verdict go to $scratch/<name>/.
run_target() {
	local t=$1 bin=$BUILD/tests/fuzz/fuzz_$1 dir=$scratch/$1
	local seeds=$FUZZ/corpus/$t regress=$FUZZ/regressions/$t vseeds=$scratch/$1/vectors
	local opts=(-timeout=5 -rss_limit_mb=2048 "-max_len=${MAX_LEN[$t]:-$DEFAULT_MAX_LEN}"
		"-artifact_prefix=$dir/")
	local inputs=() rc=0
	mkdir -p "$dir/corpus" "$dir/tmp"
	[[ -f $FUZZ/dict/$t.dict ]] && opts+=("-dict=$FUZZ/dict/$t.dict")
	export TMPDIR=$dir/tmp
	vector_seeds "$t" "$vseeds"

	# Each committed input once, by name, so a failure points at the file.
	for d in "$seeds" "$vseeds" "$regress"; do
		[[ -d $d ]] && while IFS= read -r -d '' f; do inputs+=("$f"); done \
			< <(find "$d" -type f ! -name '.*' -print0 | sort -z)
	done
	if ((${#inputs[@]})) && ! "$bin" "${opts[@]}" "${inputs[@]}" > "$dir/replay.log" 2>&1; then
		echo "replay" > "$dir/verdict"
		return
	fi
	# The scratch corpus comes first: libFuzzer only adds to the first directory.
	local dirs=("$dir/corpus")
	for d in "$seeds" "$vseeds" "$regress"; do
		[[ -d $d ]] && dirs+=("$d")
	done
	"$bin" "${opts[@]}" -max_total_time="$seconds" -print_final_stats=1 "${dirs[@]}" \
		> "$dir/fuzz.log" 2>&1 || rc=$?
	if ((rc)); then
		echo "fuzz" > "$dir/verdict"
	else
		echo "ok" > "$dir/verdict"
	fi
}

started=$(date +%s)
running=0
for t in "${targets[@]}"; do
	if ((running >= parallel)); then
		wait -n
		running=$((running - 1))
	fi
	run_target "$t" &
	running=$((running + 1))
done
wait

failed=0
for t in "${targets[@]}"; do
	dir=$scratch/$t
	verdict=$(cat "$dir/verdict" 2>/dev/null || echo "fuzz")
	case $verdict in
	ok)
		stats=$(grep -E '^stat::number_of_executed_units' "$dir/fuzz.log" | awk '{print $2}')
		cov=$(grep -oE 'cov: [0-9]+' "$dir/fuzz.log" | tail -n 1)
		echo "fuzz.sh: $t: ok (${stats:-?} runs in ${seconds} s, ${cov:-cov: ?})" >&2
		;;
	replay)
		failed=1
		echo "fuzz.sh: $t: a committed input fails:" >&2
		grep -E 'ERROR|SUMMARY|property failed|Running:|^==' "$dir/replay.log" | tail -n 20 >&2 || tail -n 20 "$dir/replay.log" >&2
		;;
	*)
		failed=1
		found=0
		mkdir -p "$FUZZ/regressions/$t"
		for a in "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* "$dir"/slow-unit-*; do
			[[ -f $a ]] || continue
			[[ ${a##*/} == slow-unit-* ]] && continue
			cp "$a" "$FUZZ/regressions/$t/"
			echo "fuzz.sh: $t: FAILED; reproducer kept as tests/fuzz/regressions/$t/${a##*/}" >&2
			echo "  reproduce: $BUILD/tests/fuzz/fuzz_$t tests/fuzz/regressions/$t/${a##*/}" >&2
			found=1
		done
		((found)) || echo "fuzz.sh: $t: the fuzzer failed without leaving an input" >&2
		grep -E 'ERROR|SUMMARY|property failed|^    #[0-9] ' "$dir/fuzz.log" | head -n 20 >&2 || tail -n 20 "$dir/fuzz.log" >&2
		;;
	esac
done
echo "fuzz.sh: ${#targets[@]} targets in $(($(date +%s) - started)) s" >&2
exit "$failed"
