/*
 * fn_misc.c — conditional functions (IFNULL, GREATEST, LEAST, IS_ALPHA,
 * IS_DECIMAL, IS_DIGIT), hashes (MD5, SHA1, SHA224/256/384/512, SHA2), UUID and
 * the native implementations of Java UDF classes (Nexmark's CountChar).
 *
 * The digests are small self-contained implementations of RFC 1321 (MD5),
 * FIPS 180-4 (SHA-1, SHA-2): linking OpenSSL for a handful of hex digests is
 * not worth the dependency.  Output is lower-case hex, as Flink's
 * EncodingUtils.hex.  Hashes cover the UTF-8 bytes of the string.
 */
#include <stdio.h>
#include <time.h>

#include "core/numfmt.h"
#include "exec/fn_int.h"

/* ---- common type of two arguments (IFNULL, GREATEST, LEAST) ------------------------ */

/* Flink's least restrictive type for the families these functions accept:
 * numerics widen (integers → DECIMAL → DOUBLE), strings become VARCHAR of the
 * longer length, temporals of the same kind take the larger precision.
 * NULL when incompatible. */
static const struct sql_type *common_type(struct arena *a, const struct sql_type *x,
                                          const struct sql_type *y)
{
    if (x->id == T_NULL)
        return y;
    if (y->id == T_NULL)
        return x;
    if (type_equal(x, y))
        return x;
    if (type_is_numeric(x) && type_is_numeric(y)) {
        if (type_is_approx(x) || type_is_approx(y))
            return (x->id == T_FLOAT && y->id == T_FLOAT) ? &type_float : &type_double;
        if (type_is_integer(x) && type_is_integer(y))
            return type_int_bits(x) >= type_int_bits(y) ? x : y;
        int p1, s1, p2, s2;
        type_decimal_of(x, &p1, &s1);
        type_decimal_of(y, &p2, &s2);
        int s = s1 > s2 ? s1 : s2;
        int ip = (p1 - s1) > (p2 - s2) ? p1 - s1 : p2 - s2;
        int p = ip + s > 38 ? 38 : ip + s;
        return type_decimal(a, p, s);
    }
    if (type_is_string(x) && type_is_string(y))
        return type_varchar(a, x->length > y->length ? x->length : y->length);
    if (type_is_binary(x) && type_is_binary(y))
        return &type_bytes;
    if (x->id == y->id && (x->id == T_TIMESTAMP || x->id == T_TIMESTAMP_LTZ || x->id == T_TIME))
        return x->precision >= y->precision ? x : y;
    if ((x->id == T_DATE && y->id == T_TIMESTAMP) || (x->id == T_TIMESTAMP && y->id == T_DATE))
        return x->id == T_TIMESTAMP ? x : y;
    return NULL;
}

/* Sets cast_to so every argument arrives as t. */
static void cast_all_to(struct func_bind *fb, const struct sql_type *t)
{
    for (int k = 0; k < fb->n_args; k++)
        if (!type_equal(fb->arg_types[k], t) || fb->arg_types[k]->id == T_NULL)
            fb->cast_to[k] = type_with_nullable(fb->arena, t, fb->arg_types[k]->nullable);
}

/* ---- IFNULL ---------------------------------------------------------------------- */

static int ifnull_any(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) {
        const struct vec *src = vec_is_null(&args[0], i) ? &args[1] : &args[0];
        if (vec_is_null(src, i)) {
            fn_set_null(out, i);
            continue;
        }
        switch (type_lane(out->type)) {
        case LANE_BOOL: out->b[i] = src->b[i]; break;
        case LANE_I64: out->i64[i] = src->i64[i]; break;
        case LANE_F64: out->f64[i] = src->f64[i]; break;
        case LANE_I128: out->i128[i] = src->i128[i]; break;
        case LANE_STR: out->s[i] = src->s[i]; break;
        default: vec_copy_row(out, i, src, i); break;
        }
        fn_set_valid(out, i);
    }
    return WEIR_OK;
}

static int bind_ifnull(struct func_bind *fb, struct weir_error *err)
{
    if (fb->n_args != 2)
        return fn_bind_mismatch(fb, err, "(T, T)");
    const struct sql_type *t = common_type(fb->arena, fb->arg_types[0], fb->arg_types[1]);
    if (t == NULL)
        return fn_bind_mismatch(fb, err, "two arguments of a common type");
    if (t->id == T_NULL)
        t = &type_string;
    cast_all_to(fb, t);
    /* NOT NULL when the replacement is NOT NULL */
    fb->result = type_with_nullable(fb->arena, t, fb->arg_types[1]->nullable);
    return WEIR_OK;
}

