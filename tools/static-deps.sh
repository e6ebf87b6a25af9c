#!/usr/bin/env bash
# Builds the static libraries of the release binary from Debian's own source packages, at the
# versions of the installed binary packages, so a fully static cwinit links against the same code
# the dynamic build uses: the ones Debian does not ship static (libdevmapper, libcryptsetup, a
# small libcurl, cJSON), c-ares compiled for size (Debian's libcares.a is not: it brought 59 kB
# into cwinit where this one brings 22 kB) and an OpenSSL trimmed to what cwinit uses (Debian's
# libcrypto.a carries every algorithm and would be most of the binary).
set -euo pipefail
shopt -s inherit_errexit

usage() {
	cat <<'EOF'
Usage: tools/static-deps.sh

Builds static libcrypto and libssl (OpenSSL without the algorithms and protocols cwinit, curl
and libcryptsetup do not use), libdevmapper (lvm2 libdm), libcryptsetup (OpenSSL backend,
libargon2), libcurl (HTTP/HTTPS over OpenSSL only), cJSON and c-ares from Debian's source packages that
match the installed binary packages, into $CACHE/static-deps/<key>/ (include/, lib/). Installs
the apt packages it needs (run as root). <key> changes when this script or any source/library
version changes; a run with an existing complete prefix does nothing.

Last line of stdout: the prefix. Progress and errors go to stderr; build logs stay in
$CACHE/static-deps/build-<key>/ when a step fails.

Environment:
  CWINIT_CACHE   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/cwinit)
EOF
}

log() { printf 'static-deps: %s\n' "$*" >&2; }
die() { printf 'static-deps: error: %s\n' "$*" >&2; exit 1; }

CACHE=${CWINIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cwinit}
BASE=$CACHE/static-deps
SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
JOBS=2
# No unwind tables: nothing in a static cwinit unwinds the stack (no C++, no pthread_cancel, no
# backtraces), and they were a tenth of the binary.
OPT_CFLAGS="-Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables"
export LC_ALL=C
# The key does not cover the caller's environment, so none of it may reach the builds.
unset CPPFLAGS CXXFLAGS LDFLAGS LIBS PKG_CONFIG_PATH CC CFLAGS

# Build tools and the -dev packages whose static libraries (or headers) the build and the final
# link use. libpopt-dev only because cryptsetup's configure checks for popt unconditionally, even
# with every command-line tool disabled.
TOOL_PKGS=(gcc make patch xz-utils dpkg-dev autoconf automake libtool autopoint gettext
	pkg-config cmake)
LIB_PKGS=(libssl-dev libjson-c-dev libargon2-dev libblkid-dev uuid-dev libpopt-dev)
# The dynamic build's -dev packages; their runtime libraries pin the source versions below.
DEV_PKGS=(libcryptsetup-dev libcurl4-openssl-dev libcjson-dev libc-ares-dev)
# source package -> installed binary package that carries its version
declare -A ANCHOR=([openssl]=libssl3 [lvm2]=libdevmapper1.02.1 [cryptsetup]=libcryptsetup12
	[curl]=libcurl4 [cjson]=libcjson1 [c-ares]=libc-ares2)
SOURCES=(openssl lvm2 cryptsetup curl cjson c-ares)
# Sources built from the upstream tarball of their Debian source package, without Debian's
# patches. OpenSSL's patches adapt the packaging, the shared library and the system-wide
# configuration file, none of which a static, configuration-less build uses (its security fixes
# are the upstream release's); and the archive may lack a security update's .debian.tar.xz while
# it still serves its .orig.tar.gz.
declare -A ORIG_ONLY=([openssl]=1)

# What the OpenSSL build leaves out: TLS below 1.2, DTLS and the protocols around TLS that curl
# does not use (SRP, PSK, SCTP, SRTP, NPN, CT, OCSP, CMS, TS, CMP), engines and loadable modules,
# and the ciphers and digests no LUKS setup, TLS 1.2/1.3 suite or KBS message needs (the LUKS
# hashes sha1, sha2, sha3, ripemd160 and blake2, and AES in every mode, stay; DSA, binary curves,
# GOST, SM2-4, ARIA, Camellia, SEED, IDEA, MDC2, RC2/4/5, Blowfish, CAST, DES, MD4 and Whirlpool
# go; the last six were in the legacy provider that a static binary cannot load anyway).
OPENSSL_OPTIONS=(no-shared no-module no-engine no-dso no-legacy no-comp no-zlib no-ssl3 no-tls1
	no-tls1_1 no-dtls no-srp no-psk no-sctp no-srtp no-nextprotoneg no-ct no-ocsp no-cms no-ts
	no-cmp no-rfc3779 no-dsa no-ec2m no-gost no-sm2 no-sm3 no-sm4 no-aria no-camellia no-seed
	no-idea no-mdc2 no-rc2 no-rc4 no-rc5 no-bf no-cast no-des no-md4 no-whirlpool no-siphash
	no-scrypt no-ocb no-siv no-async no-ui-console no-autoload-config no-filenames no-ssl-trace
	no-tests)

