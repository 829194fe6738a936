// softmargin.hpp from C++: pointer overloads (C++11) and, under C++20, the std::span ones;
// errors as softmargin::Error. Prints "N passed, M failed".
#include "softmargin.hpp"

#include <cmath>
#include <cstring>
#include <cstdio>
#include <limits>
#include <vector>

static int passed = 0, failed = 0;

static void check(bool ok, const char *what) {
    if (ok) {
        passed++;
    } else {
        failed++;
        std::printf("FAILED: %s\n", what);
    }
}

template <class T>
static double reference(T x, T y) {
    return std::log1p(std::exp(-static_cast<double>(y) * static_cast<double>(x)));
}

template <class T>
static void pointers(const char *name) {
    std::vector<T> x = {T(0.5), T(-2.0), T(3.1), T(-0.2)};
    std::vector<T> y = {T(1), T(-1), T(1), T(-1)};
    std::vector<T> loss(4), grad(4);
    softmargin::forward(x.data(), y.data(), x.size(), softmargin::Reduction::None, loss.data());
    double sum = 0;
    bool close = true;
    for (std::size_t i = 0; i < x.size(); i++) {
        double want = reference(x[i], y[i]);
        sum += want;
        close = close && std::fabs(loss[i] - want) <= 1e-6 * want;
    }
    check(close, name);
    T mean = softmargin::forward(x.data(), y.data(), x.size(), softmargin::Reduction::Mean);
    check(std::fabs(mean - sum / 4) <= 1e-6, "mean");
    T fused = softmargin::forward_backward(x.data(), y.data(), x.size(),
                                           softmargin::Reduction::Mean, grad.data());
    check(fused == mean, "fused mean equals forward mean");
    std::vector<T> grad2(4);
    softmargin::backward(T(1), x.data(), y.data(), x.size(), softmargin::Reduction::Mean,
                         grad2.data());
    check(grad == grad2, "backward with scalar grad_output equals the fused gradient");
    std::vector<T> grad3(4);
    softmargin::backward(1.0, x.data(), y.data(), x.size(), softmargin::Reduction::Mean,
                         grad3.data());
    check(grad3 == grad2, "a scalar grad_output of another type converts to T");
    std::vector<T> labels = {T(1), T(0), T(-1)};
    check(softmargin::first_invalid_target(labels.data(), labels.size()) == 1, "0 label");
    check(softmargin::first_invalid_target(y.data(), y.size()) == y.size(), "valid targets");

    std::vector<T> untouched = {T(7), T(7), T(7), T(7)};
    try {
        softmargin::forward(x.data(), y.data(), x.size(), static_cast<softmargin::Reduction>(7),
                            untouched.data());
        check(false, "invalid reduction throws");
    } catch (const softmargin::Error &e) {
        check(e.status() == SOFTMARGIN_STATUS_INVALID_REDUCTION, "status carried");
        check(std::string(e.what()) == softmargin_status_str(SOFTMARGIN_STATUS_INVALID_REDUCTION),
              "message carried");
    }
    try {
        softmargin::forward(untouched.data(), y.data(), 3, softmargin::Reduction::None,
                            untouched.data() + 1);
        check(false, "overlap throws");
    } catch (const softmargin::Error &e) {
        check(e.status() == SOFTMARGIN_STATUS_OVERLAP, "overlap status");
    }
    try {
        (void)softmargin::forward(x.data(), y.data(), x.size(), softmargin::Reduction::None);
        check(false, "scalar forward with None throws");
    } catch (const softmargin::Error &e) {
        check(e.status() == SOFTMARGIN_STATUS_INVALID_REDUCTION, "None refused for a scalar");
        std::string what = e.what();
        check(what.find("needs Reduction::Mean or Reduction::Sum") != std::string::npos &&
                  what.find("not Reduction::None") != std::string::npos,
              "the message says what the overload needs and what it got");
    }
    try {
        softmargin::backward(1.0, x.data(), y.data(), x.size(), softmargin::Reduction::None,
                             untouched.data());
        check(false, "scalar backward with None throws");
    } catch (const softmargin::Error &e) {
        check(e.status() == SOFTMARGIN_STATUS_INVALID_REDUCTION && untouched[0] == T(7),
              "None refused for a scalar grad_output, nothing written");
    }
}

