/*
 * softmargin.hpp: a header-only C++ interface to softmargin.h.
 *
 * Overloads for float, double, softmargin::half and softmargin::bfloat16 (16-bit values held by
 * their bits, for the _f16 and _bf16 functions); buffers as pointer and length (C++11) or, with C++20,
 * std::span; the reduction as an enum class; errors as softmargin::Error, which carries the
 * status and its description. Nothing is written when an exception is thrown. Every rule of
 * the C interface holds (in-place use, NULL only for empty buffers, thread safety); see
 * softmargin.h.
 *
 *   std::vector<float> x = ..., y = ..., grad(x.size());
 *   float loss = softmargin::forward_backward(x.data(), y.data(), x.size(),
 *                                             softmargin::Reduction::Mean, grad.data());
 *
 * or, in the shape of torch.nn.SoftMarginLoss:
 *
 *   softmargin::SoftMarginLoss loss_fn(softmargin::Reduction::Mean);
 *   float loss = loss_fn(x.data(), y.data(), x.size());
 */
#ifndef SOFTMARGIN_HPP
#define SOFTMARGIN_HPP

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "softmargin.h"

#if __cplusplus >= 202002L && defined(__has_include)
#if __has_include(<span>)
#include <span>
#define SOFTMARGIN_HPP_SPAN 1
#endif
#endif

