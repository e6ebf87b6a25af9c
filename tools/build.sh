#!/usr/bin/env bash
# The one entry point for building cwinit: configures (when needed) and builds, then prints the
# path of the cwinit binary as the last line of stdout.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: tools/build.sh [--static|--dev] [BUILD_DIR]

  --static   (default) fully static, size-optimised, stripped cwinit: builds the static
             dependencies with tools/static-deps.sh (cached), then CMake with CWINIT_STATIC=ON.
             BUILD_DIR defaults to build-static/ in the repository.
  --dev      dynamic debug build against the system libraries; BUILD_DIR defaults to build/.

Builds everything (cwinit, cwcore, unit tests). Progress goes to stderr; the last line of stdout
is the absolute path of the built cwinit. Nothing is rebuilt when nothing changed.
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=static
dir=
while (($#)); do
	case $1 in
	--static) mode=static ;;
	--dev) mode=dev ;;
	-h | --help) usage; exit 0 ;;
	-*) printf 'build.sh: unknown option %s\n\n' "$1" >&2; usage >&2; exit 2 ;;
	*)
		[[ -z $dir ]] || { printf 'build.sh: more than one BUILD_DIR\n\n' >&2; usage >&2; exit 2; }
		dir=$1
		;;
	esac
	shift
done

exec 3>&1 1>&2

if [[ $mode == static ]]; then
	dir=${dir:-$ROOT/build-static}
	prefix=$("$ROOT/tools/static-deps.sh" | tail -n 1)
	[[ -f $prefix/.complete ]] || { echo "build.sh: static-deps.sh printed no usable prefix" >&2; exit 1; }
	settings=(-DCMAKE_BUILD_TYPE=MinSizeRel -DCWINIT_STATIC=ON "-DCWINIT_DEPS_PREFIX=$prefix")
else
	dir=${dir:-$ROOT/build}
	settings=(-DCMAKE_BUILD_TYPE=Debug -DCWINIT_STATIC=OFF -DCWINIT_DEPS_PREFIX=)
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# Configure only when the cache is missing or holds other settings; `cmake --build` itself
# reconfigures when CMakeLists.txt or the globbed source list changes.
cache=$dir/CMakeCache.txt
configured=1
[[ -f $cache ]] || configured=0
for s in "${settings[@]}"; do
	s=${s#-D}
	line=$(grep -m1 -E "^${s%%=*}:[A-Z]+=" "$cache" 2>/dev/null) || line=
	[[ -n $line && ${line#*=} == "${s#*=}" ]] || configured=0
done
if ((!configured)); then
	cmake -S "$ROOT" -B "$dir" "${settings[@]}"
fi
cmake --build "$dir" -j2

[[ -x $dir/cwinit ]] || { echo "build.sh: $dir/cwinit was not built" >&2; exit 1; }
printf '%s\n' "$dir/cwinit" >&3
