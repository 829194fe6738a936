/*
 * Every exported function on every documented edge, for runs under AddressSanitizer,
 * UndefinedBehaviorSanitizer and valgrind: empty buffers with NULL pointers, NULL where a buffer
 * is required, every reduction value class, misaligned pointers, partial overlaps, every exact
 * in-place layout, NaN and infinities, buffers large enough for the thread pool, and the small
 * functions. Buffers are heap blocks of exactly the documented size, so a read or write past
 * them is caught. Prints "N passed, M failed".
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "softmargin.h"

static int passed = 0, failed = 0;

static void check(int ok, const char *what, int line) {
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAILED (line %d): %s\n", line, what);
    }
}
#define CHECK(cond) check((cond), #cond, __LINE__)

static const int32_t reductions[] = {SOFTMARGIN_REDUCTION_NONE, SOFTMARGIN_REDUCTION_MEAN,
                                     SOFTMARGIN_REDUCTION_SUM};
static const int32_t bad_reductions[] = {-1, 3, 7, 255, 1 << 30, INT32_MIN, INT32_MAX};

/* The same checks for float and double. */
#define DEFINE_TESTS(T, S)                                                                      \
    static T *new_##S(size_t n, double first, double step) {                                   \
        T *p = malloc((n ? n : 1) * sizeof(T));                                                \
        for (size_t i = 0; i < n; i++) {                                                       \
            p[i] = (T)(first + step * (double)(i % 977));                                      \
        }                                                                                       \
        return p;                                                                               \
    }                                                                                           \
                                                                                                \
    static int all_equal_##S(const T *p, size_t n, T v) {                                      \
        for (size_t i = 0; i < n; i++) {                                                       \
            if (memcmp(&p[i], &v, sizeof v) != 0) {                                            \
                return 0;                                                                       \
            }                                                                                   \
        }                                                                                       \
        return 1;                                                                               \
    }                                                                                           \
                                                                                                \
    /* Refusals: nothing written. */                                                           \
    static void refusals_##S(void) {                                                           \
        size_t n = 33;                                                                          \
        T *x = new_##S(n, -3.0, 0.25), *y = new_##S(n, 1.0, 0.0);                              \
        T *out = new_##S(n, 7.0, 0.0), *grad = new_##S(n, 7.0, 0.0), *g = new_##S(n, 1, 0);   \
        T scalar = 7;                                                                           \
        size_t idx = 99;                                                                        \
        for (size_t r = 0; r < sizeof bad_reductions / sizeof *bad_reductions; r++) {          \
            int32_t red = bad_reductions[r];                                                    \
            CHECK(softmargin_forward_##S(x, y, n, red, out) ==                                 \
                  SOFTMARGIN_STATUS_INVALID_REDUCTION);                                         \
            CHECK(softmargin_backward_##S(g, x, y, n, red, grad) ==                            \
                  SOFTMARGIN_STATUS_INVALID_REDUCTION);                                         \
            CHECK(softmargin_forward_backward_##S(x, y, n, red, out, grad) ==                  \
                  SOFTMARGIN_STATUS_INVALID_REDUCTION);                                         \
        }                                                                                       \
        for (size_t r = 0; r < 3; r++) {                                                        \
            int32_t red = reductions[r];                                                        \
            T *o = red == SOFTMARGIN_REDUCTION_NONE ? out : &scalar;                           \
            CHECK(softmargin_forward_##S(NULL, y, n, red, o) == SOFTMARGIN_STATUS_NULL_POINTER); \
            CHECK(softmargin_forward_##S(x, NULL, n, red, o) == SOFTMARGIN_STATUS_NULL_POINTER); \
            CHECK(softmargin_forward_##S(x, y, n, red, NULL) == SOFTMARGIN_STATUS_NULL_POINTER); \
            CHECK(softmargin_backward_##S(NULL, x, y, n, red, grad) ==                         \
                  SOFTMARGIN_STATUS_NULL_POINTER);                                              \
            CHECK(softmargin_backward_##S(g, x, y, n, red, NULL) ==                            \
                  SOFTMARGIN_STATUS_NULL_POINTER);                                              \
            CHECK(softmargin_forward_backward_##S(x, y, n, red, o, NULL) ==                    \
                  SOFTMARGIN_STATUS_NULL_POINTER);                                              \
            CHECK(softmargin_forward_##S(x, y, (size_t)-1 / 2, red, o) ==                      \
                  SOFTMARGIN_STATUS_INVALID_ARGUMENT);                                          \
            T *odd = (T *)(uintptr_t)((char *)out + 1);                                         \
            CHECK(softmargin_forward_##S(x, y, 4, red, odd) == SOFTMARGIN_STATUS_MISALIGNED);  \
            CHECK(softmargin_forward_##S(out, y, 8, red, red == SOFTMARGIN_REDUCTION_NONE     \
                                                            ? out + 1                           \
                                                            : out + 3) ==                       \
                  SOFTMARGIN_STATUS_OVERLAP);                                                   \
            CHECK(softmargin_forward_backward_##S(x, y, 8, red, grad + 2, grad) ==             \
                  SOFTMARGIN_STATUS_OVERLAP);                                                   \
        }                                                                                       \
        CHECK(softmargin_check_target_##S(NULL, n, &idx) == SOFTMARGIN_STATUS_NULL_POINTER);   \
        CHECK(softmargin_check_target_##S(y, n, (size_t *)(uintptr_t)((char *)&idx + 1)) ==     \
              SOFTMARGIN_STATUS_MISALIGNED);                                                    \
        CHECK(idx == 99);                                                                       \
        CHECK(all_equal_##S(out, n, 7) && all_equal_##S(grad, n, 7) && scalar == 7);          \
        free(x), free(y), free(out), free(grad), free(g);                                      \
    }                                                                                           \
                                                                                                \
    /* Empty buffers: NULL everywhere except a reduced output. */                               \
    static void empty_##S(void) {                                                              \
        T v = 7;                                                                                \
        size_t idx = 99;                                                                        \
        CHECK(softmargin_forward_##S(NULL, NULL, 0, SOFTMARGIN_REDUCTION_NONE, NULL) == 0);    \
        CHECK(softmargin_backward_##S(NULL, NULL, NULL, 0, SOFTMARGIN_REDUCTION_NONE, NULL) == \
              0);                                                                               \
        CHECK(softmargin_forward_backward_##S(NULL, NULL, 0, SOFTMARGIN_REDUCTION_NONE, NULL,  \
                                              NULL) == 0);                                      \
        CHECK(softmargin_forward_##S(NULL, NULL, 0, SOFTMARGIN_REDUCTION_MEAN, &v) == 0 &&     \
              isnan(v));                                                                        \
        CHECK(softmargin_forward_backward_##S(NULL, NULL, 0, SOFTMARGIN_REDUCTION_SUM, &v,     \
                                              NULL) == 0 &&                                     \
              v == 0);                                                                          \
        v = 1;                                                                                  \
        CHECK(softmargin_backward_##S(&v, NULL, NULL, 0, SOFTMARGIN_REDUCTION_MEAN, NULL) ==   \
              0);                                                                               \
        CHECK(softmargin_check_target_##S(NULL, 0, &idx) == 0 && idx == 0);                    \
    }                                                                                           \
                                                                                                \
    /* Every exact in-place layout gives the out-of-place result, at sizes on both sides of    \
     * the thread pool's threshold. */                                                         \
    static void in_place_##S(size_t n) {                                                       \
        T *x = new_##S(n, -40.0, 0.1), *y = new_##S(n, -1.0, 0.0), *g = new_##S(n, 0.5, 0.01); \
        for (size_t i = 0; i < n; i += 3) {                                                    \
            y[i] = 1;                                                                          \
        }                                                                                       \
        T *loss = new_##S(n, 0, 0), *grad = new_##S(n, 0, 0), *buf = new_##S(n, 0, 0);         \
        T *buf2 = new_##S(n, 0, 0);                                                             \
        for (size_t r = 0; r < 3; r++) {                                                        \
            int32_t red = reductions[r];                                                        \
            int none = red == SOFTMARGIN_REDUCTION_NONE;                                        \
            T s1 = 0, s2 = 0, g0 = (T)0.75;                                                     \
            CHECK(softmargin_forward_backward_##S(x, y, n, red, none ? loss : &s1, grad) == 0); \
            memcpy(buf, x, n * sizeof(T));                                                      \
            memcpy(buf2, y, n * sizeof(T));                                                     \
            CHECK(softmargin_forward_backward_##S(buf, buf2, n, red, none ? buf : &s2, buf2) == \
                  0);                                                                           \
            CHECK(none ? memcmp(buf, loss, n * sizeof(T)) == 0 : memcmp(&s1, &s2, sizeof s1) == \
                                                                     0);                        \
            CHECK(memcmp(buf2, grad, n * sizeof(T)) == 0);                                     \
            if (none) {                                                                         \
                memcpy(buf, y, n * sizeof(T));                                                  \
                CHECK(softmargin_forward_##S(x, buf, n, red, buf) == 0);                       \
                CHECK(memcmp(buf, loss, n * sizeof(T)) == 0);                                  \
                CHECK(softmargin_backward_##S(g, x, y, n, red, grad) == 0);                    \
                memcpy(buf, g, n * sizeof(T));                                                  \
                CHECK(softmargin_backward_##S(buf, x, y, n, red, buf) == 0);                   \
                CHECK(memcmp(buf, grad, n * sizeof(T)) == 0);                                  \
            } else {                                                                            \
                CHECK(softmargin_backward_##S(&g0, x, y, n, red, grad) == 0);                  \
                memcpy(buf, x, n * sizeof(T));                                                  \
                CHECK(softmargin_backward_##S(&g0, buf, y, n, red, buf) == 0);                 \
                CHECK(memcmp(buf, grad, n * sizeof(T)) == 0);                                  \
            }                                                                                   \
        }                                                                                       \
        free(x), free(y), free(g), free(loss), free(grad), free(buf), free(buf2);              \
    }                                                                                           \
                                                                                                \
    static void special_values_##S(void) {                                                     \
        T x[6] = {(T)-100, (T)INFINITY, (T)-INFINITY, (T)NAN, (T)0, (T)1e-40};                \
        T y[6] = {1, 1, 1, 1, (T)INFINITY, 1};                                                  \
        T loss[6], grad[6], v;                                                                  \
        CHECK(softmargin_forward_backward_##S(x, y, 6, SOFTMARGIN_REDUCTION_NONE, loss,        \
                                              grad) == 0);                                      \
        CHECK(loss[0] == 100 && grad[0] == -1);                                                 \
        CHECK(loss[1] == 0 && grad[1] == 0);                                                    \
        CHECK(isinf(loss[2]) && grad[2] == -1);                                                 \
        CHECK(isnan(loss[3]) && isnan(grad[3]));                                                \
        CHECK(isnan(loss[4]) && isnan(grad[4]));                                                \
        CHECK(fabs((double)loss[5] - log(2.0)) < 1e-6);                                         \
        CHECK(softmargin_forward_##S(x, y, 3, SOFTMARGIN_REDUCTION_SUM, &v) == 0 && isinf(v)); \
        size_t idx = 0;                                                                         \
        CHECK(softmargin_check_target_##S(y, 6, &idx) == SOFTMARGIN_STATUS_INVALID_TARGET &&   \
              idx == 4);                                                                        \
    }

DEFINE_TESTS(float, f32)
DEFINE_TESTS(double, f64)

/* The second derivative and the shards, for all four types (the 16-bit ones as bits: ONE is
 * 1, and X(i) an input of moderate size): good calls on buffers of exactly n elements, and
 * the refusals, with nothing written. Two shards cut at SOFTMARGIN_BLOCK finish to the one
 * call's MEAN, bit for bit. */
#define DEFINE_MATRIX(T, S, ONE, X)                                                             \
    static void matrix_##S(size_t n) {                                                         \
        T *x = malloc(n * sizeof(T)), *y = malloc(n * sizeof(T));                              \
        T *grad = malloc(n * sizeof(T)), *hess = malloc(n * sizeof(T));                        \
        T *one_grad = malloc(n * sizeof(T));                                                   \
        for (size_t i = 0; i < n; i++) {                                                        \
            x[i] = X(i);                                                                        \
            y[i] = ONE;                                                                         \
        }                                                                                       \
        for (size_t r = 0; r < 3; r++) {                                                        \
            CHECK(softmargin_gradient_hessian_##S(x, y, n, reductions[r], grad, hess) == 0);   \
        }                                                                                       \
        T canary;                                                                               \
        memset(&canary, 0x5a, sizeof canary);                                                   \
        for (size_t i = 0; i < n; i++) {                                                        \
            grad[i] = canary;                                                                   \
            hess[i] = canary;                                                                   \
        }                                                                                       \
        int32_t none = SOFTMARGIN_REDUCTION_NONE, mean = SOFTMARGIN_REDUCTION_MEAN;            \
        CHECK(softmargin_gradient_hessian_##S(x, y, n, 9, grad, hess) ==                       \
              SOFTMARGIN_STATUS_INVALID_REDUCTION);                                             \
        CHECK(softmargin_gradient_hessian_##S(x, NULL, n, none, grad, hess) ==                 \
              SOFTMARGIN_STATUS_NULL_POINTER);                                                  \
        CHECK(softmargin_gradient_hessian_##S(x, y, n, none, grad, x) ==                       \
              SOFTMARGIN_STATUS_OVERLAP);                                                       \
        CHECK(softmargin_gradient_hessian_##S(x, y, 1, none, (T *)(uintptr_t)((char *)grad + 1), \
                                             hess) == SOFTMARGIN_STATUS_MISALIGNED);           \
        softmargin_partial whole, a, b, fresh;                                                  \
        memset(&fresh, 0, sizeof fresh);                                                        \
        a = b = whole = fresh;                                                                  \
        size_t cut = n > SOFTMARGIN_BLOCK ? SOFTMARGIN_BLOCK : n;                               \
        CHECK(softmargin_forward_backward_shard_##S(x, y, cut, n, mean, &a, grad) == 0);       \
        CHECK(softmargin_forward_backward_shard_##S(x + cut, y + cut, n - cut, n, mean, &b,    \
                                                    grad + cut) == 0);                          \
        CHECK(softmargin_partial_merge(&a, &b) == 0);                                           \
        CHECK(softmargin_forward_partial_##S(x, y, n, &whole) == 0);                           \
        CHECK(memcmp(&whole, &a, sizeof a) == 0);                                               \
        T finished = canary, one = canary;                                                      \
        CHECK(softmargin_partial_finish_##S(&a, mean, &finished) == 0);                        \
        CHECK(softmargin_forward_backward_##S(x, y, n, mean, &one, one_grad) == 0);            \
        CHECK(memcmp(&finished, &one, sizeof one) == 0);                                        \
        CHECK(memcmp(grad, one_grad, n * sizeof(T)) == 0);                                      \
        b = fresh;                                                                              \
        for (size_t i = 0; i < n; i++) {                                                        \
            hess[i] = canary;                                                                   \
        }                                                                                       \
        CHECK(softmargin_forward_backward_shard_##S(x, y, n, n, none, &b, hess) ==             \
              SOFTMARGIN_STATUS_INVALID_REDUCTION);                                             \
        CHECK(softmargin_forward_backward_shard_##S(x, y, n, n, mean, NULL, hess) ==           \
              SOFTMARGIN_STATUS_NULL_POINTER);                                                  \
        CHECK(softmargin_forward_backward_shard_##S(x, y, n, n - 1, mean, &b, hess) ==         \
              SOFTMARGIN_STATUS_INVALID_ARGUMENT);                                              \
        CHECK(softmargin_forward_partial_##S(NULL, y, n, &b) == SOFTMARGIN_STATUS_NULL_POINTER); \
        CHECK(softmargin_partial_finish_##S(&a, none, &finished) ==                            \
              SOFTMARGIN_STATUS_INVALID_REDUCTION);                                             \
        CHECK(softmargin_partial_finish_##S(&a, mean, NULL) == SOFTMARGIN_STATUS_NULL_POINTER); \
        a.bytes[37] ^= 1; /* corrupted: refused by the finish and by either side of a merge */  \
        CHECK(softmargin_partial_finish_##S(&a, mean, &finished) ==                            \
              SOFTMARGIN_STATUS_INVALID_PARTIAL);                                               \
        CHECK(softmargin_partial_merge(&whole, &a) == SOFTMARGIN_STATUS_INVALID_PARTIAL);      \
        CHECK(softmargin_partial_merge(&b, &whole) == SOFTMARGIN_STATUS_INVALID_PARTIAL);      \
        CHECK(memcmp(&b, &fresh, sizeof b) == 0 && memcmp(&finished, &one, sizeof one) == 0);  \
        for (size_t i = 0; i < n; i++) {                                                        \
            CHECK(memcmp(&hess[i], &canary, sizeof canary) == 0);                               \
        }                                                                                       \
        free(x), free(y), free(grad), free(hess), free(one_grad);                              \
    }

#define X_FLOAT(i) ((float)((double)((i) % 977) * 0.05 - 20.0))
#define X_DOUBLE(i) ((double)((i) % 977) * 0.05 - 20.0)
/* binary16 and bfloat16 bits of moderate magnitudes, of both signs. */
#define X_F16(i) ((uint16_t)(0x3000 + (i) % 0x1000 + ((i) % 3 == 0 ? 0x8000 : 0)))
#define X_BF16(i) ((uint16_t)(0x3e00 + (i) % 0x200 + ((i) % 3 == 0 ? 0x8000 : 0)))
DEFINE_MATRIX(float, f32, 1.0f, X_FLOAT)
DEFINE_MATRIX(double, f64, 1.0, X_DOUBLE)
DEFINE_MATRIX(uint16_t, f16, 0x3c00, X_F16)
DEFINE_MATRIX(uint16_t, bf16, 0x3f80, X_BF16)

static void small_functions(void) {
    for (int32_t s = -50; s < 50; s++) {
        CHECK(softmargin_status_str(s) != NULL && strlen(softmargin_status_str(s)) > 0);
    }
    CHECK(softmargin_status_str(INT32_MIN) != NULL && softmargin_status_str(INT32_MAX) != NULL);
    CHECK(strcmp(softmargin_version(), SOFTMARGIN_VERSION_STRING) == 0);
    CHECK(softmargin_set_num_threads(SOFTMARGIN_MAX_THREADS + 1) ==
          SOFTMARGIN_STATUS_INVALID_ARGUMENT);
    CHECK(softmargin_set_num_threads((size_t)-1) == SOFTMARGIN_STATUS_INVALID_ARGUMENT);
    CHECK(softmargin_set_num_threads(3) == 0 && softmargin_get_num_threads() == 3);
    CHECK(softmargin_set_num_threads(0) == 0 && softmargin_get_num_threads() >= 1);
}

int main(void) {
    refusals_f32();
    refusals_f64();
    empty_f32();
    empty_f64();
    size_t sizes[] = {1, 7, 16, 17, 63, 64, 65, 4097, 40000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        in_place_f32(sizes[i]);
        in_place_f64(sizes[i]);
    }
    size_t matrix_sizes[] = {2, 33, 4097, 40000};
    for (size_t i = 0; i < sizeof matrix_sizes / sizeof *matrix_sizes; i++) {
        matrix_f32(matrix_sizes[i]);
        matrix_f64(matrix_sizes[i]);
        matrix_f16(matrix_sizes[i]);
        matrix_bf16(matrix_sizes[i]);
    }
    special_values_f32();
    special_values_f64();
    small_functions();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