namespace softmargin {

/** An IEEE binary16 value held by its bits: the element type of the _f16 functions. */
struct half {
    std::uint16_t bits;
};

/** A bfloat16 value (the upper 16 bits of an IEEE binary32) held by its bits: the element type
 * of the _bf16 functions. */
struct bfloat16 {
    std::uint16_t bits;
};

static_assert(sizeof(half) == 2 && alignof(half) == alignof(std::uint16_t), "half is 16 bits");
static_assert(sizeof(bfloat16) == 2 && alignof(bfloat16) == alignof(std::uint16_t),
              "bfloat16 is 16 bits");

/** How the losses of the elements are reduced. */
enum class Reduction : std::int32_t {
    None = SOFTMARGIN_REDUCTION_NONE, /**< every element's loss */
    Mean = SOFTMARGIN_REDUCTION_MEAN, /**< their mean (NaN for no elements) */
    Sum = SOFTMARGIN_REDUCTION_SUM,   /**< their sum (0 for no elements) */
};

/** A call refused its arguments (or failed internally); nothing was written. */
class Error : public std::runtime_error {
public:
    explicit Error(std::int32_t status)
        : std::runtime_error(softmargin_status_str(status)), status_(status) {}
    /** A refusal with a description more precise than the status's own. */
    Error(std::int32_t status, const std::string &what)
        : std::runtime_error(what), status_(status) {}
    /** The SOFTMARGIN_STATUS_* value. */
    std::int32_t status() const noexcept { return status_; }

private:
    std::int32_t status_;
};

namespace detail {

inline void check(std::int32_t status) {
    if (status != SOFTMARGIN_STATUS_OK) {
        throw Error(status);
    }
}

/* The overloads that return or take one value need a reduction to one value. */
inline void require_reduced(Reduction reduction) {
    if (reduction == Reduction::None) {
        throw Error(SOFTMARGIN_STATUS_INVALID_REDUCTION,
                    "this overload reduces to one value: it needs Reduction::Mean or "
                    "Reduction::Sum, not Reduction::None");
    }
}

/* T in a parameter that takes no part in deducing it, so that a scalar of another type (1.0
 * for float buffers) converts instead of making the call ambiguous. */
template <class T>
struct same {
    typedef T type;
};

template <class T>
struct api;

template <>
struct api<float> {
    static std::int32_t forward(const float *x, const float *y, std::size_t n, std::int32_t r,
                                float *out) {
        return softmargin_forward_f32(x, y, n, r, out);
    }
    static std::int32_t backward(const float *g, const float *x, const float *y, std::size_t n,
                                 std::int32_t r, float *out) {
        return softmargin_backward_f32(g, x, y, n, r, out);
    }
    static std::int32_t forward_backward(const float *x, const float *y, std::size_t n,
                                         std::int32_t r, float *out, float *grad) {
        return softmargin_forward_backward_f32(x, y, n, r, out, grad);
    }
    static std::int32_t check_target(const float *y, std::size_t n, std::size_t *first) {
        return softmargin_check_target_f32(y, n, first);
    }
    static std::int32_t gradient_hessian(const float *x, const float *y, std::size_t n,
                                         std::int32_t r, float *grad, float *hess) {
        return softmargin_gradient_hessian_f32(x, y, n, r, grad, hess);
    }
    static std::int32_t forward_partial(const float *x, const float *y, std::size_t n,
                                        softmargin_partial *p) {
        return softmargin_forward_partial_f32(x, y, n, p);
    }
    static std::int32_t forward_backward_shard(const float *x, const float *y, std::size_t n,
                                               std::size_t total, std::int32_t r,
                                               softmargin_partial *p, float *grad) {
        return softmargin_forward_backward_shard_f32(x, y, n, total, r, p, grad);
    }
    static std::int32_t finish(const softmargin_partial *p, std::int32_t r, float *out) {
        return softmargin_partial_finish_f32(p, r, out);
    }
};

template <>
struct api<double> {
    static std::int32_t forward(const double *x, const double *y, std::size_t n,
                                std::int32_t r, double *out) {
        return softmargin_forward_f64(x, y, n, r, out);
    }
    static std::int32_t backward(const double *g, const double *x, const double *y,
                                 std::size_t n, std::int32_t r, double *out) {
        return softmargin_backward_f64(g, x, y, n, r, out);
    }
    static std::int32_t forward_backward(const double *x, const double *y, std::size_t n,
                                         std::int32_t r, double *out, double *grad) {
        return softmargin_forward_backward_f64(x, y, n, r, out, grad);
    }
    static std::int32_t check_target(const double *y, std::size_t n, std::size_t *first) {
        return softmargin_check_target_f64(y, n, first);
    }
    static std::int32_t gradient_hessian(const double *x, const double *y, std::size_t n,
                                         std::int32_t r, double *grad, double *hess) {
        return softmargin_gradient_hessian_f64(x, y, n, r, grad, hess);
    }
    static std::int32_t forward_partial(const double *x, const double *y, std::size_t n,
                                        softmargin_partial *p) {
        return softmargin_forward_partial_f64(x, y, n, p);
    }
    static std::int32_t forward_backward_shard(const double *x, const double *y, std::size_t n,
                                               std::size_t total, std::int32_t r,
                                               softmargin_partial *p, double *grad) {
        return softmargin_forward_backward_shard_f64(x, y, n, total, r, p, grad);
    }
    static std::int32_t finish(const softmargin_partial *p, std::int32_t r, double *out) {
        return softmargin_partial_finish_f64(p, r, out);
    }
};

/* The 16-bit types: the same calls on their bits. */
#define SOFTMARGIN_HPP_HALF_API(T, suffix)                                                      \
    template <>                                                                                 \
    struct api<T> {                                                                             \
        static const std::uint16_t *b(const T *p) {                                            \
            return reinterpret_cast<const std::uint16_t *>(p);                                 \
        }                                                                                       \
        static std::uint16_t *b(T *p) { return reinterpret_cast<std::uint16_t *>(p); }         \
        static std::int32_t forward(const T *x, const T *y, std::size_t n, std::int32_t r,     \
                                    T *out) {                                                  \
            return softmargin_forward_##suffix(b(x), b(y), n, r, b(out));                      \
        }                                                                                       \
        static std::int32_t backward(const T *g, const T *x, const T *y, std::size_t n,        \
                                     std::int32_t r, T *out) {                                 \
            return softmargin_backward_##suffix(b(g), b(x), b(y), n, r, b(out));               \
        }                                                                                       \
        static std::int32_t forward_backward(const T *x, const T *y, std::size_t n,            \
                                             std::int32_t r, T *out, T *grad) {                \
            return softmargin_forward_backward_##suffix(b(x), b(y), n, r, b(out), b(grad));    \
        }                                                                                       \
        static std::int32_t check_target(const T *y, std::size_t n, std::size_t *first) {       \
            return softmargin_check_target_##suffix(b(y), n, first);                            \
        }                                                                                       \
        static std::int32_t gradient_hessian(const T *x, const T *y, std::size_t n,             \
                                             std::int32_t r, T *grad, T *hess) {                \
            return softmargin_gradient_hessian_##suffix(b(x), b(y), n, r, b(grad), b(hess));    \
        }                                                                                       \
        static std::int32_t forward_partial(const T *x, const T *y, std::size_t n,              \
                                            softmargin_partial *p) {                            \
            return softmargin_forward_partial_##suffix(b(x), b(y), n, p);                       \
        }                                                                                       \
        static std::int32_t forward_backward_shard(const T *x, const T *y, std::size_t n,       \
                                                   std::size_t total, std::int32_t r,           \
                                                   softmargin_partial *p, T *grad) {            \
            return softmargin_forward_backward_shard_##suffix(b(x), b(y), n, total, r, p,       \
                                                              b(grad));                         \
        }                                                                                       \
        static std::int32_t finish(const softmargin_partial *p, std::int32_t r, T *out) {       \
            return softmargin_partial_finish_##suffix(p, r, b(out));                            \
        }                                                                                       \
    };
SOFTMARGIN_HPP_HALF_API(half, f16)
SOFTMARGIN_HPP_HALF_API(bfloat16, bf16)
#undef SOFTMARGIN_HPP_HALF_API

inline std::int32_t raw(Reduction reduction) { return static_cast<std::int32_t>(reduction); }

}  // namespace detail