install_prereqs() {
	local missing
	# One dpkg-query for all: unknown packages print nothing, so compare against the full list.
	missing=$(comm -23 <(printf '%s\n' "${TOOL_PKGS[@]}" "${LIB_PKGS[@]}" "${DEV_PKGS[@]}" | sort -u) \
		<(dpkg-query -W -f='${Package} ${db:Status-Status}\n' \
			"${TOOL_PKGS[@]}" "${LIB_PKGS[@]}" "${DEV_PKGS[@]}" 2>/dev/null |
			awk '$2 == "installed" { print $1 }' | sort -u))
	[[ -n $missing ]] || return 0
	missing=$(printf '%s' "$missing" | tr '\n' ' ')
	[[ $(id -u) == 0 ]] || die "missing packages ($missing); run as root or install them"
	log "installing $missing"
	# shellcheck disable=SC2086 # a list of package names
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing; then
		log "apt-get install failed; running apt-get update and retrying"
		apt-get update
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
	fi
}

# VERSION[source] = the source version of its installed anchor package.
declare -A VERSION
read_anchor_versions() {
	local s bins=() pkg src ver
	VERSION=()
	for s in "${SOURCES[@]}"; do
		bins+=("${ANCHOR[$s]}")
	done
	while read -r pkg src ver; do
		for s in "${SOURCES[@]}"; do
			if [[ ${ANCHOR[$s]} == "$pkg" ]]; then
				[[ $src == "$s" ]] || die "$pkg comes from source '$src', expected '$s'"
				VERSION[$s]=$ver
			fi
		done
	done < <(dpkg-query -W -f='${Package} ${source:Package} ${source:Version}\n' "${bins[@]}")
	for s in "${SOURCES[@]}"; do
		[[ -n ${VERSION[$s]:-} ]] || die "${ANCHOR[$s]} is not installed"
	done
}

# Whether the Sources index (the temporary deb-src lists) holds source $1 at version $2.
index_has_source() {
	local opts
	apt_src_update
	mapfile -t opts < <(apt_opts)
	apt-get "${opts[@]}" -q --print-uris source "$1=$2" >/dev/null 2>&1
}

