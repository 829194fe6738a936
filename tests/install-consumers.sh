#!/usr/bin/env bash
# Installs softmargin into a fresh prefix with the CMake front end, checks what was installed
# (soname, symlinks, headers, pkg-config and CMake files, DESTDIR staging), then builds and runs
# consumers against the installation: the CTest project in tests/cmake-consumer, the examples
# through pkg-config (shared, and static with pkg-config --static, and from a moved copy of the
# prefix), and the Python tests. Then the same CTest project with softmargin vendored, through
# add_subdirectory and through FetchContent from this repository's HEAD commit, each checked to
# write nothing outside the subproject's binary directory. Last, the Python package: an sdist
# and a wheel built from it (python -m build), the wheel checked (manylinux tag, license files,
# metadata), installed into a fresh venv and imported from another directory with no
# environment variable, where the Python tests run against it, and again against the installed
# library (SOFTMARGIN_LIBRARY).
#
# The commands the README and docs/ show for these routes run here as written (the shell blocks'
# checked to be still in their documents first): the CMake install (staged with DESTDIR, so the
# prefix is /usr/local under the staging directory), the DESTDIR line, the PKG_CONFIG_PATH
# export, the pkg-config lines, the CTest consumer, linking without installing, pip install
# ./python, the sdist and wheel build, pytest's install and pytest against target/release, and
# the two Python benchmarks; then every C, C++ and Python block of the documents
# (tests/doc-snippets.sh, with the venv's Python).
#
#   tests/install-consumers.sh   (after `cargo build --release`)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
# Background builds still running when the script stops (on a failure) go with it; so do the
# files the documented commands write into the repository.
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work" build build-consumer prog prog.c python/dist' EXIT

# documented DOC CMD: CMD run as DOC shows it, after checking that DOC still does.
. tests/documented.sh

# Each route below builds the library in release mode, where most of the time goes to one
# codegen unit on one core: the independent ones run side by side. The Python build (an sdist,
# then a wheel from it) starts now, in the background; its checks come last.
echo "== Python: python3 -m build ./python started (an sdist, then a wheel from it)"
pip_cache="$work/pip-cache"
export PIP_CACHE_DIR="$pip_cache"
documented docs/python.md 'python3 -m build -C maturin.build-args="--compatibility pypi" ./python' \
    >"$work/build.log" 2>&1 &
python_build=$!

echo "== pip install ./python started, as the README shows it, into a fresh venv"
python3 -m venv --system-site-packages "$work/venv-pip"
(
    # shellcheck disable=SC1091
    source "$work/venv-pip/bin/activate"
    documented README.md 'pip install ./python'
) >"$work/pip.log" 2>&1 &
pip_install=$!

echo "== install (the README's command, staged with DESTDIR)"
(
    export DESTDIR="$work/stage"
    documented README.md 'cmake -S . -B build && cmake --build build && cmake --install build'
)
prefix="$work/stage/usr/local"
# PREFIX as docs/install.md names the installation prefix; pkg-config does not search this one,
# so the README's and docs/install.md's line first (Debian's CMake installs into lib).
export PREFIX="$prefix"
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
test -f "$PKG_CONFIG_PATH/softmargin.pc"
libdir=$(pkg-config --variable=libdir softmargin)
version=$(sed -n 's/^version = "\(.*\)"/\1/p;T;q' Cargo.toml)
major_minor=${version%.*}

echo "== installed files"
test -f "$libdir/libsoftmargin.so.$version"
test "$(readlink "$libdir/libsoftmargin.so.$major_minor")" = "libsoftmargin.so.$version"
test "$(readlink "$libdir/libsoftmargin.so")" = "libsoftmargin.so.$major_minor"
test -f "$libdir/libsoftmargin.a"
test -f "$prefix/include/softmargin.h" && test -f "$prefix/include/softmargin.hpp"
test -f "$libdir/cmake/softmargin/softmargin-config.cmake"
soname=$(readelf -d "$libdir/libsoftmargin.so.$version" | grep "SONAME")
echo "$soname"
grep -q "\[libsoftmargin.so.$major_minor\]" <<<"$soname"
test "$(pkg-config --modversion softmargin)" = "$version"

echo "== DESTDIR staging once more, elsewhere"
DESTDIR="$work/stage2" cmake --install build >/dev/null  # docs/install.md's staging line
test -L "$work/stage2/usr/local/lib/libsoftmargin.so"
test -f "$work/stage2/usr/local/include/softmargin.h"