/** Losses into output: len values for Reduction::None, one for Mean and Sum. */
template <class T>
void forward(const T *input, const T *target, std::size_t len, Reduction reduction, T *output) {
    detail::check(detail::api<T>::forward(input, target, len, detail::raw(reduction), output));
}

/** The mean or sum of the losses (Reduction::None throws Error). */
template <class T>
T forward(const T *input, const T *target, std::size_t len, Reduction reduction) {
    detail::require_reduced(reduction);
    T value = T();
    forward(input, target, len, reduction, &value);
    return value;
}

/** The gradient with respect to input; grad_output holds len values for None, one otherwise. */
template <class T>
void backward(const T *grad_output, const T *input, const T *target, std::size_t len,
              Reduction reduction, T *grad_input) {
    detail::check(detail::api<T>::backward(grad_output, input, target, len,
                                           detail::raw(reduction), grad_input));
}

/** The gradient of the mean or sum scaled by the scalar grad_output (Reduction::None throws
 * Error), which may be of any type that converts to T: backward(1.0, x, ...) for float x. */
template <class T>
void backward(typename detail::same<T>::type grad_output, const T *input, const T *target,
              std::size_t len, Reduction reduction, T *grad_input) {
    detail::require_reduced(reduction);
    backward(&grad_output, input, target, len, reduction, grad_input);
}

/** Loss and gradient in one pass (output as for forward). */
template <class T>
void forward_backward(const T *input, const T *target, std::size_t len, Reduction reduction,
                      T *output, T *grad_input) {
    detail::check(detail::api<T>::forward_backward(input, target, len, detail::raw(reduction),
                                                   output, grad_input));
}

/** The mean or sum of the losses, and its gradient, in one pass (Reduction::None throws
 * Error). */
template <class T>
T forward_backward(const T *input, const T *target, std::size_t len, Reduction reduction,
                   T *grad_input) {
    detail::require_reduced(reduction);
    T value = T();
    forward_backward(input, target, len, reduction, &value, grad_input);
    return value;
}

/** The first and second derivatives of the reduced loss with respect to each input, in one
 * pass (every element type; see softmargin_gradient_hessian_f32). */
template <class T>
void gradient_hessian(const T *input, const T *target, std::size_t len, Reduction reduction,
                      T *grad_input, T *hessian) {
    detail::check(detail::api<T>::gradient_hessian(input, target, len, detail::raw(reduction),
                                                   grad_input, hessian));
}

/** The exact partial sum of one shard's losses (every element type; see
 * softmargin_forward_partial_f32). Of no elements, it is the empty sum (empty_partial()); a
 * value-initialized softmargin_partial{} is zeroed bytes, which no function accepts. */
template <class T>
softmargin_partial forward_partial(const T *input, const T *target, std::size_t len) {
    softmargin_partial p = softmargin_partial();
    detail::check(detail::api<T>::forward_partial(input, target, len, &p));
    return p;
}

/** One shard of a data set of total_len elements: the gradient of the global Mean (or Sum) into
 * grad_input, bitwise the one call's, and the shard's partial loss sum (see
 * softmargin_forward_backward_shard_f32; Reduction::None throws Error). */
template <class T>
softmargin_partial forward_backward_shard(const T *input, const T *target, std::size_t len,
                                          std::size_t total_len, Reduction reduction,
                                          T *grad_input) {
    detail::require_reduced(reduction);
    softmargin_partial p = softmargin_partial();
    detail::check(detail::api<T>::forward_backward_shard(input, target, len, total_len,
                                                         detail::raw(reduction), &p, grad_input));
    return p;
}

/** The empty partial sum: the start of a merge. */
inline softmargin_partial empty_partial() {
    return forward_partial<float>(nullptr, nullptr, 0);
}