/* ---- GREATEST, LEAST ------------------------------------------------------------------- */

static int str_cmp(struct str a, struct str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = memcmp(a.ptr, b.ptr, n);
    return c != 0 ? c : (a.len > b.len) - (a.len < b.len);
}

#define EXTREMUM(name, field, cmp_gt)                              \
    static int name(FN_EVAL_ARGS)                                  \
    {                                                              \
        FN_UNUSED_EVAL_ARGS;                                       \
        const struct fn_dispatch *d = call->state;                 \
        bool greatest = d->aux;                                    \
        int na = call->n_args;                                     \
        FN_FOREACH(i) {                                            \
            int best = 0;                                          \
            for (int a = 1; a < na; a++) {                         \
                bool gt = cmp_gt(args[a].field[i], args[best].field[i]); \
                bool lt = cmp_gt(args[best].field[i], args[a].field[i]); \
                if (greatest ? gt : lt)                            \
                    best = a;                                      \
            }                                                      \
            out->field[i] = args[best].field[i];                   \
        }                                                          \
        return WEIR_OK;                                            \
    }
#define GT_NUM(a, b) ((a) > (b))
#define GT_STR(a, b) (str_cmp((a), (b)) > 0)
EXTREMUM(ext_b, b, GT_NUM)
EXTREMUM(ext_i, i64, GT_NUM)
EXTREMUM(ext_f, f64, GT_NUM)
EXTREMUM(ext_d, i128, GT_NUM)
EXTREMUM(ext_s, s, GT_STR)

static int bind_extremum(struct func_bind *fb, struct weir_error *err)
{
    if (fb->n_args < 1)
        return fn_bind_mismatch(fb, err, "(T, T, ...)");
    const struct sql_type *t = fb->arg_types[0];
    for (int k = 1; k < fb->n_args && t; k++)
        t = common_type(fb->arena, t, fb->arg_types[k]);
    if (t == NULL)
        return fn_bind_mismatch(fb, err, "arguments of a common comparable type");
    if (t->id == T_NULL)
        t = &type_string;
    func_eval_fn f;
    switch (type_lane(t)) {
    case LANE_BOOL: f = ext_b; break;
    case LANE_I64: f = ext_i; break;
    case LANE_F64: f = ext_f; break;
    case LANE_I128: f = ext_d; break;
    case LANE_STR: f = ext_s; break;
    default:
        return fn_bind_mismatch(fb, err, "arguments of a common comparable type");
    }
    cast_all_to(fb, t);
    fb->result = fn_result(fb, t, false);
    fn_dispatch_set(fb, f, NULL)->aux = fb->def->name[0] == 'G';
    return WEIR_OK;
}

/* ---- IS_ALPHA, IS_DECIMAL, IS_DIGIT ---------------------------------------------------- */

static int bind_is_x(struct func_bind *fb, struct weir_error *err)
{
    if (fb->n_args != 1)
        return fn_bind_mismatch(fb, err, "(ANY)");
    fb->result = type_with_nullable(fb->arena, &type_boolean, false);
    const struct sql_type *t = fb->arg_types[0];
    fn_dispatch_set(fb, NULL, NULL)->aux = type_is_string(t) ? 1 : type_is_integer(t) ? 2
                                          : type_is_numeric(t) ? 3 : 0;
    return WEIR_OK;
}

/* SqlFunctionUtils.isAlpha/isDigit/isDecimal: non-string arguments are
 * classified by type (integers are digits, numbers are decimals); empty
 * strings are neither.  Letters and digits are ASCII only here (Java also
 * accepts other Unicode letters/digits). */
static int eval_is_x(const struct func_call *call, const struct vec *args,
                     const uint16_t *sel, int n, struct vec *out, int which)
{
    const struct fn_dispatch *d = call->state;
    int cls = d->aux;
    FN_FOREACH(i) {
        bool r = false;
        fn_set_valid(out, i);
        if (vec_is_null(&args[0], i)) {
            out->b[i] = 0;
            continue;
        }
        if (cls == 1) {
            struct str s = args[0].s[i];
            if (s.len > 0) {
                if (which == 2) {
                    double x;
                    r = numfmt_parse_double(s.ptr, s.len, &x);
                } else {
                    r = true;
                    for (uint32_t j = 0; j < s.len && r; j++) {
                        char c = s.ptr[j];
                        r = which == 0 ? ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
                                       : (c >= '0' && c <= '9');
                    }
                }
            }
        } else if (which == 1) {
            r = cls == 2;
        } else if (which == 2) {
            r = cls == 2 || cls == 3;
        }
        out->b[i] = r;
    }
    return WEIR_OK;
}

