#!/bin/bash
# tools/static-deps.sh on a machine whose installed packages lag the archive: the source of the
# installed libssl3 is gone from the Sources index, so the packages built from it are upgraded to
# apt's candidate before anything is built, and the build then uses the candidate's source.
# dpkg-query, apt-get and id are faked; nothing is installed or downloaded.
# shellcheck disable=SC2317,SC2016 # the fakes are called by the sourced script; dpkg-query's format is literal
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fails=0
ok() { printf 'ok: %s\n' "$1"; }
bad() { printf 'FAIL: %s\n' "$1" >&2; fails=$((fails + 1)); }

# Runs static-deps.sh's align_anchors and compute_key in a subshell with the fake package state
# given as words: installed=<openssl version>, candidate=<version apt would upgrade to>,
# index=<openssl versions in the Sources index, comma-separated>, uid=<id -u>. Prints the
# fakes' record of what was run, then "openssl=<version used>" and the key's inputs.
run_case() (
	local installed='' candidate='' index='' uid=0 w
	for w; do
		case $w in
		installed=*) installed=${w#*=} ;;
		candidate=*) candidate=${w#*=} ;;
		index=*) index=${w#*=} ;;
		uid=*) uid=${w#*=} ;;
		esac
	done
	state=$(mktemp)
	trap 'rm -f "$state"' EXIT
	printf '%s\n' "$installed" >"$state"
	# shellcheck source=tools/static-deps.sh disable=SC1091
	. "$top/tools/static-deps.sh"
	set +o pipefail # the fakes below end early on purpose
	id() { echo "$uid"; }
	apt_src_update() { :; }
	dpkg-query() {
		local ssl
		ssl=$(cat "$state")
		if [[ $* == *'${db:Status-Status}'* ]]; then
			printf 'installed %s openssl\n' libssl3:amd64 libssl-dev:amd64 openssl
			printf 'installed %s curl\n' libcurl4:amd64
			printf 'config-files %s openssl\n' libssl1.1:amd64
			return
		fi
		printf 'libssl3 openssl %s\n' "$ssl"
		printf 'libdevmapper1.02.1 lvm2 2.03.16-2\n'
		printf 'libcryptsetup12 cryptsetup 2:2.6.1-4~deb12u2\n'
		printf 'libcurl4 curl 7.88.1-10+deb12u15\n'
		printf 'libcjson1 cjson 1.7.15-1+deb12u4\n'
		printf 'libc-ares2 c-ares 1.18.1-3\n'
	}
	apt-get() {
		local a
		case " $* " in
		*" source "*)
			a=${*: -1}
			case $a in
			openssl=*) [[ ,$index, == *",${a#openssl=},"* ]] ;;
			*) return 0 ;;
			esac
			;;
		*" update "*) echo "ran: apt-get update" ;;
		*" install "*)
			echo "ran: apt-get ${*}"
			printf '%s\n' "$candidate" >"$state"
			;;
		esac
	}
	align_anchors 2>&1
	compute_key
	echo "openssl=${VERSION[openssl]}"
	printf '%s' "$KEY_INPUTS"
)

# 1. The installed version's source is in the index: nothing is upgraded.
out=$(run_case installed=3.0.22-1~deb12u2 candidate=3.0.22-1~deb12u2 index=3.0.20-1~deb12u2,3.0.22-1~deb12u2)
if [[ $out != *"ran:"* && $out == *"openssl=3.0.22-1~deb12u2"* ]]; then ok "current machine: no upgrade"
else bad "current machine: $out"; fi

# 2. The machine lags: 3.0.19 installed, the index serves 3.0.20 and 3.0.22, apt's candidate is
#    3.0.22. Every installed package of the openssl source is upgraded (and no other), then the
#    build and its key use 3.0.22.
out=$(run_case installed=3.0.19-1~deb12u2 candidate=3.0.22-1~deb12u2 index=3.0.20-1~deb12u2,3.0.22-1~deb12u2)
install=$(grep '^ran: apt-get install' <<<"$out" || true)
if [[ $out == *"ran: apt-get update"* &&
	$install == "ran: apt-get install -y --no-install-recommends --only-upgrade libssl-dev:amd64 libssl3:amd64 openssl" &&
	$out == *"openssl=3.0.22-1~deb12u2"* && $out == *"src openssl 3.0.22-1~deb12u2"* ]]; then
	ok "lagging machine: openssl's packages upgraded to the candidate, built from its source"
else bad "lagging machine: $out"; fi

# 3. The candidate's source is not in the index either: a clear error, no build.
if out=$(run_case installed=3.0.19-1~deb12u2 candidate=3.0.19-1~deb12u2 index=3.0.22-1~deb12u2 2>&1); then
	bad "candidate not in the index: succeeded: $out"
elif [[ $out == *"the Sources index has no openssl=3.0.19-1~deb12u2"* ]]; then ok "candidate not in the index: refused"
else bad "candidate not in the index: $out"; fi

# 4. Not root: says what to upgrade instead of trying.
if out=$(run_case installed=3.0.19-1~deb12u2 candidate=3.0.22-1~deb12u2 index=3.0.22-1~deb12u2 uid=1000 2>&1); then
	bad "not root: succeeded: $out"
elif [[ $out != *"ran:"* && $out == *"upgrade libssl-dev:amd64 libssl3:amd64 openssl"* ]]; then ok "not root: names the packages"
else bad "not root: $out"; fi

((fails == 0))
