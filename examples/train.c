/*
 * The reference's second example: a linear binary classifier (10 features, 32 samples, 16 per
 * class, targets -1 and +1) trained by plain gradient descent on the mean soft margin loss.
 * softmargin_forward_backward_f32 gives the loss and d loss / d score in one pass; the chain rule
 * through score = w . x + b gives the weight gradients.
 *
 * Built and run from the repository's root, after `cargo build --release`:
 *
 *   cc -std=c99 -Iinclude examples/train.c -Ltarget/release -lsoftmargin -Wl,-rpath,"$PWD/target/release" -lm -o train && ./train
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "softmargin.h"

#define FEATURES 10
#define SAMPLES 32
#define EPOCHS 50
#define LEARNING_RATE 0.5f

/* A small reproducible generator (xorshift64*) and Box-Muller normal deviates. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static double uniform(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return ((rng_state * 0x2545f4914f6cdd1du) >> 11) * (1.0 / 9007199254740992.0);
}

static float normal(void) {
    double u = uniform(), v = uniform();
    return (float)(sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v));
}

int main(void) {
    float x[SAMPLES][FEATURES], y[SAMPLES];
    /* Class +1 centred at +0.5 in every feature, class -1 at -0.5; unit noise. */
    for (int i = 0; i < SAMPLES; i++) {
        y[i] = i < SAMPLES / 2 ? 1.0f : -1.0f;
        for (int j = 0; j < FEATURES; j++) {
            x[i][j] = 0.5f * y[i] + normal();
        }
    }
    int32_t status = softmargin_check_target_f32(y, SAMPLES, NULL);
    if (status != SOFTMARGIN_STATUS_OK) {
        fprintf(stderr, "targets: %s\n", softmargin_status_str(status));
        return 1;
    }

    float w[FEATURES] = {0}, b = 0.0f;
    float scores[SAMPLES], dscores[SAMPLES], loss = 0.0f, first_loss = 0.0f;
    int rises = 0;
    for (int epoch = 0; epoch < EPOCHS; epoch++) {
        for (int i = 0; i < SAMPLES; i++) {
            scores[i] = b;
            for (int j = 0; j < FEATURES; j++) {
                scores[i] += w[j] * x[i][j];
            }
        }
        float previous = loss;
        status = softmargin_forward_backward_f32(scores, y, SAMPLES, SOFTMARGIN_REDUCTION_MEAN,
                                                 &loss, dscores);
        if (status != SOFTMARGIN_STATUS_OK) {
            fprintf(stderr, "forward_backward: %s\n", softmargin_status_str(status));
            return 1;
        }
        if (epoch == 0) {
            first_loss = loss;
        } else if (loss > previous) {
            rises++;
        }
        if (epoch % 5 == 0 || epoch == EPOCHS - 1) {
            printf("epoch %2d  loss %.6f\n", epoch, loss);
        }
        /* d loss / d w_j = sum_i dscores[i] x[i][j]; d loss / d b = sum_i dscores[i]. */
        for (int j = 0; j < FEATURES; j++) {
            float g = 0.0f;
            for (int i = 0; i < SAMPLES; i++) {
                g += dscores[i] * x[i][j];
            }
            w[j] -= LEARNING_RATE * g;
        }
        float gb = 0.0f;
        for (int i = 0; i < SAMPLES; i++) {
            gb += dscores[i];
        }
        b -= LEARNING_RATE * gb;
    }

    int correct = 0;
    for (int i = 0; i < SAMPLES; i++) {
        float s = b;
        for (int j = 0; j < FEATURES; j++) {
            s += w[j] * x[i][j];
        }
        correct += (s > 0.0f) == (y[i] > 0.0f);
    }
    double accuracy = (double)correct / SAMPLES;
    printf("final loss %.6f (from %.6f), accuracy %.4f (%d/%d)\n", loss, first_loss, accuracy,
           correct, SAMPLES);
    /* Full-batch gradient descent on a convex loss with a small step: the loss falls every epoch. */
    if (rises != 0 || !(loss < 0.5f * first_loss) || accuracy < 0.9) {
        fprintf(stderr, "training did not converge: %d rises\n", rises);
        return 1;
    }
    return 0;
}
