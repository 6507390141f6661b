#!/usr/bin/env bash
# packaging/make-deb.sh OUTDIR - `make deb`: builds the aiguard-dkms,
# aiguard and aiguard-dev packages with dpkg-buildpackage -us -uc -b in a
# clean copy of the tree (the files git knows, committed or not), never in
# the tree itself. The .debs, .buildinfo and .changes land in OUTDIR, the
# build log in OUTDIR/build.log.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
VER=$(cat "$ROOT/VERSION")
SRC=$OUT/src/aiguard-$VER

for tool in dpkg-buildpackage dh dh_dkms; do
	command -v "$tool" >/dev/null || {
		echo "make deb: $tool missing: apt-get install dpkg-dev debhelper dh-dkms build-essential" >&2
		exit 1
	}
done
deb_up=$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version)
deb_up=${deb_up%-*}
if [ "$deb_up" != "$VER" ]; then
	echo "make deb: debian/changelog says $deb_up, VERSION says $VER" >&2
	exit 1
fi
rm -rf "$OUT/src" "$OUT"/*.deb "$OUT"/*.buildinfo "$OUT"/*.changes
mkdir -p "$SRC"
# Outside a git checkout (a release tarball): everything but build/.
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -xf - -C "$SRC"
else
	tar -C "$ROOT" --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$SRC"
fi
echo "make deb: building in $SRC (log: $OUT/build.log)" >&2
if ! (cd "$SRC" && dpkg-buildpackage -us -uc -b) >"$OUT/build.log" 2>&1; then
	tail -n 40 "$OUT/build.log" >&2
	echo "make deb: dpkg-buildpackage failed (log: $OUT/build.log)" >&2
	exit 1
fi
mv "$OUT"/src/*.deb "$OUT"/src/*.buildinfo "$OUT"/src/*.changes "$OUT"/
ls -1 "$OUT"/*.deb