static int eval_is_alpha(FN_EVAL_ARGS)
{
    (void)err;
    return eval_is_x(call, args, sel, n, out, 0);
}

static int eval_is_digit(FN_EVAL_ARGS)
{
    (void)err;
    return eval_is_x(call, args, sel, n, out, 1);
}

static int eval_is_decimal(FN_EVAL_ARGS)
{
    (void)err;
    return eval_is_x(call, args, sel, n, out, 2);
}

/* ---- digests ------------------------------------------------------------------------- */

static inline uint32_t rol32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }
static inline uint32_t ror32(uint32_t x, int r) { return (x >> r) | (x << (32 - r)); }
static inline uint64_t ror64(uint64_t x, int r) { return (x >> r) | (x << (64 - r)); }

/* Feeds msg through a 64- or 128-byte block function with MD-style padding;
 * big_endian selects the length encoding (SHA) versus little endian (MD5). */
static void md_pad_run(const unsigned char *msg, size_t len, size_t block, bool big_endian,
                       void (*fn)(void *st, const unsigned char *blk), void *st)
{
    size_t full = len / block * block;
    for (size_t off = 0; off < full; off += block)
        fn(st, msg + off);
    unsigned char tail[256];
    size_t rem = len - full;
    memcpy(tail, msg + full, rem);
    tail[rem++] = 0x80;
    size_t lenbytes = block == 128 ? 16 : 8;
    size_t total = rem + lenbytes <= block ? block : 2 * block;
    memset(tail + rem, 0, total - rem);
    uint64_t bits = (uint64_t)len * 8;
    for (int k = 0; k < 8; k++) {
        if (big_endian)
            tail[total - 1 - k] = (unsigned char)(bits >> (8 * k));
        else
            tail[total - 8 + k] = (unsigned char)(bits >> (8 * k));
    }
    fn(st, tail);
    if (total > block)
        fn(st, tail + block);
}