/** Adds the partial sum from into into: exact, in any order. A damaged partial (or a count that
 * would pass UINT64_MAX) throws Error with SOFTMARGIN_STATUS_INVALID_PARTIAL, into unchanged. */
inline void merge(softmargin_partial &into, const softmargin_partial &from) {
    detail::check(softmargin_partial_merge(&into, &from));
}

/** The Mean or Sum of a merged partial sum, rounded once to T (for the one call's bits, the type
 * the shards computed on). A damaged partial throws Error (SOFTMARGIN_STATUS_INVALID_PARTIAL). */
template <class T>
T finish(const softmargin_partial &partial, Reduction reduction) {
    detail::require_reduced(reduction);
    T value = T();
    detail::check(detail::api<T>::finish(&partial, detail::raw(reduction), &value));
    return value;
}

/** The index of the first target that is not exactly -1 or +1, or len if there is none. */
template <class T>
std::size_t first_invalid_target(const T *target, std::size_t len) {
    std::size_t first = len;
    std::int32_t status = detail::api<T>::check_target(target, len, &first);
    if (status != SOFTMARGIN_STATUS_INVALID_TARGET) {
        detail::check(status);
    }
    return first;
}

#ifdef SOFTMARGIN_HPP_SPAN
namespace detail {
inline void same_length(std::size_t a, std::size_t b) {
    if (a != b) {
        throw Error(SOFTMARGIN_STATUS_INVALID_ARGUMENT);
    }
}
inline std::size_t output_length(Reduction reduction, std::size_t len) {
    return reduction == Reduction::None ? len : 1;
}
}  // namespace detail

/* std::span overloads (C++20): lengths are checked, and a mismatch throws
 * Error(SOFTMARGIN_STATUS_INVALID_ARGUMENT) before anything is written. */
#define SOFTMARGIN_HPP_SPAN_OVERLOADS(T)                                                        \
    inline void forward(std::span<const T> input, std::span<const T> target,                    \
                        Reduction reduction, std::span<T> output) {                            \
        detail::same_length(input.size(), target.size());                                      \
        detail::same_length(output.size(), detail::output_length(reduction, input.size()));     \
        forward(input.data(), target.data(), input.size(), reduction, output.data());          \
    }                                                                                           \
    inline T forward(std::span<const T> input, std::span<const T> target,                       \
                     Reduction reduction) {                                                    \
        detail::same_length(input.size(), target.size());                                      \
        return forward(input.data(), target.data(), input.size(), reduction);                  \
    }                                                                                           \
    inline void backward(std::span<const T> grad_output, std::span<const T> input,              \
                         std::span<const T> target, Reduction reduction,                       \
                         std::span<T> grad_input) {                                            \
        detail::same_length(input.size(), target.size());                                      \
        detail::same_length(grad_input.size(), input.size());                                  \
        detail::same_length(grad_output.size(),                                                \
                            detail::output_length(reduction, input.size()));                   \
        backward(grad_output.data(), input.data(), target.data(), input.size(), reduction,     \
                 grad_input.data());                                                           \
    }                                                                                           \
    inline T forward_backward(std::span<const T> input, std::span<const T> target,              \
                              Reduction reduction, std::span<T> grad_input) {                  \
        detail::same_length(input.size(), target.size());                                      \
        detail::same_length(grad_input.size(), input.size());                                  \
        return forward_backward(input.data(), target.data(), input.size(), reduction,          \
                                grad_input.data());                                            \
    }
SOFTMARGIN_HPP_SPAN_OVERLOADS(float)
SOFTMARGIN_HPP_SPAN_OVERLOADS(double)
SOFTMARGIN_HPP_SPAN_OVERLOADS(half)
SOFTMARGIN_HPP_SPAN_OVERLOADS(bfloat16)
#undef SOFTMARGIN_HPP_SPAN_OVERLOADS
#endif

/**
 * torch.nn.SoftMarginLoss's shape: the reduction fixed at construction. Each member is the free
 * function of the same name with this object's reduction, and throws what it throws.
 *
 *   softmargin::SoftMarginLoss loss_fn(softmargin::Reduction::Mean);
 *   float loss = loss_fn(scores.data(), y.data(), scores.size());   // loss_fn.forward(...)
 *   loss_fn.backward(1.0f, scores.data(), y.data(), scores.size(), grad.data());
 *
 * The members that return one value need Reduction::Mean or Reduction::Sum (with
 * Reduction::None they throw Error); the ones with an output buffer take any reduction.
 */