# Machines made from an older image lag the archive: one had libssl3 3.0.19 installed while the
# indexes served 3.0.20, 3.0.17 and 3.0.22, so no index held the installed version's source. The
# static libraries must be built from the source of the code the dynamic build runs, so when an
# anchor's source version is gone from the index, every installed package built from that source
# (libssl3, libssl-dev, openssl together) is first brought up to apt's candidate; then the
# anchor's new version must be in the index.
align_anchors() {
	local s stale=() pkgs
	read_anchor_versions
	for s in "${SOURCES[@]}"; do
		index_has_source "$s" "${VERSION[$s]}" || stale+=("$s")
	done
	((${#stale[@]})) || return 0
	mapfile -t pkgs < <(dpkg-query -W -f='${db:Status-Status} ${binary:Package} ${source:Package}\n' |
		awk -v want=" ${stale[*]} " '$1 == "installed" && index(want, " " $3 " ") { print $2 }' |
		sort -u)
	for s in "${stale[@]}"; do
		log "the source of ${ANCHOR[$s]} ${VERSION[$s]} is no longer in the archive"
	done
	[[ $(id -u) == 0 ]] || die "upgrade ${pkgs[*]} to the archive's version (run as root to do it here)"
	log "upgrading ${pkgs[*]} to the archive's candidate"
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends --only-upgrade "${pkgs[@]}"
	read_anchor_versions
	for s in "${stale[@]}"; do
		index_has_source "$s" "${VERSION[$s]}" ||
			die "${ANCHOR[$s]} is at ${VERSION[$s]} after the upgrade, and the Sources index has no $s=${VERSION[$s]}; check that apt's sources include the -updates and -security suites"
	done
}

# The key covers this script, the source versions (those of the installed binary packages), the
# -dev packages the libraries are compiled against, and the compiler.
compute_key() {
	local s inputs
	read_anchor_versions
	inputs="script $(sha256sum "$SCRIPT" | cut -d' ' -f1)"$'\n'
	for s in "${SOURCES[@]}"; do
		inputs+="src $s ${VERSION[$s]}"$'\n'
	done
	inputs+=$(dpkg-query -W -f='lib ${Package} ${Version}\n' "${LIB_PKGS[@]}")$'\n'
	inputs+="gcc $(gcc -dumpfullversion)"$'\n'
	KEY_INPUTS=$inputs
	KEY=$(printf '%s' "$inputs" | sha256sum | cut -c1-16)
}

# apt configuration that only knows a temporary deb-src list; it never touches the system lists.
APT_DIR=$BASE/apt
apt_opts() {
	printf '%s\n' -o "Dir::Etc::SourceList=$APT_DIR/sources.list" \
		-o "Dir::Etc::SourceParts=$APT_DIR/parts" -o "Dir::State::Lists=$APT_DIR/lists" \
		-o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o "APT::Sandbox::User=root"
}

APT_UPDATED=
apt_src_update() {
	[[ -z $APT_UPDATED ]] || return 0
	local suite keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	# shellcheck disable=SC1091
	suite=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
	[[ -n $suite ]] || die "cannot read VERSION_CODENAME from /etc/os-release"
	[[ -r $keyring ]] || die "$keyring missing (package debian-archive-keyring)"
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/parts"
	cat >"$APT_DIR/sources.list" <<EOF
deb-src [signed-by=$keyring] http://deb.debian.org/debian $suite main
deb-src [signed-by=$keyring] http://deb.debian.org/debian $suite-updates main
deb-src [signed-by=$keyring] http://deb.debian.org/debian-security $suite-security main
EOF
	log "updating the temporary deb-src lists ($suite, $suite-updates, $suite-security)"
	local opts
	mapfile -t opts < <(apt_opts)
	apt-get "${opts[@]}" -q update >"$APT_DIR/update.log" 2>&1 ||
		{ tail -n 20 "$APT_DIR/update.log"; die "apt-get update of the deb-src lists failed"; }
	APT_UPDATED=1
}

# Downloads (once; kept in $BASE/src) source $1 at VERSION[$1] and records its .dsc in DSC (or,
# for ORIG_ONLY sources, its upstream tarball in ORIG).
declare -A DSC ORIG
fetch_source() {
	local src=$1 ver=${VERSION[$1]} dsc opts
	if [[ -n ${ORIG_ONLY[$src]:-} ]]; then
		fetch_orig "$src"
		return
	fi
	dsc=$BASE/src/${src}_${ver#*:}.dsc
	if [[ ! -f $dsc ]]; then
		apt_src_update
		mkdir -p "$BASE/src"
		log "downloading source $src=$ver"
		mapfile -t opts < <(apt_opts)
		(cd "$BASE/src" && apt-get "${opts[@]}" -q source --download-only "$src=$ver") \
			>"$APT_DIR/source-$src.log" 2>&1 || {
			tail -n 20 "$APT_DIR/source-$src.log" >&2
			die "source $src=$ver is not in the archive"
		}
		[[ -f $dsc ]] || die "apt-get source did not produce $dsc"
	fi
	DSC[$src]=$dsc
}

# The upstream tarball alone, checked (by apt-helper) against the SHA256 of the signed Sources
# index; a .orig file beside it records which tarball belongs to the Debian version.
fetch_orig() {
	local src=$1 ver=${VERSION[$1]} opts uri name size hash upstream record
	record=$BASE/src/${src}_${ver#*:}.orig
	if [[ -f $record && -f $BASE/src/$(cat "$record") ]]; then
		ORIG[$src]=$BASE/src/$(cat "$record")
		return
	fi
	apt_src_update
	mkdir -p "$BASE/src"
	upstream=${ver#*:}
	upstream=${upstream%-*}
	mapfile -t opts < <(apt_opts)
	read -r uri name size hash < <(apt-get "${opts[@]}" -q --print-uris source "$src=$ver" \
		2>"$APT_DIR/source-$src.log" |
		awk -v n="${src}_$upstream.orig.tar." 'index($2, n) == 1 && $2 !~ /\.asc$/' | head -n 1) ||
		true
	[[ ${hash:-} == SHA256:* ]] ||
		die "no upstream tarball of $src=$ver in the Sources index (see $APT_DIR/source-$src.log)"
	uri=${uri#\'}
	uri=${uri%\'}
	log "downloading $name (source $src=$ver, upstream tarball only)"
	/usr/lib/apt/apt-helper download-file "$uri" "$BASE/src/$name" "$hash" \
		>"$APT_DIR/download-$src.log" 2>&1 ||
		{ tail -n 5 "$APT_DIR/download-$src.log" >&2; die "download of $uri failed"; }
	[[ $(stat -c %s "$BASE/src/$name") == "$size" ]] || die "$name is not $size bytes long"
	printf '%s\n' "$name" >"$record"
	ORIG[$src]=$BASE/src/$name
}

# Runs a build step in a subshell (errexit stays in force there, unlike in a function called
# from a condition) with its output in a log; shows the log's end if the step fails.
step() {
	local name=$1 t0=$SECONDS
	shift
	log "$name"
	("$@") >"$WORK/$name.log" 2>&1 &
	if ! wait $!; then
		tail -n 40 "$WORK/$name.log" >&2
		die "step '$name' failed; full log: $WORK/$name.log"
	fi
	log "$name done ($((SECONDS - t0)) s)"
}

extract() { # extract <source> -> $WORK/<source>
	if [[ -n ${ORIG[$1]:-} ]]; then
		mkdir -p "$WORK/$1"
		tar -xf "${ORIG[$1]}" -C "$WORK/$1" --strip-components=1 --no-same-owner
		return
	fi
	# The .dsc's own signature cannot be checked without debian-keyring (a warning); its
	# authenticity comes from apt's signed Sources index, and dpkg-source still checks the
	# tarball checksums against it.
	dpkg-source --no-copy -x "${DSC[$1]}" "$WORK/$1"
}

build_openssl() {
	cd "$WORK/openssl"
	# Configure takes the compiler flags from CFLAGS (ours, instead of its -O3). The directory
	# of a configuration file is Debian's, though none is ever loaded (no-autoload-config).
	./Configure linux-x86_64 --prefix="$PREFIX" --libdir=lib --openssldir=/usr/lib/ssl \
		"${OPENSSL_OPTIONS[@]}"
	make -j"$JOBS" build_libs
	make install_dev
}

build_libdm() {
	cd "$WORK/lvm2"
	./configure --prefix="$PREFIX" --libdir="$PREFIX/lib" --with-usrlibdir="$PREFIX/lib" \
		--includedir="$PREFIX/include" \
		--enable-static_link --enable-pkgconfig --disable-selinux --disable-readline \
		--disable-blkid_wiping --disable-udev_sync --disable-udev_rules \
		--disable-udev-systemd-background-jobs --disable-systemd-journal \
		--disable-app-machineid --disable-nls --with-thin=none --with-cache=none \
		--with-vdo=none --with-writecache=none --with-integrity=none --disable-fsadm
	# Only the static archive: the shared library and the dm tools are not needed.
	make -C libdm -j"$JOBS" ioctl/libdevmapper.a libdevmapper.pc
	make -C libdm install_include install_ioctl_static install_pkgconfig
}

build_cryptsetup() {
	cd "$WORK/cryptsetup"
	./autogen.sh
	PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig CPPFLAGS="-I$PREFIX/include" LDFLAGS="-L$PREFIX/lib" \
		./configure --prefix="$PREFIX" --libdir="$PREFIX/lib" --disable-shared --enable-static \
		--disable-cryptsetup --disable-veritysetup --disable-integritysetup \
		--disable-asciidoc --disable-ssh-token --disable-external-tokens \
		--disable-luks2-reencryption --disable-nls --disable-selinux --disable-udev \
		--with-crypto_backend=openssl --enable-libargon2 \
		--with-luks2-lock-path=/run/cryptsetup
	make -j"$JOBS" libcryptsetup.la
	make install-libLTLIBRARIES install-includeHEADERS install-pkgconfigDATA
}

build_curl() {
	cd "$WORK/curl"
	# Debian applies its GnuTLS and NSS flavour patches last (renaming the library); the OpenSSL
	# flavour is the tree without them.
	local p
	for p in 99_nss.patch 90_gnutls.patch; do
		grep -qx "$p" .pc/applied-patches || die "curl: expected Debian patch $p is not applied"
		patch -R -p1 --no-backup-if-mismatch <"debian/patches/$p"
	done
	autoreconf -fi
	./configure --prefix="$PREFIX" --libdir="$PREFIX/lib" --disable-shared --enable-static \
		--disable-dependency-tracking --with-openssl="$PREFIX" \
		--enable-http --enable-cookies --enable-http-auth --enable-headers-api \
		--disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp \
		--disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap \
		--disable-smb --disable-smtp --disable-gopher --disable-mqtt --disable-websockets \
		--disable-manual --disable-libcurl-option --disable-proxy --disable-ntlm \
		--disable-ntlm-wb --disable-crypto-auth --disable-tls-srp --disable-alt-svc \
		--disable-hsts --disable-doh --disable-mime --disable-netrc --disable-progress-meter \
		--disable-dnsshuffle --disable-get-easy-options --disable-unix-sockets --disable-ares \
		--disable-openssl-auto-load-config --disable-versioned-symbols \
		--without-ca-bundle --without-ca-path --without-ca-fallback \
		--without-zlib --without-brotli --without-zstd --without-libidn2 --without-libpsl \
		--without-libssh2 --without-libssh --without-nghttp2 --without-ngtcp2 \
		--without-nghttp3 --without-quiche --without-msh3 --without-librtmp \
		--without-libgsasl --without-hyper --without-zsh-functions-dir \
		--without-fish-functions-dir
	make -C lib -j"$JOBS"
	make -C lib install-libLTLIBRARIES
	make -C include install
	make install-pkgconfigDATA
}

build_cjson() {
	cmake -S "$WORK/cjson" -B "$WORK/cjson-build" -DCMAKE_BUILD_TYPE=MinSizeRel \
		-DCMAKE_C_FLAGS="$OPT_CFLAGS" -DCMAKE_INSTALL_PREFIX="$PREFIX" \
		-DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_INSTALL_INCLUDEDIR=include \
		-DBUILD_SHARED_LIBS=OFF -DENABLE_CJSON_TEST=OFF -DENABLE_CJSON_UTILS=OFF \
		-DENABLE_TARGET_EXPORT=OFF
	cmake --build "$WORK/cjson-build" -j"$JOBS"
	cmake --install "$WORK/cjson-build"
}

build_cares() {
	cmake -S "$WORK/c-ares" -B "$WORK/c-ares-build" -DCMAKE_BUILD_TYPE=MinSizeRel \
		-DCMAKE_C_FLAGS="$OPT_CFLAGS" -DCMAKE_INSTALL_PREFIX="$PREFIX" \
		-DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_INSTALL_INCLUDEDIR=include \
		-DCARES_STATIC=ON -DCARES_SHARED=OFF -DCARES_BUILD_TOOLS=OFF -DCARES_BUILD_TESTS=OFF
	cmake --build "$WORK/c-ares-build" -j"$JOBS"
	cmake --install "$WORK/c-ares-build"
}

check_prefix() {
	local f
	for f in lib/libcrypto.a lib/libssl.a lib/libdevmapper.a lib/libcryptsetup.a lib/libcurl.a \
		lib/libcjson.a lib/libcares.a include/openssl/ssl.h include/libdevmapper.h \
		include/libcryptsetup.h include/curl/curl.h include/cjson/cJSON.h include/ares.h; do
		[[ -f $PREFIX/$f ]] || die "build finished but $PREFIX/$f is missing"
	done
}

main() {
	case "${1:-}" in
	-h | --help) usage; exit 0 ;;
	"") ;;
	*) usage >&2; exit 2 ;;
	esac
	# Everything but the final prefix line goes to stderr.
	exec 3>&1 1>&2

	install_prereqs
	compute_key
	PREFIX=$BASE/$KEY
	if [[ -f $PREFIX/.complete ]]; then
		printf '%s\n' "$PREFIX" >&3
		return
	fi

	mkdir -p "$BASE"
	# Several builds may start at once; one builds, the others wait and reuse its result.
	exec 9>"$BASE/.lock"
	flock 9
	# A prefix is only built from sources the index holds (the upgrade may change the key).
	align_anchors
	compute_key
	PREFIX=$BASE/$KEY
	if [[ -f $PREFIX/.complete ]]; then
		printf '%s\n' "$PREFIX" >&3
		return
	fi

	local t0=$SECONDS s
	WORK=$BASE/build-$KEY
	rm -rf "$PREFIX" "$WORK"
	mkdir -p "$PREFIX" "$WORK"
	log "building into $PREFIX"
	export CFLAGS=$OPT_CFLAGS
	for s in "${SOURCES[@]}"; do
		fetch_source "$s"
	done
	for s in "${SOURCES[@]}"; do
		step "extract-$s" extract "$s"
	done
	step build-openssl build_openssl
	step build-libdm build_libdm
	step build-cryptsetup build_cryptsetup
	step build-curl build_curl
	step build-cjson build_cjson
	step build-c-ares build_cares
	rm -f "$PREFIX"/lib/*.la
	check_prefix
	printf '%s' "$KEY_INPUTS" >"$PREFIX/versions.txt"
	touch "$PREFIX/.complete"
	rm -rf "$WORK"
	log "done in $((SECONDS - t0)) s"
	printf '%s\n' "$PREFIX" >&3
}

# Sourced by tests/scripts/static_deps_versions.sh, which fakes dpkg-query and apt-get.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
