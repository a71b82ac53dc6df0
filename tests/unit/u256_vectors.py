#!/usr/bin/env python3
"""u256_vectors.py — reference vectors for src/util/u256.c from Python's integers.

Prints exactly 100,000 vector lines and then "end 100000" on stdout.  The
seed is fixed, so the output is the same on every run.  test_u256 runs this
script through popen and checks every line.  Numbers are Ethereum JSON-RPC
quantities (minimal lower-case "0x..." hex, Python's hex()) unless noted:

  add A B R|overflow          sub A B R|underflow        mul A B R|overflow
  muldiv A B C R|overflow|divzero     (R = floor(A*B/C))
  divmod A B Q R|divzero              cmp A B -1|0|1
  dec H D      (D = the decimal digits of H)
  hex S H      (S = H written with leading zeros, upper case or 0X)
  be H X       (X = 64 hex digits, the 32-byte big-endian form of H)

Operands mix random bit widths 0..256, edge values (0, 1, 2^k-1, 2^k, 2^k+1
at limb boundaries, 2^256-1) and "limb-structured" values whose 64-bit limbs
are 0, 1, 2^63, 2^64-1 and the like, which exercise carry chains and the rare
add-back step of long division.  A Python model of that division (Knuth's
algorithm D on 64-bit digits) picks out operands that reach the add-back
step, so the C code's rarest branch is checked too.  Standard library only.
"""
import random
import sys

SEED = 20261202
TOTAL = 100_000
M = (1 << 256) - 1
B = 1 << 64

rng = random.Random(SEED)

EDGES = sorted({0, 1, 2, 3, 10, M, M - 1, (1 << 255), (1 << 255) - 1} |
               {(1 << k) + d for k in (32, 63, 64, 65, 127, 128, 129, 191, 192, 193, 255)
                for d in (-1, 0, 1)} |
               {10 ** k for k in (18, 19, 20, 38, 39, 77)})
LIMBS = [0, 1, 2, (1 << 63) - 1, 1 << 63, (1 << 63) + 1, B - 2, B - 1]


def random_width():
    bits = rng.randint(0, 256)
    return rng.getrandbits(bits) if bits else 0


def structured():
    v = 0
    for i in range(4):
        limb = rng.choice(LIMBS) if rng.random() < 0.7 else rng.getrandbits(64)
        v |= limb << (64 * i)
    return v >> (64 * rng.randint(0, 3))  # also 1-, 2- and 3-limb values


def operand():
    r = rng.random()
    if r < 0.15:
        return rng.choice(EDGES)
    if r < 0.40:
        return structured()
    if r < 0.55:
        return rng.getrandbits(64)  # the fast path: amounts that fit a limb
    return random_width()


def limbs(x, n):
    return [(x >> (64 * i)) & (B - 1) for i in range(n)]


