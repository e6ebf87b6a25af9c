#!/bin/bash
# The folders depend on each other one way: base <- attest, mount <- init. Reads the symbols of
# cwcore's objects (their paths end in /<folder>/<file>.c.o) and fails when a folder uses a symbol
# defined in a folder above it or beside it.
set -euo pipefail

declare -A defs uses
for o in "$@"; do
	d=$(basename "$(dirname "$o")")
	defs[$d]+=$(nm --defined-only "$o" | awk '$2 ~ /^[TDBRC]$/ { print $3 }')$'\n'
	uses[$d]+=$(nm --undefined-only "$o" | awk '{ print $2 }')$'\n'
done
[[ -n ${defs[base]:-} && -n ${defs[init]:-} ]] || { echo "layers: no objects of base/ and init/ given" >&2; exit 2; }

# folder -> the folders it may use
declare -A allowed=([base]="" [attest]="base" [mount]="base" [init]="base attest mount")
bad=0
for d in "${!uses[@]}"; do
	for e in "${!defs[@]}"; do
		[[ $d == "$e" || " ${allowed[$d]-} " == *" $e "* ]] && continue
		hits=$(comm -12 <(sort -u <<<"${uses[$d]}") <(sort -u <<<"${defs[$e]}") | sed '/^$/d')
		if [[ -n $hits ]]; then
			echo "layers: $d/ uses $e/: $(tr '\n' ' ' <<<"$hits")" >&2
			bad=1
		fi
	done
done
((!bad)) && echo "layers: base <- attest, mount <- init holds"
exit "$bad"
