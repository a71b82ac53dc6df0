# t_hygiene.sh — the library's hygiene rules hold on the library as built:
#  - every global symbol of libchainsleuth.a is cs_-prefixed or on the
#    commented allow-list of scripts/check-symbols, and the check is not
#    vacuous (a library with one unprefixed function fails it, naming it);
#  - util/banned.h turns a call to strcpy or sprintf into a compile error
#    naming the function, and is forced into the src/ build by the Makefile;
#  - no src/ .c file outside the Makefile's BANNED_EXEMPT calls signal();
#  - src/ includes follow DESIGN.md's layers (scripts/check-layers), and the
#    check is not vacuous (an upward include in a copy of src/ is named).
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LIBA=${LIBA:-$ROOT/build/release/libchainsleuth.a}
[ -f "$LIBA" ] || fail "no library at $LIBA (make builds it)"

out=$("$ROOT/scripts/check-symbols" "$LIBA") || { echo "$out"; fail "check-symbols"; }
echo "$out" | tail -n 1
echo "$out" | grep -q "all cs_-prefixed or allow-listed" || fail "check-symbols summary: $out"

# not vacuous: an unprefixed global in a copy of the library is reported
cp "$LIBA" "$T/lib.a"
printf 'int leaky_global(void) { return 1; }\n' >"$T/leak.c"
cc -c "$T/leak.c" -o "$T/leak.o" || fail "cc"
ar rs "$T/lib.a" "$T/leak.o" 2>/dev/null || fail "ar"
out=$("$ROOT/scripts/check-symbols" "$T/lib.a"); r=$?
eq "$r" 1 "check-symbols exit code on a library with leaky_global"
echo "$out" | grep -qx "not cs_-prefixed: leaky_global (leak.o)" || fail "check-symbols output: $out"

# banned.h: calls fail to compile, with the function's name in the error
for call in 'strcpy(d, "x")' 'sprintf(d, "%d", 1)' 'strncpy(d, "x", 1)' 'strcat(d, "x")'; do
    printf '#include <stdio.h>\n#include <string.h>\nvoid f(char *d) { %s; }\n' "$call" >"$T/b.c"
    fn=${call%%(*}
    cc -std=c11 -D_GNU_SOURCE -I"$ROOT/src" -include "$ROOT/src/util/banned.h" -c "$T/b.c" \
        -o "$T/b.o" 2>"$T/b.err" && fail "banned.h let $fn through"
    grep -q "sorry_${fn}_is_banned" "$T/b.err" || fail "banned.h error for $fn: $(cat "$T/b.err")"
done
# the safe replacements and system headers that declare the banned names still compile
printf '#include <stdio.h>\n#include <string.h>\n#include <time.h>\n#include <wchar.h>\nint f(char *d, size_t n) { struct tm tm; time_t t = 0; gmtime_r(&t, &tm); return snprintf(d, n, "%%d", tm.tm_year); }\n' >"$T/ok.c"
cc -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$ROOT/src" -include "$ROOT/src/util/banned.h" -c "$T/ok.c" \
    -o "$T/ok.o" 2>"$T/ok.err" || fail "banned.h breaks clean code: $(cat "$T/ok.err")"
# the Makefile forces it into src/ objects (dry run of one object)
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" -n -B MODE=release "build/release/src/util/codec.o" 2>/dev/null | grep -q -- '-include src/util/banned.h' ||
    fail "the Makefile does not force util/banned.h into src/ objects"

# library code changes no process-wide signal disposition
hits=$(grep -rn --include='*.c' -E '\b(signal|sigaction)[[:space:]]*\(' "$ROOT/src" | grep -v "^$ROOT/src/cli/")
[ -z "$hits" ] || fail "library code sets signal handlers: $hits"
# layers: no include points up
out=$("$ROOT/scripts/check-layers" "$ROOT/src") || { echo "$out"; fail "check-layers"; }
echo "$out" | tail -n 1
cp -r "$ROOT/src" "$T/src"
printf '#include "btc/store.h"\n' >>"$T/src/store/engine.c"
out=$("$ROOT/scripts/check-layers" "$T/src") && fail "check-layers missed store including btc"
echo "$out" | grep -q "src/store/engine.c:[0-9]*: store includes btc" || fail "check-layers: $out"
echo "ok: symbols, banned.h, signal and layer checks pass"