echo "== CTest consumer (find_package), as docs/install.md shows it, and with MPI required"
documented docs/install.md \
    'cmake -S tests/cmake-consumer -B build-consumer -DCMAKE_PREFIX_PATH="$PREFIX" && cmake --build build-consumer && ctest --test-dir build-consumer'
cmake -S tests/cmake-consumer -B build-consumer -DSOFTMARGIN_REQUIRE_MPI=ON >/dev/null
cmake --build build-consumer
ctest --test-dir build-consumer --output-on-failure

echo "== pkg-config consumer, shared (the README's line, examples/basic.c as prog.c)"
cp examples/basic.c prog.c
documented README.md \
    'cc -std=c99 prog.c $(pkg-config --cflags --libs softmargin) -Wl,-rpath,"$(pkg-config --variable=libdir softmargin)" -lm -o prog'
./prog
grep -q "NEEDED.*\[libsoftmargin.so.$major_minor\]" <<<"$(readelf -d prog)"

echo "== pkg-config consumer, static (docs/install.md's line)"
documented docs/install.md \
    'cc -std=c99 prog.c $(pkg-config --cflags softmargin) -Wl,-Bstatic $(pkg-config --libs softmargin) -Wl,-Bdynamic -Wl,--as-needed $(pkg-config --static --libs softmargin) -o prog'
./prog
if grep -q "libsoftmargin" <<<"$(readelf -d prog)"; then
    echo "the static consumer depends on the shared library" >&2
    exit 1
fi

echo "== linking without installing (docs/install.md's lines, against target/release)"
documented docs/install.md \
    'cc -std=c99 -Iinclude prog.c -Ltarget/release -lsoftmargin -Wl,-rpath,"$PWD/target/release" -lm -o prog'
(cd / && "$OLDPWD/prog" >/dev/null)
documented docs/install.md \
    'cc -std=c99 -Iinclude prog.c target/release/libsoftmargin.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o prog'
./prog >/dev/null
rm -f prog prog.c

