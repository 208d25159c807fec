#!/bin/sh
# Run kinko's benchmark (make bench does this from the build directory).
#   KINKO_BUILDDIR  build directory (default: the current one)
#   BENCH_SECONDS   seconds per figure, over its 5 samples (default 2)
# SoftHSM2 is compared when /usr/lib/softhsm/libsofthsm2.so exists (apt-get install softhsm2).
set -eu
builddir=${KINKO_BUILDDIR:-$(pwd)}
KINKO_BUILDDIR=$(cd "$builddir" && pwd)
export KINKO_BUILDDIR
bin="$KINKO_BUILDDIR/bench/bench_sign"
if [ ! -x "$bin" ]; then
	echo "run.sh: $bin is missing: run 'make bench' in the build directory" >&2
	exit 1
fi
exec "$bin" --seconds "${BENCH_SECONDS:-2}" "$@"
