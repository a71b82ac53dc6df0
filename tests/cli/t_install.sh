# t_install.sh — `make install` into a temporary PREFIX (and DESTDIR) gives a
# usable library: chainsleuth.pc, headers as <chainsleuth/util/json.h> whose
# own #include lines resolve, and a small C program built only with
# `pkg-config --cflags --libs --static chainsleuth` that hashes, hex-encodes
# and parses JSON through the library and prints the expected values.
# (libchainsleuth is a static archive, so its own dependencies, Libs.private,
# come with --static; plain --libs is checked to be just -L -lchainsleuth.)
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MODE=${CS_MODE:-release}
command -v pkg-config >/dev/null 2>&1 || fail "pkg-config missing (scripts/install-deps installs it)"
# a clean sub-make: not the jobserver or variables of a `make test` around us
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" --no-print-directory MODE="$MODE" "$@"; }

mk install PREFIX="$T/p" >"$T/install.log" 2>&1 || { tail -20 "$T/install.log"; fail "make install PREFIX=$T/p"; }
for f in bin/chainsleuth bin/chainsleuth-gen lib/libchainsleuth.a lib/pkgconfig/chainsleuth.pc \
    include/chainsleuth/util/json.h include/chainsleuth/util/error.h include/chainsleuth/util/atomic_file.h \
    include/chainsleuth/store/engine.h include/chainsleuth/btc/store.h include/chainsleuth/trace/trace.h \
    share/man/man1/chainsleuth.1 share/bash-completion/completions/chainsleuth share/zsh/site-functions/_chainsleuth; do
    [ -f "$T/p/$f" ] || fail "make install did not install $f"
done
[ -e "$T/p/include/chainsleuth/util/banned.h" ] && fail "banned.h is build-internal, not an installed header"
[ -e "$T/p/include/chainsleuth/tags/tags_int.h" ] && fail "a private _int.h header was installed"
[ -e "$T/p/include/chainsleuth/cli" ] && fail "cli headers were installed"

export PKG_CONFIG_PATH="$T/p/lib/pkgconfig"
pc() { pkg-config "$@" | sed 's/ *$//'; } # pkg-config ends its lines with a space
eq "$(pc --modversion chainsleuth)" "$(sed -n 's/^#define CS_VERSION "\(.*\)"/\1/p' "$ROOT/src/cli/main.c")" "version"
eq "$(pc --cflags chainsleuth)" "-I$T/p/include -I$T/p/include/chainsleuth" "Cflags"
eq "$(pc --libs chainsleuth)" "-L$T/p/lib -lchainsleuth" "Libs"
# Libs.private is the Makefile's LDLIBS, whatever it holds today
ldlibs=$(mk -s -f Makefile -f - print-ldlibs <<'MK'
print-ldlibs: ; @echo $(strip $(LDLIBS))
MK
) || fail "cannot read LDLIBS from the Makefile"
[ -n "$ldlibs" ] || fail "empty LDLIBS"
eq "$(pc --libs --static chainsleuth)" "-L$T/p/lib -lchainsleuth $ldlibs" "Libs with Libs.private"

# every installed header compiles on its own with only the pkg-config flags
for h in $(cd "$T/p/include" && find chainsleuth -name '*.h' | sort); do
    printf '#include <%s>\n' "$h" >"$T/h.c"
    # shellcheck disable=SC2046
    cc -std=c11 -Wall -Wextra -Werror $(pkg-config --cflags chainsleuth) -c "$T/h.c" -o "$T/h.o" 2>"$T/h.err" ||
        fail "installed header $h does not compile alone: $(head -5 "$T/h.err")"
done

cat >"$T/demo.c" <<'C'
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <chainsleuth/util/codec.h>
#include <chainsleuth/util/hash.h>
#include <chainsleuth/util/json.h>

int main(void)
{
    uint8_t h[32];
    char hex[65];
    cs_sha256("abc", 3, h);
    cs_hex(hex, h, 32);
    printf("%s\n", hex);
    const char *text = "{\"height\": 170, \"txid\": \"f4184fc5\"}";
    struct cs_json_doc doc = {0};
    uint64_t height = 0;
    const char *s = NULL;
    size_t n = 0;
    if (cs_json_parse(&doc, text, strlen(text), NULL) ||
        cs_json_obj_u64(doc.root, "height", &height) ||
        cs_json_get_str(cs_json_get(doc.root, "txid"), &s, &n)) {
        printf("error: %s\n", cs_errmsg());
        return 1;
    }
    printf("%llu %.*s\n", (unsigned long long)height, (int)n, s);
    cs_json_doc_free(&doc);
    if (cs_json_parse(&doc, "{\"a\":", 5, NULL) == 0) return 1;
    printf("%s\n", cs_strerror(CS_EFORMAT));
    return 0;
}
C
san=""
[ "$MODE" = check ] && san="-fsanitize=address,undefined"
# shellcheck disable=SC2046 # pkg-config output is a list of flags
cc -std=c11 -Wall -Wextra -Werror $san -o "$T/demo" "$T/demo.c" $(pkg-config --cflags --libs --static chainsleuth) 2>"$T/cc.err" ||
    fail "building against the installed library: $(cat "$T/cc.err")"
out=$("$T/demo") || fail "the program built against the library failed: $out"
eq "$out" "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
170 f4184fc5
format error" "output of the program built with pkg-config"

# DESTDIR: the same tree under a staging root, .pc naming the final PREFIX
mk install PREFIX=/opt/cs DESTDIR="$T/stage" >"$T/install2.log" 2>&1 || { tail -20 "$T/install2.log"; fail "make install DESTDIR"; }
[ -f "$T/stage/opt/cs/lib/libchainsleuth.a" ] || fail "DESTDIR install has no library"
grep -qx 'prefix=/opt/cs' "$T/stage/opt/cs/lib/pkgconfig/chainsleuth.pc" || fail "DESTDIR .pc prefix: $(head -5 "$T/stage/opt/cs/lib/pkgconfig/chainsleuth.pc")"
echo "ok: installed, pkg-config flags and a program built against the library work"