static void md5_block(void *sv, const unsigned char *b)
{
    static const uint32_t K[64] = {
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
        0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
        0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
        0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
        0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
        0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
        0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
        0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
        0xeb86d391};
    static const int R[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                              5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                              4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                              6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
    uint32_t *h = sv, m[16];
    for (int k = 0; k < 16; k++)
        m[k] = (uint32_t)b[4 * k] | (uint32_t)b[4 * k + 1] << 8 | (uint32_t)b[4 * k + 2] << 16 |
               (uint32_t)b[4 * k + 3] << 24;
    uint32_t a = h[0], bb = h[1], c = h[2], d = h[3];
    for (int k = 0; k < 64; k++) {
        uint32_t f;
        int g;
        if (k < 16) {
            f = (bb & c) | (~bb & d);
            g = k;
        } else if (k < 32) {
            f = (d & bb) | (~d & c);
            g = (5 * k + 1) & 15;
        } else if (k < 48) {
            f = bb ^ c ^ d;
            g = (3 * k + 5) & 15;
        } else {
            f = c ^ (bb | ~d);
            g = (7 * k) & 15;
        }
        uint32_t t = d;
        d = c;
        c = bb;
        bb = bb + rol32(a + f + K[k] + m[g], R[k]);
        a = t;
    }
    h[0] += a;
    h[1] += bb;
    h[2] += c;
    h[3] += d;
}

static void sha1_block(void *sv, const unsigned char *b)
{
    uint32_t *h = sv, w[80];
    for (int k = 0; k < 16; k++)
        w[k] = (uint32_t)b[4 * k] << 24 | (uint32_t)b[4 * k + 1] << 16 |
               (uint32_t)b[4 * k + 2] << 8 | b[4 * k + 3];
    for (int k = 16; k < 80; k++)
        w[k] = rol32(w[k - 3] ^ w[k - 8] ^ w[k - 14] ^ w[k - 16], 1);
    uint32_t a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4];
    for (int k = 0; k < 80; k++) {
        uint32_t f, kk;
        if (k < 20) {
            f = (bb & c) | (~bb & d);
            kk = 0x5A827999;
        } else if (k < 40) {
            f = bb ^ c ^ d;
            kk = 0x6ED9EBA1;
        } else if (k < 60) {
            f = (bb & c) | (bb & d) | (c & d);
            kk = 0x8F1BBCDC;
        } else {
            f = bb ^ c ^ d;
            kk = 0xCA62C1D6;
        }
        uint32_t t = rol32(a, 5) + f + e + kk + w[k];
        e = d;
        d = c;
        c = rol32(bb, 30);
        bb = a;
        a = t;
    }
    h[0] += a;
    h[1] += bb;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

static void sha256_block(void *sv, const unsigned char *b)
{
    static const uint32_t K[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2};
    uint32_t *h = sv, w[64];
    for (int k = 0; k < 16; k++)
        w[k] = (uint32_t)b[4 * k] << 24 | (uint32_t)b[4 * k + 1] << 16 |
               (uint32_t)b[4 * k + 2] << 8 | b[4 * k + 3];
    for (int k = 16; k < 64; k++) {
        uint32_t s0 = ror32(w[k - 15], 7) ^ ror32(w[k - 15], 18) ^ (w[k - 15] >> 3);
        uint32_t s1 = ror32(w[k - 2], 17) ^ ror32(w[k - 2], 19) ^ (w[k - 2] >> 10);
        w[k] = w[k - 16] + s0 + w[k - 7] + s1;
    }
    uint32_t a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int k = 0; k < 64; k++) {
        uint32_t S1 = ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = hh + S1 + ch + K[k] + w[k];
        uint32_t S0 = ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22);
        uint32_t mj = (a & bb) ^ (a & c) ^ (bb & c);
        uint32_t t2 = S0 + mj;
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = bb;
        bb = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += bb;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

static void sha512_block(void *sv, const unsigned char *b)
{
    static const uint64_t K[80] = {
        0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
        0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
        0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
        0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
        0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
        0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
        0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
        0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
        0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
        0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
        0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
        0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
        0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
        0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
        0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
        0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
        0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
        0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
        0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
        0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL};
    uint64_t *h = sv, w[80];
    for (int k = 0; k < 16; k++) {
        uint64_t x = 0;
        for (int j = 0; j < 8; j++)
            x = x << 8 | b[8 * k + j];
        w[k] = x;
    }
    for (int k = 16; k < 80; k++) {
        uint64_t s0 = ror64(w[k - 15], 1) ^ ror64(w[k - 15], 8) ^ (w[k - 15] >> 7);
        uint64_t s1 = ror64(w[k - 2], 19) ^ ror64(w[k - 2], 61) ^ (w[k - 2] >> 6);
        w[k] = w[k - 16] + s0 + w[k - 7] + s1;
    }
    uint64_t a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int k = 0; k < 80; k++) {
        uint64_t S1 = ror64(e, 14) ^ ror64(e, 18) ^ ror64(e, 41);
        uint64_t ch = (e & f) ^ (~e & g);
        uint64_t t1 = hh + S1 + ch + K[k] + w[k];
        uint64_t S0 = ror64(a, 28) ^ ror64(a, 34) ^ ror64(a, 39);
        uint64_t mj = (a & bb) ^ (a & c) ^ (bb & c);
        uint64_t t2 = S0 + mj;
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = bb;
        bb = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += bb;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

enum digest { DG_MD5, DG_SHA1, DG_SHA224, DG_SHA256, DG_SHA384, DG_SHA512 };

/* Writes the digest of msg as lower-case hex into o; returns the hex length. */
static size_t digest_hex(enum digest dg, const unsigned char *msg, size_t len, char *o)
{
    unsigned char raw[64];
    size_t n = 0;
    switch (dg) {
    case DG_MD5: {
        uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
        md_pad_run(msg, len, 64, false, md5_block, h);
        for (int k = 0; k < 16; k++)
            raw[k] = (unsigned char)(h[k / 4] >> (8 * (k % 4)));
        n = 16;
        break;
    }
    case DG_SHA1: {
        uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
        md_pad_run(msg, len, 64, true, sha1_block, h);
        for (int k = 0; k < 20; k++)
            raw[k] = (unsigned char)(h[k / 4] >> (24 - 8 * (k % 4)));
        n = 20;
        break;
    }
    case DG_SHA224:
    case DG_SHA256: {
        static const uint32_t i224[8] = {0xc1059ed8, 0x367cd507, 0x3070dd17, 0xf70e5939,
                                         0xffc00b31, 0x68581511, 0x64f98fa7, 0xbefa4fa4};
        static const uint32_t i256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
        uint32_t h[8];
        memcpy(h, dg == DG_SHA224 ? i224 : i256, sizeof h);
        md_pad_run(msg, len, 64, true, sha256_block, h);
        n = dg == DG_SHA224 ? 28 : 32;
        for (size_t k = 0; k < n; k++)
            raw[k] = (unsigned char)(h[k / 4] >> (24 - 8 * (k % 4)));
        break;
    }
    default: {
        static const uint64_t i384[8] = {
            0xcbbb9d5dc1059ed8ULL, 0x629a292a367cd507ULL, 0x9159015a3070dd17ULL,
            0x152fecd8f70e5939ULL, 0x67332667ffc00b31ULL, 0x8eb44a8768581511ULL,
            0xdb0c2e0d64f98fa7ULL, 0x47b5481dbefa4fa4ULL};
        static const uint64_t i512[8] = {
            0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL,
            0xa54ff53a5f1d36f1ULL, 0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
            0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};
        uint64_t h[8];
        memcpy(h, dg == DG_SHA384 ? i384 : i512, sizeof h);
        md_pad_run(msg, len, 128, true, sha512_block, h);
        n = dg == DG_SHA384 ? 48 : 64;
        for (size_t k = 0; k < n; k++)
            raw[k] = (unsigned char)(h[k / 8] >> (56 - 8 * (k % 8)));
        break;
    }
    }
    for (size_t k = 0; k < n; k++) {
        o[2 * k] = fn_hex_lower[raw[k] >> 4];
        o[2 * k + 1] = fn_hex_lower[raw[k] & 15];
    }
    return 2 * n;
}

static int bind_digest(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "Y", "(STRING)");
    if (rc)
        return rc;
    const char *nm = fb->def->name;
    enum digest dg = strcmp(nm, "MD5") == 0      ? DG_MD5
                     : strcmp(nm, "SHA1") == 0   ? DG_SHA1
                     : strcmp(nm, "SHA224") == 0 ? DG_SHA224
                     : strcmp(nm, "SHA256") == 0 ? DG_SHA256
                     : strcmp(nm, "SHA384") == 0 ? DG_SHA384
                                                 : DG_SHA512;
    fn_dispatch_set(fb, NULL, NULL)->aux = (int)dg;
    fb->result = fn_result(fb, &type_string, false);
    return WEIR_OK;
}

static int eval_digest(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct fn_dispatch *d = call->state;
    enum digest dg = (enum digest)d->aux;
    FN_FOREACH(i) {
        struct str s = args[0].s[i];
        char *o = fn_out_alloc(out, 128);
        size_t n = digest_hex(dg, (const unsigned char *)s.ptr, s.len, o);
        fn_set_str(out, i, o, n);
    }
    return WEIR_OK;
}

static int bits_digest(int64_t bits, enum digest *dg)
{
    switch (bits) {
    case 224: *dg = DG_SHA224; return 0;
    case 256: *dg = DG_SHA256; return 0;
    case 384: *dg = DG_SHA384; return 0;
    case 512: *dg = DG_SHA512; return 0;
    default: return -1;
    }
}

static int bind_sha2(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "YI", "(STRING, INT)");
    if (rc)
        return rc;
    struct fn_dispatch *d = fn_dispatch_set(fb, NULL, NULL);
    d->aux = -1;
    int64_t bits;
    if (fn_arg_int_literal(fb, 1, &bits)) {
        enum digest dg;
        if (bits_digest(bits, &dg) != 0)
            return fn_bind_fail(fb, err, "hash length must be 224, 256, 384 or 512, got %lld",
                                (long long)bits);
        d->aux = (int)dg;
    }
    fb->result = fn_result(fb, &type_string, false);
    return WEIR_OK;
}

