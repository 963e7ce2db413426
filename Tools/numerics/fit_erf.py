"""Fits the two pieces of the interpreter's float32 erf (VectorMath.erf in Swift, erf8 in
Sources/CVectorMath/vector_math.c), each by least squares reweighted toward its largest errors:
- |x| < 1: erf(x) = x + x * P(x^2), P of degree 6, weighted for relative error;
- |x| >= 1: erfc(a) = exp(-(a^2 + Q(a))) on [1, 4], Q of degree 7, weighted by erfc(a) (so the
  error is measured in erf's own units); past 4, erf rounds to 1.
Prints the float32 coefficients (constant term first) and each piece's largest error in ulp of
erf over a dense grid, evaluated with float32 Horner steps and FMA as the C kernel does, next to
what they replaced (x * P(x^2) with P's constant 2/sqrt(pi), and Abramowitz and Stegun 7.1.26).
Needs numpy only. Usage: python Tools/numerics/fit_erf.py"""
import math

import numpy as np

LO, HI, DEGREE = 1.0, 3.95, 7


def f32(x):
    return np.float32(x)


def reweighted_fit(powers, target, weight):
    coefficients, *_ = np.linalg.lstsq(powers * weight[:, None], target * weight, rcond=None)
    for _ in range(80):
        error = np.abs((powers @ coefficients - target) * weight)
        reweighted = weight * np.sqrt(error / error.max() + 1e-3)
        candidate, *_ = np.linalg.lstsq(powers * reweighted[:, None], target * reweighted, rcond=None)
        if np.abs((powers @ candidate - target) * weight).max() < error.max():
            coefficients = candidate
    return coefficients.astype(np.float32)


def fit_near():
    x = (np.cos(np.linspace(0, np.pi, 4000)) + 1) / 2
    x = x[x > 1e-4]
    erf = np.array([math.erf(v) for v in x])
    return reweighted_fit(np.vander(x * x, 7, increasing=True), erf / x - 1, x / erf)


def near_piece(x, p):
    x = f32(x)
    z = f32(x * x)
    r = p[-1]
    for c in p[-2::-1]:
        r = f32(np.float64(r) * np.float64(z) + np.float64(c))
    return f32(np.float64(x) * np.float64(r) + np.float64(x))


CEPHES = [1.12837917, -3.76126258e-1, 1.12835851e-1, -2.68538119e-2, 5.18832769e-3, -8.01019363e-4, 7.85386135e-5]


def cephes_piece(x):
    x = f32(x)
    z = f32(x * x)
    r = f32(CEPHES[-1])
    for c in CEPHES[-2::-1]:
        r = f32(np.float64(r) * np.float64(z) + np.float64(f32(c)))
    return f32(x * r)


def fit():
    a = np.cos(np.linspace(0, np.pi, 4000)) * (HI - LO) / 2 + (HI + LO) / 2
    target = np.array([-math.log(math.erfc(v)) - v * v for v in a])
    weight = np.array([math.erfc(v) for v in a])
    return reweighted_fit(np.vander(a, DEGREE + 1, increasing=True), target, weight)


def fitted_tail(x, q):
    x = f32(x)
    p = q[-1]
    for c in q[-2::-1]:
        p = f32(np.float64(p) * np.float64(x) + np.float64(c))
    r = f32(np.float64(x) * np.float64(x) + np.float64(p))
    return f32(1.0 - np.float64(f32(math.exp(-float(r)))))


def abramowitz_stegun(x):
    x = f32(x)
    t = f32(1.0 / f32(np.float64(0.3275911) * np.float64(x) + 1.0))
    p = f32(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        p = f32(np.float64(p) * np.float64(t) + np.float64(f32(c)))
    return f32(1.0 - np.float64(f32(p * t)) * np.float64(f32(math.exp(-float(f32(x * x))))))


def worst_ulp(approximation, grid):
    def ulp(x):
        exact = math.erf(float(x))
        return abs(float(approximation(x)) - exact) / float(np.spacing(np.float32(exact)))

    errors = [ulp(x) for x in grid]
    k = int(np.argmax(errors))
    return errors[k], float(grid[k])


def main():
    p = fit_near()
    print("P (constant term first):", ", ".join(f"{float(c):.9e}" for c in p))
    grid = np.linspace(0, LO, 40001).astype(np.float32)[1:-1]
    print("x + x * P(x^2): %.2f ulp at %.6f" % worst_ulp(lambda x: near_piece(x, p), grid))
    print("x * P(x^2), Cephes-style coefficients: %.2f ulp at %.6f" % worst_ulp(cephes_piece, grid))
    q = fit()
    print("Q (constant term first):", ", ".join(f"{float(c):.9e}" for c in q))
    grid = np.linspace(LO, HI, 50001).astype(np.float32)
    print("fitted tail: %.2f ulp at %.6f" % worst_ulp(lambda x: fitted_tail(x, q), grid))
    print("Abramowitz and Stegun 7.1.26: %.2f ulp at %.6f" % worst_ulp(abramowitz_stegun, grid))


if __name__ == "__main__":
    main()
