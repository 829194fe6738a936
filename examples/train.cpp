/*
 * examples/train.c in C++ with softmargin.hpp: the same linear classifier (10 features, 32
 * samples, targets -1 and +1), the same data and the same gradient descent, with the loss as a
 * softmargin::SoftMarginLoss object in the shape of torch.nn.SoftMarginLoss. It prints what
 * train.c prints.
 *
 * Built and run from the repository's root, after `cargo build --release`:
 *
 *   c++ -std=c++11 -Iinclude examples/train.cpp -Ltarget/release -lsoftmargin -Wl,-rpath,"$PWD/target/release" -o train-cpp && ./train-cpp
 */
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "softmargin.hpp"

namespace {

const int features = 10;
const int samples = 32;
const int epochs = 50;
const float learning_rate = 0.5f;

/* train.c's generator: xorshift64* and Box-Muller normal deviates. */
std::uint64_t rng_state = 0x9e3779b97f4a7c15u;

double uniform() {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return ((rng_state * 0x2545f4914f6cdd1du) >> 11) * (1.0 / 9007199254740992.0);
}

float normal() {
    double u = uniform(), v = uniform();
    return static_cast<float>(std::sqrt(-2.0 * std::log(u + 1e-300)) *
                              std::cos(6.283185307179586 * v));
}

}  // namespace

int main() {
    std::vector<std::vector<float> > x(samples, std::vector<float>(features));
    std::vector<float> y(samples);
    for (int i = 0; i < samples; i++) {
        y[i] = i < samples / 2 ? 1.0f : -1.0f;
        for (int j = 0; j < features; j++) {
            x[i][j] = 0.5f * y[i] + normal();
        }
    }
    try {
        if (softmargin::first_invalid_target(y.data(), y.size()) != y.size()) {
            std::fprintf(stderr, "targets must be -1 or +1\n");
            return 1;
        }
        const softmargin::SoftMarginLoss loss_fn(softmargin::Reduction::Mean);
        std::vector<float> w(features, 0.0f), scores(samples), dscores(samples);
        float b = 0.0f, loss = 0.0f, first_loss = 0.0f;
        int rises = 0;
        for (int epoch = 0; epoch < epochs; epoch++) {
            for (int i = 0; i < samples; i++) {
                scores[i] = b;
                for (int j = 0; j < features; j++) {
                    scores[i] += w[j] * x[i][j];
                }
            }
            float previous = loss;
            loss = loss_fn.forward_backward(scores.data(), y.data(), scores.size(),
                                            dscores.data());
            if (epoch == 0) {
                first_loss = loss;
            } else if (loss > previous) {
                rises++;
            }
            if (epoch % 5 == 0 || epoch == epochs - 1) {
                std::printf("epoch %2d  loss %.6f\n", epoch, loss);
            }
            for (int j = 0; j < features; j++) {
                float g = 0.0f;
                for (int i = 0; i < samples; i++) {
                    g += dscores[i] * x[i][j];
                }
                w[j] -= learning_rate * g;
            }
            float gb = 0.0f;
            for (int i = 0; i < samples; i++) {
                gb += dscores[i];
            }
            b -= learning_rate * gb;
        }
        int correct = 0;
        for (int i = 0; i < samples; i++) {
            float s = b;
            for (int j = 0; j < features; j++) {
                s += w[j] * x[i][j];
            }
            correct += (s > 0.0f) == (y[i] > 0.0f);
        }
        double accuracy = static_cast<double>(correct) / samples;
        std::printf("final loss %.6f (from %.6f), accuracy %.4f (%d/%d)\n", loss, first_loss,
                    accuracy, correct, samples);
        if (rises != 0 || !(loss < 0.5f * first_loss) || accuracy < 0.9) {
            std::fprintf(stderr, "training did not converge: %d rises\n", rises);
            return 1;
        }
    } catch (const softmargin::Error &e) {
        std::fprintf(stderr, "softmargin: %s (status %d)\n", e.what(), e.status());
        return 1;
    }
    return 0;
}
