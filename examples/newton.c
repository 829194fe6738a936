/*
 * The training example's classifier (examples/train.c: 10 features, 32 samples, the same data)
 * fitted by Newton's method instead of gradient descent. softmargin_gradient_hessian_f64 gives,
 * per sample, the first and second derivative of the mean loss with respect to the score; the
 * chain rule through score = w . x + b turns them into the gradient sum_i g_i [x_i, 1] and the
 * Hessian sum_i h_i [x_i, 1] [x_i, 1]^T of the weights, and each step solves H d = gradient.
 * It reaches the loss gradient descent ends at after 50 epochs in a handful of steps.
 *
 * Built and run from the repository's root, after `cargo build --release`:
 *
 *   cc -std=c99 -Iinclude examples/newton.c -Ltarget/release -lsoftmargin -Wl,-rpath,"$PWD/target/release" -lm -o newton && ./newton
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "softmargin.h"

#define FEATURES 10
#define SAMPLES 32
#define PARAMS (FEATURES + 1)
#define STEPS 8

/* train.c's generator: xorshift64* and Box-Muller normal deviates. */
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

/* Solves a d = r for a symmetric positive definite a (Cholesky); 0 on success. */
static int solve(double a[PARAMS][PARAMS], double r[PARAMS], double d[PARAMS]) {
    double l[PARAMS][PARAMS] = {{0}};
    for (int i = 0; i < PARAMS; i++) {
        for (int j = 0; j <= i; j++) {
            double s = a[i][j];
            for (int k = 0; k < j; k++) {
                s -= l[i][k] * l[j][k];
            }
            if (i == j) {
                if (!(s > 0.0)) {
                    return 1;
                }
                l[i][i] = sqrt(s);
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    double z[PARAMS];
    for (int i = 0; i < PARAMS; i++) {
        double s = r[i];
        for (int k = 0; k < i; k++) {
            s -= l[i][k] * z[k];
        }
        z[i] = s / l[i][i];
    }
    for (int i = PARAMS - 1; i >= 0; i--) {
        double s = z[i];
        for (int k = i + 1; k < PARAMS; k++) {
            s -= l[k][i] * d[k];
        }
        d[i] = s / l[i][i];
    }
    return 0;
}

int main(void) {
    double x[SAMPLES][PARAMS], y[SAMPLES];
    for (int i = 0; i < SAMPLES; i++) {
        float yi = i < SAMPLES / 2 ? 1.0f : -1.0f;
        y[i] = yi;
        for (int j = 0; j < FEATURES; j++) {
            x[i][j] = 0.5f * yi + normal();
        }
        x[i][FEATURES] = 1.0; /* the bias's input */
    }

    double w[PARAMS] = {0}, scores[SAMPLES], g[SAMPLES], h[SAMPLES], loss = 0.0;
    for (int step = 0; step <= STEPS; step++) {
        for (int i = 0; i < SAMPLES; i++) {
            scores[i] = 0.0;
            for (int j = 0; j < PARAMS; j++) {
                scores[i] += w[j] * x[i][j];
            }
        }
        int32_t status =
            softmargin_forward_f64(scores, y, SAMPLES, SOFTMARGIN_REDUCTION_MEAN, &loss);
        if (status == SOFTMARGIN_STATUS_OK) {
            status = softmargin_gradient_hessian_f64(scores, y, SAMPLES, SOFTMARGIN_REDUCTION_MEAN,
                                                     g, h);
        }
        if (status != SOFTMARGIN_STATUS_OK) {
            fprintf(stderr, "softmargin: %s\n", softmargin_status_str(status));
            return 1;
        }
        printf("step %d  loss %.6f\n", step, loss);
        if (step == STEPS) {
            break;
        }
        /* Gradient and Hessian of the mean loss in the weights; a tiny ridge keeps the
         * Hessian positive definite as the separable data drives the weights up. */
        double grad[PARAMS] = {0}, hess[PARAMS][PARAMS] = {{0}}, d[PARAMS];
        for (int i = 0; i < SAMPLES; i++) {
            for (int j = 0; j < PARAMS; j++) {
                grad[j] += g[i] * x[i][j];
                for (int k = 0; k < PARAMS; k++) {
                    hess[j][k] += h[i] * x[i][j] * x[i][k];
                }
            }
        }
        for (int j = 0; j < PARAMS; j++) {
            hess[j][j] += 1e-9;
        }
        if (solve(hess, grad, d) != 0) {
            fprintf(stderr, "the Hessian is not positive definite\n");
            return 1;
        }
        for (int j = 0; j < PARAMS; j++) {
            w[j] -= d[j];
        }
    }
    int correct = 0;
    for (int i = 0; i < SAMPLES; i++) {
        correct += (scores[i] > 0.0) == (y[i] > 0.0);
    }
    printf("final loss %.6f after %d Newton steps, accuracy %.4f (%d/%d)\n", loss, STEPS,
           (double)correct / SAMPLES, correct, SAMPLES);
    return 0;
}