static int eval_sha2(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct fn_dispatch *d = call->state;
    FN_FOREACH(i) {
        enum digest dg = (enum digest)d->aux;
        if (d->aux < 0 && bits_digest(args[1].i64[i], &dg) != 0)
            return err_set(err, WEIR_ERR_RUNTIME, "SHA2: unsupported hash length %lld",
                           (long long)args[1].i64[i]);
        struct str s = args[0].s[i];
        char *o = fn_out_alloc(out, 128);
        fn_set_str(out, i, o, digest_hex(dg, (const unsigned char *)s.ptr, s.len, o));
    }
    return WEIR_OK;
}

/* ---- UUID ------------------------------------------------------------------------------ */

/* splitmix64 per thread, seeded from the clock: UUIDs need uniqueness, not
 * cryptographic strength (Java uses SecureRandom; noted in docs). */
static _Thread_local uint64_t tl_uuid_state;

static uint64_t uuid_next(void)
{
    if (tl_uuid_state == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        tl_uuid_state = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ULL ^ (uint64_t)ts.tv_sec ^
                        (uint64_t)(uintptr_t)&tl_uuid_state;
    }
    uint64_t z = (tl_uuid_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int bind_uuid(struct func_bind *fb, struct weir_error *err)
{
    if (fb->n_args != 0)
        return fn_bind_mismatch(fb, err, "()");
    fb->result = type_with_nullable(fb->arena, &type_string, false);
    return WEIR_OK;
}

static int eval_uuid(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) {
        unsigned char b[16];
        uint64_t x = uuid_next(), y = uuid_next();
        memcpy(b, &x, 8);
        memcpy(b + 8, &y, 8);
        b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);   /* version 4 */
        b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);   /* IETF variant */
        char *o = fn_out_alloc(out, 36);
        int w = 0;
        for (int k = 0; k < 16; k++) {
            if (k == 4 || k == 6 || k == 8 || k == 10)
                o[w++] = '-';
            o[w++] = fn_hex_lower[b[k] >> 4];
            o[w++] = fn_hex_lower[b[k] & 15];
        }
        fn_set_str(out, i, o, 36);
    }
    return WEIR_OK;
}

