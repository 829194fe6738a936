/*
 * The reference's first example: four predictions scored against their targets with
 * SoftMarginLoss, each loss and then the mean.
 *
 * Built and run from the repository's root, after `cargo build --release`:
 *
 *   cc -std=c99 -Iinclude examples/basic.c -Ltarget/release -lsoftmargin -Wl,-rpath,"$PWD/target/release" -lm -o basic && ./basic
 */
#include <math.h>
#include <stdio.h>

#include "softmargin.h"

int main(void) {
    const float predictions[4] = {0.5f, -2.0f, 3.1f, -0.2f};
    const float targets[4] = {1.0f, -1.0f, 1.0f, -1.0f};
    float losses[4];
    float mean;

    int32_t status = softmargin_forward_f32(predictions, targets, 4, SOFTMARGIN_REDUCTION_NONE,
                                            losses);
    if (status != SOFTMARGIN_STATUS_OK) {
        fprintf(stderr, "forward (none): %s\n", softmargin_status_str(status));
        return 1;
    }
    status = softmargin_forward_f32(predictions, targets, 4, SOFTMARGIN_REDUCTION_MEAN, &mean);
    if (status != SOFTMARGIN_STATUS_OK) {
        fprintf(stderr, "forward (mean): %s\n", softmargin_status_str(status));
        return 1;
    }

    int failures = 0;
    double sum = 0.0;
    for (int i = 0; i < 4; i++) {
        /* The textbook formula in double precision: fine at these moderate values. */
        double expected = log1p(exp(-(double)targets[i] * predictions[i]));
        printf("loss[%d] (x = %+.1f, y = %+.0f) = %.6f\n", i, predictions[i], targets[i],
               losses[i]);
        if (fabs(losses[i] - expected) > 1e-6 * expected) {
            fprintf(stderr, "  expected %.9f\n", expected);
            failures++;
        }
        sum += expected;
    }
    printf("mean = %.6f\n", mean);
    if (fabs(mean - sum / 4.0) > 1e-6 * (sum / 4.0)) {
        fprintf(stderr, "  expected mean %.9f\n", sum / 4.0);
        failures++;
    }
    return failures == 0 ? 0 : 1;
}
