/*
 * Error handling: what each bad call returns, described by softmargin_status_str, and proof that
 * nothing was written.
 *
 * Built and run from the repository's root, after `cargo build --release`:
 *
 *   cc -std=c99 -Iinclude examples/errors.c -Ltarget/release -lsoftmargin -Wl,-rpath,"$PWD/target/release" -lm -o errors && ./errors
 */
#include <stdio.h>
#include <string.h>

#include "softmargin.h"

static int failures = 0;

static void expect(const char *what, int32_t got, int32_t want) {
    printf("%-48s -> %d (%s)\n", what, got, softmargin_status_str(got));
    if (got != want) {
        printf("  expected %d (%s)\n", want, softmargin_status_str(want));
        failures++;
    }
}

int main(void) {
    float x[4] = {0.5f, -2.0f, 3.1f, -0.2f};
    float y[4] = {1.0f, -1.0f, 1.0f, -1.0f};
    float labels01[4] = {1.0f, 0.0f, 1.0f, 0.0f};
    float out[5] = {42.0f, 42.0f, 42.0f, 42.0f, 42.0f};
    float grad[4] = {42.0f, 42.0f, 42.0f, 42.0f};
    float mean = 42.0f;
    size_t first_invalid = 0;

    expect("reduction 7", softmargin_forward_f32(x, y, 4, 7, out),
           SOFTMARGIN_STATUS_INVALID_REDUCTION);
    expect("reduction -1",
           softmargin_backward_f32(&mean, x, y, 4, -1, grad), SOFTMARGIN_STATUS_INVALID_REDUCTION);
    expect("NULL input with len 4",
           softmargin_forward_f32(NULL, y, 4, SOFTMARGIN_REDUCTION_NONE, out),
           SOFTMARGIN_STATUS_NULL_POINTER);
    expect("NULL mean output",
           softmargin_forward_f32(x, y, 4, SOFTMARGIN_REDUCTION_MEAN, NULL),
           SOFTMARGIN_STATUS_NULL_POINTER);
    expect("output overlapping the input by 3 elements",
           softmargin_forward_f32(out, y, 4, SOFTMARGIN_REDUCTION_NONE, out + 1),
           SOFTMARGIN_STATUS_OVERLAP);
    expect("loss and gradient in one buffer",
           softmargin_forward_backward_f32(x, y, 4, SOFTMARGIN_REDUCTION_NONE, grad, grad),
           SOFTMARGIN_STATUS_OVERLAP);
    expect("misaligned output",
           softmargin_forward_f32(x, y, 2, SOFTMARGIN_REDUCTION_NONE,
                                  (float *)(uintptr_t)((char *)out + 1)),
           SOFTMARGIN_STATUS_MISALIGNED);
    expect("len larger than memory",
           softmargin_forward_f32(x, y, (size_t)-1, SOFTMARGIN_REDUCTION_NONE, out),
           SOFTMARGIN_STATUS_INVALID_ARGUMENT);
    expect("0/1 labels", softmargin_check_target_f32(labels01, 4, &first_invalid),
           SOFTMARGIN_STATUS_INVALID_TARGET);
    printf("%-48s    first invalid index %zu\n", "", first_invalid);
    if (first_invalid != 1) {
        failures++;
    }
    expect("too many threads", softmargin_set_num_threads(SOFTMARGIN_MAX_THREADS + 1),
           SOFTMARGIN_STATUS_INVALID_ARGUMENT);
    softmargin_partial part;
    if (softmargin_forward_partial_f32(x, y, 4, &part) != SOFTMARGIN_STATUS_OK) {
        failures++;
    }
    part.bytes[100] ^= 0x10; /* one bit damaged on its way from another process */
    expect("finishing a damaged partial sum",
           softmargin_partial_finish_f32(&part, SOFTMARGIN_REDUCTION_MEAN, &mean),
           SOFTMARGIN_STATUS_INVALID_PARTIAL);
    printf("%-48s -> \"%s\"\n", "softmargin_status_str(12345)", softmargin_status_str(12345));

    for (int i = 0; i < 5; i++) {
        if (out[i] != 42.0f || (i < 4 && grad[i] != 42.0f)) {
            printf("output byte written on error at %d\n", i);
            failures++;
        }
    }
    if (mean != 42.0f) {
        failures++;
    }

    /* In place is allowed: the very same buffer as the input. */
    memcpy(out, x, sizeof x);
    expect("in place over the input", softmargin_forward_f32(out, y, 4, SOFTMARGIN_REDUCTION_NONE, out),
           SOFTMARGIN_STATUS_OK);

    printf("%s\n", failures == 0 ? "all statuses as documented" : "MISMATCH");
    return failures == 0 ? 0 : 1;
}