class SoftMarginLoss {
public:
    explicit SoftMarginLoss(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}

    Reduction reduction() const noexcept { return reduction_; }

    /** The MEAN or SUM loss. */
    template <class T>
    T operator()(const T *input, const T *target, std::size_t len) const {
        return softmargin::forward(input, target, len, reduction_);
    }
    /** The MEAN or SUM loss. */
    template <class T>
    T forward(const T *input, const T *target, std::size_t len) const {
        return softmargin::forward(input, target, len, reduction_);
    }
    /** Losses into output: len values for Reduction::None, one otherwise. */
    template <class T>
    void forward(const T *input, const T *target, std::size_t len, T *output) const {
        softmargin::forward(input, target, len, reduction_, output);
    }
    /** The gradient; grad_output holds len values for None, one otherwise. */
    template <class T>
    void backward(const T *grad_output, const T *input, const T *target, std::size_t len,
                  T *grad_input) const {
        softmargin::backward(grad_output, input, target, len, reduction_, grad_input);
    }
    /** The gradient of the MEAN or SUM scaled by the scalar grad_output. */
    template <class T>
    void backward(typename detail::same<T>::type grad_output, const T *input, const T *target,
                  std::size_t len, T *grad_input) const {
        softmargin::backward(grad_output, input, target, len, reduction_, grad_input);
    }
    /** Loss and gradient in one pass (output as for forward). */
    template <class T>
    void forward_backward(const T *input, const T *target, std::size_t len, T *output,
                          T *grad_input) const {
        softmargin::forward_backward(input, target, len, reduction_, output, grad_input);
    }
    /** The MEAN or SUM loss, and its gradient, in one pass. */
    template <class T>
    T forward_backward(const T *input, const T *target, std::size_t len, T *grad_input) const {
        return softmargin::forward_backward(input, target, len, reduction_, grad_input);
    }
    /** The first and second derivatives with respect to each input. */
    template <class T>
    void gradient_hessian(const T *input, const T *target, std::size_t len, T *grad_input,
                          T *hessian) const {
        softmargin::gradient_hessian(input, target, len, reduction_, grad_input, hessian);
    }

#ifdef SOFTMARGIN_HPP_SPAN
    /* std::span members (C++20), with the free span overloads' length checks. */
#define SOFTMARGIN_HPP_SPAN_MEMBERS(T)                                                          \
    T operator()(std::span<const T> input, std::span<const T> target) const {                  \
        return softmargin::forward(input, target, reduction_);                                 \
    }                                                                                           \
    T forward(std::span<const T> input, std::span<const T> target) const {                     \
        return softmargin::forward(input, target, reduction_);                                 \
    }                                                                                           \
    void forward(std::span<const T> input, std::span<const T> target, std::span<T> output)     \
        const {                                                                                 \
        softmargin::forward(input, target, reduction_, output);                                \
    }                                                                                           \
    void backward(std::span<const T> grad_output, std::span<const T> input,                    \
                  std::span<const T> target, std::span<T> grad_input) const {                  \
        softmargin::backward(grad_output, input, target, reduction_, grad_input);              \
    }                                                                                           \
    T forward_backward(std::span<const T> input, std::span<const T> target,                    \
                       std::span<T> grad_input) const {                                        \
        return softmargin::forward_backward(input, target, reduction_, grad_input);            \
    }
    SOFTMARGIN_HPP_SPAN_MEMBERS(float)
    SOFTMARGIN_HPP_SPAN_MEMBERS(double)
    SOFTMARGIN_HPP_SPAN_MEMBERS(half)
    SOFTMARGIN_HPP_SPAN_MEMBERS(bfloat16)
#undef SOFTMARGIN_HPP_SPAN_MEMBERS
#endif

private:
    Reduction reduction_;
};

/** The library's version, "MAJOR.MINOR.PATCH". */
inline std::string version() { return softmargin_version(); }

/** The instruction-set path in use: "avx512", "avx2" or "portable" (see softmargin_isa). */
inline std::string isa() { return softmargin_isa(); }

/** Threads for large calls; 0 restores the default. Throws Error above SOFTMARGIN_MAX_THREADS. */
inline void set_num_threads(std::size_t num_threads) {
    detail::check(softmargin_set_num_threads(num_threads));
}

/** Threads large calls use. */
inline std::size_t num_threads() { return softmargin_get_num_threads(); }

}  // namespace softmargin

#endif /* SOFTMARGIN_HPP */