/* ---- UDF: com.github.nexmark.flink.udf.CountChar ------------------------------------------- */

static int bind_count_char(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "SS", "(STRING, STRING)");
    if (rc)
        return rc;
    /* Java `long` return: BIGINT NOT NULL */
    fb->result = type_with_nullable(fb->arena, &type_bigint, false);
    return WEIR_OK;
}

/* Counts the bytes of s equal to the first byte of c; NULL s counts 0.  A NULL
 * or empty c throws in the Java UDF (NPE / index out of bounds): job failure. */
static int eval_count_char(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    FN_FOREACH(i) {
        fn_set_valid(out, i);
        if (vec_is_null(&args[0], i)) {
            out->i64[i] = 0;
            continue;
        }
        if (vec_is_null(&args[1], i) || args[1].s[i].len == 0)
            return err_set(err, WEIR_ERR_RUNTIME,
                           "count_char: the character argument is %s",
                           vec_is_null(&args[1], i) ? "NULL" : "empty");
        struct str s = args[0].s[i];
        char c = args[1].s[i].ptr[0];
        int64_t cnt = 0;
        for (uint32_t j = 0; j < s.len; j++)
            cnt += s.ptr[j] == c;
        out->i64[i] = cnt;
    }
    return WEIR_OK;
}

const struct func_def fn_udf_count_char = {
    "COUNT_CHAR", 2, 2, 0, bind_count_char, eval_count_char, NULL,
    "com.github.nexmark.flink.udf.CountChar(STRING, STRING)"};

/* ---- table ----------------------------------------------------------------------------- */

#define S FN_STRICT
#define DG(nm) {nm, 1, 1, S, bind_digest, eval_digest, NULL, nm "(STRING)"}
const struct func_def fn_misc_defs[] = {
    {"IFNULL", 2, 2, 0, bind_ifnull, ifnull_any, NULL, "IFNULL(T, T)"},
    {"GREATEST", 1, -1, S, bind_extremum, fn_dispatch_eval, NULL, "GREATEST(T, T, ...)"},
    {"LEAST", 1, -1, S, bind_extremum, fn_dispatch_eval, NULL, "LEAST(T, T, ...)"},
    {"IS_ALPHA", 1, 1, 0, bind_is_x, eval_is_alpha, NULL, "IS_ALPHA(ANY)"},
    {"IS_DECIMAL", 1, 1, 0, bind_is_x, eval_is_decimal, NULL, "IS_DECIMAL(ANY)"},
    {"IS_DIGIT", 1, 1, 0, bind_is_x, eval_is_digit, NULL, "IS_DIGIT(ANY)"},
    DG("MD5"),
    DG("SHA1"),
    DG("SHA224"),
    DG("SHA256"),
    DG("SHA384"),
    DG("SHA512"),
    {"SHA2", 2, 2, S, bind_sha2, eval_sha2, NULL, "SHA2(STRING, INT bits)"},
    {"UUID", 0, 0, FN_NONDETERMINISTIC, bind_uuid, eval_uuid, NULL, "UUID()"},
};
#undef DG
#undef S
const int fn_misc_count = (int)(sizeof(fn_misc_defs) / sizeof(fn_misc_defs[0]));