/* softmargin::SoftMarginLoss: each member against the free function with its reduction. */
template <class T>
static void object(const char *name) {
    std::vector<T> x = {T(0.8), T(-1.2), T(2.5), T(-0.3), T(40), T(-90)};
    std::vector<T> y = {T(1), T(-1), T(1), T(1), T(-1), T(1)};
    const std::size_t n = x.size();
    softmargin::SoftMarginLoss by_default;
    check(by_default.reduction() == softmargin::Reduction::Mean, "default reduction is Mean");
    // The seed: loss_fn = new torch.nn.SoftMarginLoss({reduction: 'mean'});
    //           loss = loss_fn.forward(scores, y);
    const softmargin::SoftMarginLoss loss_fn(softmargin::Reduction::Mean);
    T loss = loss_fn.forward(x.data(), y.data(), n);
    double want = 0;
    for (std::size_t i = 0; i < n; i++) {
        want += reference(x[i], y[i]) / n;
    }
    check(std::fabs(loss - want) <= 1e-6 * want, name);
    check(loss_fn(x.data(), y.data(), n) == loss, "operator() is forward");
    const softmargin::SoftMarginLoss sum(softmargin::Reduction::Sum);
    check(sum(x.data(), y.data(), n) ==
              softmargin::forward(x.data(), y.data(), n, softmargin::Reduction::Sum),
          "Sum object");
    std::vector<T> grad(n), free_grad(n), losses(n, T(7));
    sum.backward(2.0, x.data(), y.data(), n, grad.data());
    softmargin::backward(T(2), x.data(), y.data(), n, softmargin::Reduction::Sum,
                         free_grad.data());
    check(grad == free_grad, "backward with a scalar grad_output");
    T fused = loss_fn.forward_backward(x.data(), y.data(), n, grad.data());
    softmargin::backward(T(1), x.data(), y.data(), n, softmargin::Reduction::Mean,
                         free_grad.data());
    check(fused == loss && grad == free_grad, "forward_backward");
    const softmargin::SoftMarginLoss none(softmargin::Reduction::None);
    check(none.reduction() == softmargin::Reduction::None, "reduction()");
    none.forward(x.data(), y.data(), n, losses.data());
    check(std::fabs(losses[5] - 90) <= 1e-6 * 90, "None object writes every loss");
    std::vector<T> ones(n, T(1)), fused_losses(n);
    none.backward(ones.data(), x.data(), y.data(), n, grad.data());
    none.forward_backward(x.data(), y.data(), n, fused_losses.data(), free_grad.data());
    check(grad == free_grad && fused_losses == losses, "None backward and forward_backward");
    std::vector<T> hess(n), free_hess(n);
    loss_fn.gradient_hessian(x.data(), y.data(), n, grad.data(), hess.data());
    softmargin::gradient_hessian(x.data(), y.data(), n, softmargin::Reduction::Mean,
                                 free_grad.data(), free_hess.data());
    T one = 1;
    softmargin::backward(one, x.data(), y.data(), n, softmargin::Reduction::Mean,
                         losses.data());
    bool near_backward = true;  // the same derivative, computed in double-double here
    for (std::size_t i = 0; i < n; i++) {
        near_backward = near_backward && std::fabs(grad[i] - losses[i]) <=
                                             4 * std::numeric_limits<T>::epsilon() *
                                                 std::fabs(losses[i]);
    }
    check(grad == free_grad && hess == free_hess && near_backward, "gradient_hessian");
    // y^2 s(m) s(-m) / n at x = 0.8, y = 1: s(-0.8) s(0.8) / 6.
    double s = 1 / (1 + std::exp(-0.8));
    check(std::fabs(hess[0] - s * (1 - s) / 6) <= 1e-6 * hess[0], "second derivative");
    none.forward(x.data(), y.data(), n, losses.data());
    try {
        none(x.data(), y.data(), n);
        check(false, "a None object's one-value call throws");
    } catch (const softmargin::Error &e) {
        check(e.status() == SOFTMARGIN_STATUS_INVALID_REDUCTION, "None refuses one value");
    }
}

