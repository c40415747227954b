"""Numba kernels of the RL adapters: the sequential loops that numpy cannot vectorise."""

import math

from numba import njit

from trustregion._kernels import cache_writable


def _probe():
    """A function of this file, for Numba's search of a cache directory."""


_CACHE = cache_writable(_probe)


@njit(cache=_CACHE)
def gae_backward(rewards, values, next_values, terminated, episode_end, gamma, lam, advantages):
    """Generalised advantage estimation over a (T, E) block of E environments' steps.

    δₜ = rₜ + γ (1 - terminatedₜ) V(sₜ₊₁) - V(sₜ), Aₜ = δₜ + γλ (1 - endₜ) Aₜ₊₁
    (Schulman et al. 2016, eq. 16), where sₜ₊₁ is the true next state (the final one when
    the episode ended there), ``terminated`` marks a true end (no bootstrap) and
    ``episode_end`` marks termination or time-limit truncation (the sum stops; a truncated
    step still bootstraps on V(sₜ₊₁)). The last row is treated as the end of the
    estimate: A_{T-1} = δ_{T-1}.
    """
    T, E = rewards.shape
    for e in range(E):
        running = 0.0
        for t in range(T - 1, -1, -1):
            bootstrap = 0.0 if terminated[t, e] else gamma * next_values[t, e]
            delta = rewards[t, e] + bootstrap - values[t, e]
            if episode_end[t, e] or t == T - 1:
                running = delta
            else:
                running = delta + gamma * lam * running
            advantages[t, e] = running


@njit(cache=_CACHE)
def tanh_and_slope(z, h, slope):
    """h = tanh(z) and slope = 1 - h², in one pass over a 2-D block.

    tanh as in Cephes (Moshier): for |x| ≤ 0.625 the rational approximation
    x + x³·P(x²)/Q(x²), otherwise 1 - 2/(e^{2|x|} + 1) with the sign restored — within
    2 ulp of the correctly rounded value, and faster than numpy's tanh here because the
    derivative comes in the same pass.
    """
    n, m = z.shape
    for i in range(n):
        for j in range(m):
            x = z[i, j]
            a = abs(x)
            if a > 0.625:
                # tanh rounds to ±1 beyond 19.1, and exp(2a) would overflow past 355
                t = 1.0 if a > 22.0 else 1.0 - 2.0 / (math.exp(2.0 * a) + 1.0)
                if x < 0.0:
                    t = -t
            else:
                s = x * x
                p = (
                    -9.64399179425052238628e-1 * s - 9.92877231001918586564e1
                ) * s - 1.61468768441708447952e3
                q = (
                    (s + 1.12811678491632931402e2) * s + 2.23548839060100448583e3
                ) * s + 4.84406305325125486048e3
                t = x + x * s * (p / q)
            h[i, j] = t
            slope[i, j] = 1.0 - t * t