echo "== pkg-config from a moved copy of the prefix (relocatable .pc)"
moved="$work/moved"
cp -a "$prefix" "$moved"
moved_pc=$(find "$moved" -name softmargin.pc)
moved_libdir=$(PKG_CONFIG_PATH=$(dirname "$moved_pc") pkg-config --variable=libdir softmargin)
case "$(realpath "$moved_libdir")" in
    "$(realpath "$moved")"/*) ;;
    *) echo "the moved .pc still points at $moved_libdir" >&2; exit 1 ;;
esac
cc -std=c99 examples/basic.c -o "$work/basic-moved" \
    $(PKG_CONFIG_PATH=$(dirname "$moved_pc") pkg-config --cflags --libs softmargin) \
    -Wl,-rpath,"$moved_libdir" -lm
"$work/basic-moved"
grep -q "RUNPATH.*$moved" <<<"$(readelf -d "$work/basic-moved")"

# The vendored forms build the library again, each in its own binary directory.
vendored() {
    local from=$1
    shift
    local dir="$work/vendor-$from"
    echo "== CTest consumer, softmargin through $from"
    cmake -S tests/cmake-consumer -B "$dir" -DSOFTMARGIN_FROM="$from" "$@" >/dev/null
    cmake --build "$dir" -j 2 >"$dir.build.log" 2>&1 || { cat "$dir.build.log"; exit 1; }
    # The crates cargo compiled: the library's, never the header generator's cbindgen.
    echo "crates compiled: $(grep -o 'Compiling [A-Za-z0-9_-]* v[^ ]*' "$dir.build.log" |
        cut -d' ' -f2,3 | sort -u | tr '\n' ' ')"
    if grep -q "Compiling cbindgen" "$dir.build.log"; then
        echo "the $from build compiled cbindgen" >&2
        exit 1
    fi
    ctest --test-dir "$dir" --output-on-failure
    # softmargin's own files stay in its binary directory.
    for name in softmargin.pc softmargin-config.cmake cargo; do
        if [ -e "$dir/$name" ]; then
            echo "the $from subproject wrote $name into the consumer's build root" >&2
            exit 1
        fi
    done
}
# The two side by side, each into a log of its own, shown when both are done.
vendored subdirectory -DSOFTMARGIN_SOURCE_DIR="$PWD" >"$work/subdirectory.log" 2>&1 &
subdirectory=$!
vendored fetchcontent -DSOFTMARGIN_GIT="file://$PWD" -DSOFTMARGIN_GIT_TAG="$(git rev-parse HEAD)" \
    >"$work/fetchcontent.log" 2>&1 &
fetchcontent=$!
failed=0
wait "$subdirectory" || failed=1
cat "$work/subdirectory.log"
wait "$fetchcontent" || failed=1
cat "$work/fetchcontent.log"
[ "$failed" = 0 ]

echo "== Python: the sdist and the wheel (built from it), a fresh venv"
wait "$python_build" || { cat "$work/build.log"; exit 1; }
if grep -q "Compiling cbindgen" "$work/build.log"; then
    echo "the Python package's build compiled cbindgen" >&2
    exit 1
fi
sdist=$(ls python/dist/softmargin-*.tar.gz)
wheel=$(ls python/dist/softmargin-*.whl)
echo "$(basename "$sdist") $(basename "$wheel")"
# One wheel for every Python 3 (the library uses no Python API), tagged manylinux by maturin's
# check of the symbols it links.
case "$(basename "$wheel")" in
    softmargin-"$version"-py3-none-manylinux_*.whl) ;;
    *) echo "the wheel is not tagged py3-none-manylinux: $(basename "$wheel")" >&2; exit 1 ;;
esac
contents=$(python3 -m zipfile -l "$wheel")
for name in softmargin/__init__.py softmargin/torch.py softmargin/py.typed \
    softmargin/_native/ffi.py softmargin/_native/lib \
    licenses/LICENSE-MIT licenses/LICENSE-APACHE; do
    grep -q "$name" <<<"$contents" || { echo "the wheel lacks $name" >&2; exit 1; }
done
metadata=$(python3 -c 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())' \
    "$wheel" "softmargin-$version.dist-info/METADATA")
for field in "License-Expression: MIT OR Apache-2.0" "Author: The softmargin maintainers" \
    "Requires-Dist: cffi" "Description-Content-Type: text/markdown"; do
    grep -qF "$field" <<<"$metadata" || { echo "the wheel's METADATA lacks $field" >&2; exit 1; }
done
sdist_files=$(tar tzf "$sdist")
for name in Cargo.toml Cargo.lock build.rs src/lib.rs include/softmargin.h LICENSE-MIT LICENSE-APACHE \
    softmargin/__init__.py pyproject.toml; do
    grep -q "^softmargin-$version/$name$" <<<"$sdist_files" ||
        { echo "the sdist lacks $name" >&2; exit 1; }
done
# The venv sees the system's packages (torch, a large download, for softmargin.torch's tests);
# its own come first, the wheel's softmargin among them.
python3 -m venv --system-site-packages "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --cache-dir "$pip_cache" "$wheel" pytest ml_dtypes
repo=$PWD
(
    cd "$work"
    env -u SOFTMARGIN_LIBRARY -u PYTHONPATH "$work/venv/bin/python" -c '
import softmargin, sys
assert softmargin.library_path.startswith(sys.prefix), softmargin.library_path
assert softmargin.__version__ == softmargin.version() == sys.argv[1]
print("imported", softmargin.__version__, "from", softmargin.library_path)
' "$version"
    # The torch tests must run here: without torch they fail rather than skip.
    export SOFTMARGIN_REQUIRE_TORCH=1
    env -u SOFTMARGIN_LIBRARY -u PYTHONPATH "$work/venv/bin/python" -m pytest -q \
        -p no:cacheprovider "$repo/python/tests"
    echo "== the Python tests against the installed library"
    SOFTMARGIN_LIBRARY="$libdir/libsoftmargin.so" "$work/venv/bin/python" -m pytest -q \
        -p no:cacheprovider "$repo/python/tests"
)
echo "== the Python tests against target/release, as docs/python.md runs them (the venv active)"
(
    # shellcheck disable=SC1091
    source "$work/venv/bin/activate"
    # docs/python.md's prerequisite, then its command.
    python3 -m pip install pytest
    documented docs/python.md \
        'SOFTMARGIN_LIBRARY=$PWD/target/release/libsoftmargin.so python3 -m pytest python/tests'
    echo "== the READMEs' and docs/'s C, C++ and Python blocks (the venv's Python)"
    tests/doc-snippets.sh python3
    echo "== the Python benchmarks docs/ name"
    python3 benches/torch_autograd.py
    python3 benches/torch_second.py
)
echo "== pip install ./python (started first): imported from elsewhere"
wait "$pip_install" || { cat "$work/pip.log"; exit 1; }
(cd "$work" && "$work/venv-pip/bin/python" -c '
import softmargin
print("pip install ./python:", softmargin.library_path, softmargin.forward([2.0], [1.0]))')