#ifdef SOFTMARGIN_HPP_SPAN
static void spans() {
    std::vector<float> x = {0.5f, -2.0f, 3.1f, -0.2f}, y = {1, -1, 1, -1}, loss(4), grad(4);
    softmargin::forward(x, y, softmargin::Reduction::None, std::span<float>(loss));
    check(std::fabs(loss[0] - reference(x[0], y[0])) < 1e-6, "span forward");
    float mean = softmargin::forward_backward(x, y, softmargin::Reduction::Mean,
                                              std::span<float>(grad));
    check(std::fabs(mean - 0.310802f) < 1e-6f, "span forward_backward");
    std::vector<float> short_out(3, 7.0f);
    try {
        softmargin::forward(x, y, softmargin::Reduction::None, std::span<float>(short_out));
        check(false, "length mismatch throws");
    } catch (const softmargin::Error &e) {
        check(e.status() == SOFTMARGIN_STATUS_INVALID_ARGUMENT && short_out[0] == 7.0f,
              "length mismatch refused, nothing written");
    }
    std::vector<double> xd = {-100.0}, yd = {1.0};
    check(softmargin::forward(std::span<const double>(xd), std::span<const double>(yd),
                              softmargin::Reduction::Sum) == 100.0,
          "span double");
    const softmargin::SoftMarginLoss loss_fn;
    check(loss_fn(x, y) == mean && loss_fn.forward(x, y) == mean, "span members");
    check(loss_fn.forward_backward(x, y, std::span<float>(grad)) == mean, "span fused member");
    std::vector<float> one = {1.0f}, grad2(4);
    loss_fn.backward(one, x, y, std::span<float>(grad2));
    check(grad2 == grad, "span backward member");
    try {
        loss_fn.forward(x, y, std::span<float>(short_out));
        check(false, "member length mismatch throws");
    } catch (const softmargin::Error &e) {
        check(e.status() == SOFTMARGIN_STATUS_INVALID_ARGUMENT, "member length mismatch");
    }
}
#endif

/* The 16-bit types: the bits of known results (x = -12, y = 1 in binary16: loss 12, gradient
 * -1; bfloat16 at x = -100) and the object's reduced call. */
static void halves() {
    using softmargin::bfloat16;
    using softmargin::half;
    std::vector<half> x = {{0xca00}, {0x0000}}, y = {{0x3c00}, {0x3c00}}, loss(2), grad(2);
    softmargin::forward_backward(x.data(), y.data(), 2, softmargin::Reduction::None, loss.data(),
                                 grad.data());
    check(loss[0].bits == 0x4a00 && grad[0].bits == 0xbc00, "half: 12 and -1 at x = -12");
    check(loss[1].bits == 0x398c && grad[1].bits == 0xb800, "half: log 2 and -1/2 at x = 0");
    const softmargin::SoftMarginLoss sum(softmargin::Reduction::Sum);
    check(sum(x.data(), y.data(), 2).bits == 0x4a59, "half: the sum 12.69, rounded once");
    std::vector<bfloat16> xb = {{0xc2c8}}, yb = {{0x3f80}}, lb(1), gb(1);
    softmargin::forward_backward(xb.data(), yb.data(), 1, softmargin::Reduction::None, lb.data(),
                                 gb.data());
    check(lb[0].bits == 0x42c8 && gb[0].bits == 0xbf80, "bfloat16: 100 and -1 at x = -100");
    std::vector<half> bad = {{0x3c00}, {0x0000}};
    check(softmargin::first_invalid_target(bad.data(), 2) == 1, "half targets checked");
    std::vector<half> h(2);
    softmargin::gradient_hessian(x.data(), y.data(), 2, softmargin::Reduction::None, grad.data(),
                                 h.data());
    check(grad[1].bits == 0xb800 && h[1].bits == 0x3400, "half: -1/2 and 1/4 at x = 0");
    check(grad[0].bits == 0xbc00 && h[0].bits == 0x0067, "half: -1 and 6.14e-6 at x = -12");
    std::vector<bfloat16> x50 = {{0xc248}}, hb(1);
    softmargin::gradient_hessian(x50.data(), yb.data(), 1, softmargin::Reduction::Sum, gb.data(),
                                 hb.data());
    check(gb[0].bits == 0xbf80 && hb[0].bits == 0x1b69, "bfloat16: -1 and 1.93e-22 at x = -50");
    softmargin_partial p =
        softmargin::forward_backward_shard(x.data(), y.data(), 1, 2, softmargin::Reduction::Sum,
                                           grad.data());
    softmargin::merge(p, softmargin::forward_partial(x.data() + 1, y.data() + 1, 1));
    check(softmargin::finish<half>(p, softmargin::Reduction::Sum).bits == 0x4a59,
          "half shards: the one call's sum");
}

