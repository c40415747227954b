"""A user's PyTorch ``nn.Module`` as a TRPO/NPG policy (``pip install ".[torch]"``).

:class:`TorchPolicy` implements :class:`rl_adapters.policies.Policy`, so
``TRPO(env, policy=TorchPolicy(net, env.action_space))`` trains ``net``. The
distributions' closed forms are the built-in policies' own (:mod:`rl_adapters.distributions`,
in numpy, on the network's outputs); PyTorch does what only it can do for a module it
did not write: the forward pass, the reverse-mode product Jᵀu (``torch.func.vjp``) for
the surrogate gradient and the forward-mode product Jv (``torch.func.jvp``) for the
Fisher product Jᵀ M J v, whose M is the core's closed form applied to tensors
(:func:`trustregion.operators.categorical_fisher_product`,
:func:`~trustregion.operators.gaussian_fisher_diagonal`). The double back-propagation
through the mean KL of PyTorch TRPO codes is available as ``fisher="double_backward"``.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import nn
from torch.func import functional_call, jvp, vjp

from trustregion.operators import categorical_fisher_product, gaussian_fisher_diagonal

from .distributions import BatchDistribution, Categorical, DiagonalGaussian, _log_std
from .policies import checked_parameters
from .spaces import check_action_space

FISHER_FORMS = ("jmj", "double_backward")


class TorchPolicy:
    """π(a|s) from ``module``: observations (N, obs_dim) ↦ logits (N, n) for a
    ``Discrete`` action space, or ↦ the mean (N, d) of a diagonal Gaussian for a ``Box``,
    with a state-independent log-std parameter added (``log_std_init``) unless the module
    returns ``(mean, log_std)`` itself.

    θ is the module's parameters flattened in ``named_parameters`` order, then the added
    log-std. The module's dtype (float32 or float64) and device are used for its passes;
    observations, θ and products cross between numpy and PyTorch without copies when the
    module is float64 on the CPU (float32 and CUDA modules need one conversion each way).

    Parameters
    ----------
    module : torch.nn.Module
    action_space : gymnasium.spaces.Discrete or gymnasium.spaces.Box (1-D)
    observation_space : gymnasium.spaces.Box, optional
        Its width is used to check the module's output at construction; without it the
        width is read from the first submodule with ``in_features`` (e.g. ``nn.Linear``).
    log_std_init : float
    fisher : {"jmj", "double_backward"}
        How Fisher products are formed: Jᵀ M J v with M in closed form (one forward-mode
        and one reverse-mode pass), or the Hessian-vector product of the mean
        KL(π_old ‖ π_θ) by double back-propagation.

    Raises
    ------
    ValueError
        At construction: a module that is not an ``nn.Module``, parameters that are not
        floating point or mix dtypes or devices, an unsupported action space, or an
        output of the wrong shape for the action space.
    """

    def __init__(
        self,
        module: nn.Module,
        action_space: Any,
        *,
        observation_space: Any = None,
        log_std_init: float = 0.0,
        fisher: str = "jmj",
    ) -> None:
        if not isinstance(module, nn.Module):
            raise ValueError(f"module must be a torch.nn.Module, got {type(module).__name__}")
        if fisher not in FISHER_FORMS:
            raise ValueError(f"fisher must be one of {FISHER_FORMS}, got {fisher!r}")
        self.action_dim, self.continuous = check_action_space(action_space)
        self.module, self.action_space, self.fisher = module, action_space, fisher
        self.observation_space = observation_space
        named = list(module.named_parameters())
        if not named:
            raise ValueError("module has no parameters to optimise")
        for name, p in named:
            if not p.is_floating_point():
                raise ValueError(
                    f"module parameter {name!r} has dtype {p.dtype}; the policy's "
                    f"parameters must be floating point"
                )
        dtypes = {p.dtype for _, p in named}
        devices = {p.device for _, p in named}
        if len(dtypes) > 1 or len(devices) > 1:
            raise ValueError(
                f"module parameters must share one dtype and device, got "
                f"{sorted(map(str, dtypes))} on {sorted(map(str, devices))}"
            )
        self.dtype, self.device = dtypes.pop(), devices.pop()
        self._names = [name for name, _ in named]
        self._shapes = [p.shape for _, p in named]
        self._numels = [p.numel() for _, p in named]
        self.net_size = sum(self._numels)
        self.obs_dim = self._observation_width(module, observation_space)
        self.state_dependent_std = self._check_output()
        self.log_std: torch.Tensor | None = None
        if self.continuous and not self.state_dependent_std:
            self.log_std = torch.full(
                (self.action_dim,), float(log_std_init), dtype=self.dtype, device=self.device
            )
        self.num_parameters = self.net_size + (0 if self.log_std is None else self.action_dim)

    @staticmethod
    def _observation_width(module: nn.Module, observation_space: Any) -> int:
        if observation_space is not None:
            if len(getattr(observation_space, "shape", ())) != 1:
                raise ValueError(f"observation_space must be a 1-D Box, got {observation_space}")
            return int(observation_space.shape[0])
        for sub in module.modules():
            width = getattr(sub, "in_features", None)
            if isinstance(width, int):
                return width
        raise ValueError("cannot tell the module's observation width: pass observation_space=")

    def _check_output(self) -> bool:
        """Whether the module returns its own log-std; raises for a wrong output."""
        with torch.no_grad():
            out = self.module(torch.zeros(2, self.obs_dim, dtype=self.dtype, device=self.device))
        width = self.action_dim if self.continuous else int(self.action_space.n)
        what = "the Gaussian mean" if self.continuous else "the logits"
        if isinstance(out, torch.Tensor):
            if out.shape != (2, width):
                raise ValueError(
                    f"module output has shape {tuple(out.shape)} for a batch of 2 "
                    f"observations; {what} must have shape (2, {width})"
                )
            return False
        if (
            self.continuous
            and isinstance(out, (tuple, list))
            and len(out) == 2
            and all(isinstance(t, torch.Tensor) for t in out)
            and out[0].shape == (2, width)
            and out[1].shape in ((2, width), (width,))
        ):
            return True
        raise ValueError(
            f"module output must be a tensor of {what}, shape (2, {width}) for a "
            f"batch of 2"
            + (", or a (mean, log_std) pair" if self.continuous else "")
            + f"; got {_describe(out)}"
        )

    # -- parameters ---------------------------------------------------------------------

    def get_parameters(self) -> np.ndarray:
        parts = [p.detach().reshape(-1) for p in self.module.parameters()]
        if self.log_std is not None:
            parts.append(self.log_std)
        return _numpy(torch.cat(parts)).copy()

    def set_parameters(self, theta: np.ndarray) -> None:
        flat = self._tensor(checked_parameters(theta, self.num_parameters))
        with torch.no_grad():
            for p, value in zip(self.module.parameters(), self._split(flat), strict=False):
                p.copy_(value)
            if self.log_std is not None:
                self.log_std.copy_(flat[self.net_size :])

    # -- acting and evaluating ------------------------------------------------------------

    def act(
        self, obs: ArrayLike, rng: np.random.Generator, deterministic: bool = False
    ) -> np.ndarray:
        with torch.no_grad():
            out = self.module(self._tensor(obs))
        if not self.continuous:
            return Categorical.sample(_numpy(out), rng, deterministic)
        mean, log_std = out if self.state_dependent_std else (out, self.log_std)
        assert log_std is not None  # a Gaussian policy's own, or the module's
        return DiagonalGaussian.sample(_numpy(mean), _numpy(log_std), rng, deterministic)

    def evaluate(self, obs: ArrayLike, theta: ArrayLike | None = None) -> "TorchEvaluation":
        theta = self.get_parameters() if theta is None else np.asarray(theta, np.float64)
        return TorchEvaluation(self, self._tensor(theta), self._tensor(obs))

    def config(self) -> dict[str, Any]:
        return {
            "kind": "torch",
            "fisher": self.fisher,
            "state_dependent_std": self.state_dependent_std,
        }

    # -- conversions ----------------------------------------------------------------------

    def _tensor(self, array: ArrayLike) -> torch.Tensor:
        """A numpy array as a tensor of the module's dtype and device (the same memory for
        a float64 array and a float64 CPU module)."""
        return torch.as_tensor(np.asarray(array), dtype=self.dtype, device=self.device)

    def _split(self, flat: torch.Tensor) -> list[torch.Tensor]:
        return [
            part.view(shape)
            for part, shape in zip(
                torch.split(flat[: self.net_size], self._numels), self._shapes, strict=False
            )
        ]

    def _params(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        return dict(zip(self._names, self._split(flat), strict=False))


class TorchEvaluation(BatchDistribution):
    """π_θ on a batch: one forward pass (without a graph); the derivative passes are
    prepared the first time a gradient or Fisher product is asked for."""

    def __init__(self, policy: TorchPolicy, theta: torch.Tensor, obs: torch.Tensor) -> None:
        if obs.ndim != 2 or obs.shape[1] != policy.obs_dim:
            raise ValueError(f"obs must have shape (N, {policy.obs_dim}), got {tuple(obs.shape)}")
        self.policy, self.theta, self.obs, self.n = policy, theta, obs, obs.shape[0]
        self.continuous = policy.continuous
        self._net_params = policy._params(theta)
        with torch.no_grad():
            out = self._distribution(self._net_params)
        self._out = out
        self.log_std: np.ndarray | None
        if not policy.continuous:
            self.output, self.log_std = _numpy(out), None
        elif policy.state_dependent_std:
            self.output, self.log_std = _numpy(out[0]), _numpy(out[1])
        else:
            self.output = _numpy(out)
            self.log_std = _numpy(theta[policy.net_size :])
        self._vjp: Callable[..., Any] | None = None

    def _distribution(self, net_params: dict[str, torch.Tensor]) -> Any:
        return functional_call(self.policy.module, net_params, (self.obs,))

    # derivatives through the module

    def _pull_back(self, cotangent: Any) -> torch.Tensor:
        """Jᵀ u for a cotangent u of the module's output, flattened (torch)."""
        if self._vjp is None:
            self._vjp = vjp(self._distribution, self._net_params)[1]
        (grads,) = self._vjp(cotangent)
        return torch.cat([grads[name].reshape(-1) for name in self.policy._names])

    def log_prob_gradient(self, actions: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Σᵢ wᵢ ∇θ log π_θ(aᵢ|sᵢ): the closed-form gradient with respect to the
        distribution's parameters, pulled back through the module by ``torch.func.vjp``."""
        weights = np.asarray(weights, dtype=np.float64)
        policy = self.policy
        if not policy.continuous:
            d_logits = Categorical.log_prob_gradient(self.output, actions, weights)
            return _numpy(self._pull_back(policy._tensor(d_logits)))
        d_mean, d_log_std = DiagonalGaussian.log_prob_gradient(
            self.output, _log_std(self), actions, weights
        )
        if policy.state_dependent_std:
            pulled = self._pull_back((policy._tensor(d_mean), policy._tensor(d_log_std)))
            return _numpy(pulled)
        net = _numpy(self._pull_back(policy._tensor(d_mean)))
        return np.concatenate([net, d_log_std.sum(axis=0)])

    def fisher_product(self, v: np.ndarray) -> np.ndarray:
        """The mean Fisher matrix times v, as ``policy.fisher`` says (Jᵀ M J, or the
        Hessian of the mean KL by double back-propagation)."""
        policy = self.policy
        tangent = policy._tensor(np.asarray(v, dtype=np.float64))
        if policy.fisher == "double_backward":
            product = self._kl_hessian_product(tangent)
        else:
            product = self._jmj_product(tangent)
        return _numpy(product)

    def _jmj_product(self, v: torch.Tensor) -> torch.Tensor:
        policy = self.policy
        Jv = jvp(self._distribution, (self._net_params,), (policy._params(v),))[1]
        if not policy.continuous:
            u = categorical_fisher_product(torch.softmax(self._out, dim=1), Jv)
            return self._pull_back(u / self.n)
        if policy.state_dependent_std:
            mean_weight, log_std_weight = gaussian_fisher_diagonal(self._out[1])
            return self._pull_back((Jv[0] * mean_weight / self.n, log_std_weight * Jv[1] / self.n))
        mean_weight, log_std_weight = gaussian_fisher_diagonal(self.theta[policy.net_size :])
        # The added log σ is one parameter for all states: the batch mean of its Jᵢᵀ M Jᵢ
        # is M.
        return torch.cat(
            [self._pull_back(Jv * mean_weight / self.n), log_std_weight * v[policy.net_size :]]
        )

    def _kl_hessian_product(self, v: torch.Tensor) -> torch.Tensor:
        """∇²_θ' mean KL(π_θ ‖ π_θ') at θ' = θ, times v: autograd.grad with
        create_graph=True, then the gradient of its dot product with v (the pytorch-trpo
        form)."""
        theta = self.theta.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            kl = self._torch_kl(theta)
            (grad,) = torch.autograd.grad(kl, theta, create_graph=True)
            (hv,) = torch.autograd.grad(grad @ v, theta)
        return hv

    def _torch_kl(self, theta: torch.Tensor) -> torch.Tensor:
        """Mean KL(π_old ‖ π_θ) in torch, differentiable in θ (double_backward only)."""
        policy = self.policy
        out = self._distribution(policy._params(theta))
        old = self._out
        if not policy.continuous:
            log_p_old = torch.log_softmax(old, dim=1)
            return (log_p_old.exp() * (log_p_old - torch.log_softmax(out, dim=1))).sum(1).mean()
        if policy.state_dependent_std:
            (mean_old, ls_old), (mean, ls) = old, out
        else:
            mean_old, ls_old = old, self.theta[policy.net_size :]
            mean, ls = out, theta[policy.net_size :]
        per_dim = (
            ls
            - ls_old
            + (torch.exp(2 * ls_old) + (mean_old - mean) ** 2) / (2 * torch.exp(2 * ls))
            - 0.5
        )
        return per_dim.expand_as(mean).sum(1).mean()


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    """float64 numpy data of a tensor: its own memory for a float64 CPU tensor."""
    return np.asarray(tensor.detach().cpu().numpy(), dtype=np.float64)


def _describe(out: Any) -> str:
    if isinstance(out, torch.Tensor):
        return f"a tensor of shape {tuple(out.shape)}"
    if isinstance(out, (tuple, list)):
        return f"a {type(out).__name__} of " + ", ".join(_describe(o) for o in out)
    return type(out).__name__
