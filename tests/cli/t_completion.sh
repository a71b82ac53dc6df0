#!/bin/sh
# t_completion.sh — `chainsleuth completion bash|zsh` and `chainsleuth man`,
# both made from the option tables the commands parse with:
#  1. bash: the script loads, and _chainsleuth completes command names,
#     subcommands (tags import, cluster name), long options of a command and of
#     a subcommand, enum values (--unit, --direction) and chain names;
#  2. every option `trace --help` lists is offered for trace, and nothing
#     else (the table and the help are one);
#  3. zsh: the script carries bashcompinit and the same function;
#  4. man: groff (when installed) formats it without errors; it names every
#     command of `chainsleuth --help` and every option of `trace --help`;
#  5. usage errors exit 2.
. "$(dirname "$0")/lib.sh"
: "${BIN:?}"
"$BIN" completion bash >"$T/c.bash" || fail "completion bash"
cat >"$T/t.bash" <<EOS
source "$T/c.bash"
t() { COMP_WORDS=("\$@"); COMP_CWORD=\$((\${#COMP_WORDS[@]}-1)); _chainsleuth; echo "\${COMPREPLY[*]}"; }
t chainsleuth tr
t chainsleuth trace --pol
t chainsleuth trace --unit ""
t chainsleuth trace --chain sep
t chainsleuth tags i
t chainsleuth tags import --for
t chainsleuth screen --direction ""
t chainsleuth cluster n
t chainsleuth trace --
EOS
bash "$T/t.bash" >"$T/out" 2>"$T/err" || fail "bash: $(cat "$T/err")"
[ -s "$T/err" ] && fail "bash printed errors: $(head -3 "$T/err")"
sed -n 1,8p "$T/out" >"$T/got"
printf '%s\n' trace --policy "btc base" sepolia import --format "both in out" "name note" >"$T/want"
cmp -s "$T/got" "$T/want" || fail "completions: $(paste -d'|' "$T/got" "$T/want")"
# 2. trace's offered options = the options its --help lists
tail -n 1 "$T/out" | tr ' ' '\n' | sort -u >"$T/offered"
"$BIN" trace --help | grep -o -- '--[a-z][a-z-]*' | sort -u >"$T/helped"
comm -3 "$T/offered" "$T/helped" >"$T/diff"
# the help text mentions some options of other commands in prose; every
# offered option must be in the help, and every option row of the help offered
[ -z "$(comm -23 "$T/offered" "$T/helped")" ] || fail "offered but not in --help: $(comm -23 "$T/offered" "$T/helped" | tr '\n' ' ')"
"$BIN" trace --help | sed -n 's/^  \(-[a-z], \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p' | sort -u >"$T/rows"
[ -z "$(comm -13 "$T/offered" "$T/rows")" ] || fail "in --help but not offered: $(comm -13 "$T/offered" "$T/rows" | tr '\n' ' ')"
echo "ok: bash completion ($(wc -l <"$T/rows") trace options, commands, subcommands, enum values, chains)"
# 3. zsh
"$BIN" completion zsh >"$T/c.zsh" || fail "completion zsh"
grep -q 'bashcompinit' "$T/c.zsh" && grep -q '^complete -F _chainsleuth chainsleuth' "$T/c.zsh" || fail "zsh script"
# 4. man
"$BIN" man >"$T/cs.1" || fail "man"
head -1 "$T/cs.1" | grep -q '^\.TH CHAINSLEUTH 1 ' || fail "man: no .TH line"
if command -v groff >/dev/null 2>&1; then
    groff -man -Tutf8 -z "$T/cs.1" 2>"$T/groff.err" || fail "groff failed"
    grep -v 'cannot adjust line\|cannot break line' "$T/groff.err" | grep -q . && fail "groff: $(head -3 "$T/groff.err")"
    groff -man -Tutf8 "$T/cs.1" 2>/dev/null | sed 's/.\x08//g' >"$T/man.txt"
else
    sed 's/\\-/-/g; s/\\f[BIR]//g' "$T/cs.1" >"$T/man.txt"
fi
for c in $("$BIN" --help | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p'); do
    grep -q "^ *$c\$\|^ *$c " "$T/man.txt" || fail "man page lacks command $c"
done
while read -r o; do
    grep -q -- "$o" "$T/man.txt" || fail "man page lacks trace option $o"
done <"$T/rows"
echo "ok: man page ($(wc -l <"$T/cs.1") roff lines) names every command and every trace option"
# 5. usage errors
eq "$(rc "$BIN" completion fish)" 2 "completion fish"
eq "$(rc "$BIN" completion)" 2 "completion without a shell"
eq "$(rc "$BIN" man extra)" 2 "man with an argument"