/* Two shards cut at a block boundary: their gradients and merged Mean are the one call's. */
template <class T>
static void shards(const char *name) {
    const std::size_t n = SOFTMARGIN_BLOCK + 300, cut = SOFTMARGIN_BLOCK;
    std::vector<T> x(n), y(n), grad(n), one_grad(n);
    for (std::size_t i = 0; i < n; i++) {
        x[i] = T(static_cast<double>((i * 7919) % 2001) / 50.0 - 20.0);
        y[i] = i % 3 ? T(1) : T(-1);
    }
    T one = softmargin::forward_backward(x.data(), y.data(), n, softmargin::Reduction::Mean,
                                         one_grad.data());
    softmargin_partial all = softmargin::forward_backward_shard(
        x.data(), y.data(), cut, n, softmargin::Reduction::Mean, grad.data());
    softmargin_partial rest = softmargin::forward_backward_shard(
        x.data() + cut, y.data() + cut, n - cut, n, softmargin::Reduction::Mean, grad.data() + cut);
    softmargin::merge(all, rest);
    T mean = softmargin::finish<T>(all, softmargin::Reduction::Mean);
    check(std::memcmp(&mean, &one, sizeof mean) == 0, name);
    check(grad == one_grad, "shard gradients are the one call's");
    softmargin_partial whole = softmargin::forward_partial(x.data(), y.data(), n);
    check(std::memcmp(&whole, &all, sizeof whole) == 0, "forward_partial is the merged shards");
    try {
        softmargin::finish<T>(all, softmargin::Reduction::None);
        check(false, "finishing None throws");
    } catch (const softmargin::Error &e) {
        check(e.status() == SOFTMARGIN_STATUS_INVALID_REDUCTION, "None refused for a partial");
    }
    softmargin_partial sum = softmargin::empty_partial();
    softmargin::merge(sum, whole);
    check(std::memcmp(&sum, &whole, sizeof sum) == 0, "the empty partial adds nothing");
    softmargin_partial damaged = whole;
    damaged.bytes[200] ^= 0x80;
    try {
        softmargin::merge(sum, damaged);
        check(false, "merging a damaged partial throws");
    } catch (const softmargin::Error &e) {
        check(e.status() == SOFTMARGIN_STATUS_INVALID_PARTIAL &&
                  std::memcmp(&sum, &whole, sizeof sum) == 0,
              "a damaged partial refused, nothing written");
    }
    try {
        softmargin::finish<T>(damaged, softmargin::Reduction::Sum);
        check(false, "finishing a damaged partial throws");
    } catch (const softmargin::Error &e) {
        check(e.status() == SOFTMARGIN_STATUS_INVALID_PARTIAL, "a damaged partial not finished");
    }
}

int main() {
    shards<float>("float shards merge to the one call's mean");
    shards<double>("double shards merge to the one call's mean");
    pointers<float>("float losses");
    pointers<double>("double losses");
    object<float>("float object, the seed's example");
    object<double>("double object, the seed's example");
    halves();
#ifdef SOFTMARGIN_HPP_SPAN
    spans();
    std::printf("C++20 spans tested\n");
#endif
    check(softmargin::version() == SOFTMARGIN_VERSION_STRING, "version");
    check(softmargin::isa() == softmargin_isa(), "isa");
    try {
        softmargin::set_num_threads(SOFTMARGIN_MAX_THREADS + 1);
        check(false, "too many threads throws");
    } catch (const softmargin::Error &e) {
        check(e.status() == SOFTMARGIN_STATUS_INVALID_ARGUMENT, "thread bound");
    }
    check(softmargin::num_threads() >= 1, "threads");
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
