#!/usr/bin/env python3
"""Fits the polynomials of the fast kernel in f32 lanes (src/kernel/fast.rs; the constants are in
src/kernel/poly.rs) and prints their coefficients.

Each is the minimax polynomial for the relative error of the function it serves, found by
Lawson's algorithm (iteratively reweighted least squares on Chebyshev nodes), then rounded to
f32; the printed error is measured with the rounded coefficients on a fine grid.

    exp(r)    = 1 + r + r^2 p(r),       |r| <= ln2 / 2
    log1p(e)  = 2w + 2w^3 t(w^2),       w = e / (2 + e), 0 <= w^2 <= 1/9

Needs numpy: python3 tools/fit_polynomials.py
"""

import numpy as np


def lawson(f, weight, a, b, degree, iterations=200):
    """Coefficients (lowest first) of the degree-`degree` polynomial q minimising
    max |weight(x) (q(x) - f(x))| over [a, b]."""
    x = np.cos(np.linspace(0.0, np.pi, 4000)) * (b - a) / 2 + (a + b) / 2
    v = np.vander(x, degree + 1, increasing=True)
    w = np.ones_like(x)
    y, s = f(x), weight(x)
    for _ in range(iterations):
        root = np.sqrt(w)
        c, *_ = np.linalg.lstsq(v * (s * root)[:, None], y * s * root, rcond=None)
        err = np.abs((v @ c - y) * s)
        w = w * err
        w /= w.sum()
    return c


def exp_p(r):
    """(exp(r) - 1 - r) / r^2, by its series near 0."""
    out = np.empty_like(r)
    near = np.abs(r) < 1e-3
    out[~near] = (np.expm1(r[~near]) - r[~near]) / r[~near] ** 2
    t = r[near]
    out[near] = 1 / 2 + t / 6 + t**2 / 24 + t**3 / 120
    return out


def atanh_t(v):
    """(atanh(w) / w - 1) / w^2 at v = w^2, by its series near 0."""
    out = np.empty_like(v)
    near = v < 1e-4
    w = np.sqrt(v[~near])
    out[~near] = (np.arctanh(w) / w - 1) / v[~near]
    t = v[near]
    out[near] = 1 / 3 + t / 5 + t**2 / 7
    return out


def main():
    half_ln2 = np.log(2) / 2
    c = lawson(exp_p, lambda r: r**2 / np.exp(r), -half_ln2, half_ln2, 4)
    c32 = c.astype(np.float32)
    r = np.linspace(-half_ln2, half_ln2, 400001)
    q = np.polynomial.polynomial.polyval(r, c32.astype(np.float64))
    err = np.abs(1 + r + r**2 * q - np.exp(r)) / np.exp(r)
    print("EXP  ", [repr(float(x)) for x in c32], f"max relative error 2^{np.log2(err.max()):.1f}")

    c = lawson(atanh_t, lambda v: v / (1 + v / 3), 0.0, 1 / 9, 4)
    c32 = c.astype(np.float32)
    v = np.linspace(0.0, 1 / 9, 400001)
    q = np.polynomial.polynomial.polyval(v, c32.astype(np.float64))
    exact = atanh_t(v)
    err = np.abs(v * (q - exact)) / (1 + v * exact)
    print("ATANH", [repr(float(x)) for x in c32], f"max relative error 2^{np.log2(err.max()):.1f}")


if __name__ == "__main__":
    main()