def reaches_addback(u, v):
    """True if Knuth D on 64-bit digits, as u256.c runs it, adds back for u / v."""
    n = (v.bit_length() + 63) // 64
    m = max((u.bit_length() + 63) // 64, 1)
    if n < 2 or m < n:
        return False
    s = 64 - (v.bit_length() - 64 * (n - 1))
    vn = limbs(v << s, n)
    un = limbs(u << s, m + 1)
    for j in range(m - n, -1, -1):
        top = un[j + n] * B + un[j + n - 1]
        qhat, rhat = min(top // vn[n - 1], B - 1), 0
        rhat = top - qhat * vn[n - 1]
        while rhat < B and qhat * vn[n - 2] > rhat * B + un[j + n - 2]:
            qhat -= 1
            rhat += vn[n - 1]
        window = sum(un[j + i] << (64 * i) for i in range(n + 1))
        vv = sum(vn[i] << (64 * i) for i in range(n))
        rest = window - qhat * vv
        if rest < 0:
            return True
        un[j:j + n + 1] = limbs(rest, n + 1)
    return False


def addback_divisor():
    # add-back needs qhat to overshoot: a divisor whose top digit (after
    # normalisation) is small relative to its next digit's weight
    n = rng.randint(2, 4)
    vtop = rng.choice([1 << 63, (1 << 63) + 1, B - 1, rng.getrandbits(64) | 1 << 63])
    v = vtop << (64 * (n - 1))
    for i in range(n - 1):
        v |= rng.choice([B - 1, B - 2, 0, rng.getrandbits(64)]) << (64 * i)
    return v >> rng.choice([0, 0, 1, 17, 63])


def addback_pairs(count, make_dividend):
    """count (u, v) pairs, u = make_dividend(v), that reach the add-back step."""
    out = []
    while len(out) < count:
        v = addback_divisor()
        if v == 0:
            continue
        u = make_dividend(v)
        if reaches_addback(u, v):
            out.append((u, v))
    return out


def dividend256(v):
    u = 0
    for i in range(4):
        u |= rng.choice([0, 1, B - 1, 1 << 63, rng.getrandbits(64)]) << (64 * i)
    return (u ^ (v << rng.randint(0, max(0, 256 - v.bit_length())))) & M


lines = []


def emit(*fields):
    lines.append(" ".join(fields))


def h(x):
    return hex(x)


def gen_add(k):
    for _ in range(k):
        a, b = operand(), operand()
        if rng.random() < 0.1:
            b = M - a + rng.choice([0, 1, 2])  # right at the overflow edge
            b &= M
        s = a + b
        emit("add", h(a), h(b), h(s) if s <= M else "overflow")


def gen_sub(k):
    for _ in range(k):
        a, b = operand(), operand()
        if rng.random() < 0.1:
            b = max(0, a + rng.choice([-1, 0, 1])) & M
        d = a - b
        emit("sub", h(a), h(b), h(d) if d >= 0 else "underflow")


def gen_mul(k):
    for _ in range(k):
        a, b = operand(), operand()
        if rng.random() < 0.4 and a:  # keep many products in range
            b >>= max(0, a.bit_length() + b.bit_length() - 256 + rng.randint(-2, 2))
        p = a * b
        emit("mul", h(a), h(b), h(p) if p <= M else "overflow")


def muldiv_line(a, b, c):
    if c == 0:
        r = "divzero"
    else:
        q = a * b // c
        r = h(q) if q <= M else "overflow"
    emit("muldiv", h(a), h(b), h(c), r)


def gen_muldiv(k, addback):
    for _ in range(k):
        a, b = operand(), operand()
        r = rng.random()
        if r < 0.45:  # c near a*b so the quotient fits: the usual taint share
            c = (a * b >> rng.randint(0, 256)) + rng.randint(0, 3)
            c = min(c, M) if c else operand()
        elif r < 0.5:
            c = 0
        else:
            c = operand()
        muldiv_line(a, b, c & M)
    # products a*b (a, b < 2^256) whose division by c reaches the add-back step
    factors = {}

    def product(v):
        a, b = dividend256(v), structured()
        factors["ab"] = (a, b)
        return a * b

    found = 0
    while found < addback:
        u, v = addback_pairs(1, product)[0]
        if u >> 256 < v:  # only quotients that fit reach the division
            muldiv_line(*factors["ab"], v)
            found += 1


def gen_divmod(k, addback):
    for _ in range(k):
        a, b = operand(), operand()
        if rng.random() < 0.03:
            b = 0
        if b == 0:
            emit("divmod", h(a), h(b), "divzero")
        else:
            emit("divmod", h(a), h(b), h(a // b), h(a % b))
    for u, v in addback_pairs(addback, dividend256):
        emit("divmod", h(u), h(v), h(u // v), h(u % v))


def gen_cmp(k):
    for _ in range(k):
        a = operand()
        r = rng.random()
        if r < 0.3:
            b = a
        elif r < 0.6:  # differ in one limb only
            i = rng.randint(0, 3)
            b = a ^ (rng.getrandbits(64) << (64 * i))
        else:
            b = operand()
        emit("cmp", h(a), h(b), str((a > b) - (a < b)))


def gen_dec(k):
    for _ in range(k):
        a = operand()
        emit("dec", h(a), str(a))


def gen_hex(k):
    for _ in range(k):
        a = operand()
        digits = format(a, "x")
        digits = "0" * rng.choice([0, 0, 1, 5, 64 - len(digits) if len(digits) < 64 else 0]) + digits
        if rng.random() < 0.5:
            digits = "".join(c.upper() if rng.random() < 0.5 else c for c in digits)
        emit("hex", rng.choice(["0x", "0X"]) + digits, h(a))


def gen_be(k):
    for _ in range(k):
        a = operand()
        emit("be", h(a), a.to_bytes(32, "big").hex())


def main():
    gen_add(14_000)
    gen_sub(14_000)
    gen_mul(10_000)
    gen_muldiv(21_000, 120)
    gen_divmod(13_600, 400)
    gen_cmp(8_000)
    gen_dec(10_000)
    gen_hex(5_000)
    n = len(lines)
    gen_be(TOTAL - n)
    assert len(lines) == TOTAL, len(lines)
    out = sys.stdout
    out.write("\n".join(lines))
    out.write("\nend %d\n" % TOTAL)


if __name__ == "__main__":
    main()
