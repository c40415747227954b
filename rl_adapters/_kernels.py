"""Numba kernels of the RL adapters: the sequential loops that numpy cannot vectorise."""

from numba import njit


@njit(cache=True)
def gae_backward(rewards, values, next_values, terminated, episode_end, gamma, lam,
                 advantages):
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
