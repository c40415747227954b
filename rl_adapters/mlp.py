"""A multilayer perceptron over a flat parameter vector, with forward- and reverse-mode
products (Jacobian-vector and vector-Jacobian) of its output with respect to the
parameters.

TRPO and NPG need three things of a network: its output, the gradient of a scalar
loss of the output (reverse mode), and the Fisher product Jᵀ M J v (one forward-mode pass
for Jv, one reverse-mode pass for Jᵀu). All three are written here once, over numpy
arrays, so that each is a few matrix products per layer (BLAS does the work) and no
N×P Jacobian is ever formed.
"""

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from ._kernels import tanh_and_slope

ACTIVATIONS = ("tanh", "relu")
# Rows per block of the derivative passes: a block's activations and intermediates (a
# few times 1024 × 129 doubles for 64-unit layers) stay in the L2 cache from one pass to
# the next; measured best of 512-4096 at batches of 5000 and 25000 (the Fisher product
# at 25000: 47 ms, against 70 ms unblocked).
BLOCK_ROWS = 1024


def check_activation(activation: str) -> str:
    """``activation``, after checking that it is one of :data:`ACTIVATIONS`."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    return activation


class Pass(NamedTuple):
    """What a forward pass keeps for the derivative passes.

    ``inputs[l]`` is layer l's input augmented for single matrix products: the columns
    ``[h, 1]`` for the first layer and ``[h, 1, ḣ]`` for the others, where the tangent
    block ḣ is scratch space written by each :meth:`MLP.jvp`. With the layer's weights
    stored as the (in + 1) × out block [W; b], the forward product is [h, 1]·[W; b], the
    forward-mode product [h, 1, ḣ]·[Ẇ; ḃ; W] and the weight gradient [h, 1]ᵀ·ḡ: one
    BLAS call each, with no separate bias pass. ``slopes[l]`` is the derivative of hidden
    activation l at its pre-activation.
    """

    inputs: tuple[np.ndarray, ...]
    slopes: tuple[np.ndarray, ...]
    output: np.ndarray


class MLP:
    """y = W_L(…act(W_1 x + b_1)…) + b_L: hidden layers with ``activation``, a linear output.

    The parameters live in one flat float64 vector (``size`` entries): per layer the
    weight matrix (in × out, row-major), then the bias, so that each layer's parameters
    are the contiguous (in + 1) × out block [W; b]. The network itself holds only the
    layout; every method takes the parameter vector it should use, so that a line search
    can evaluate candidate parameters without touching the current ones.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths from the input to the output, e.g. ``(11, 64, 64, 3)``.
    activation : {"tanh", "relu"}
    """

    def __init__(self, sizes: Sequence[int], activation: str = "tanh") -> None:
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(
                f"sizes must list at least an input and an output width, all positive; got {sizes}"
            )
        self.sizes = sizes
        self.activation = check_activation(activation)
        self._blocks = []  # (start, fan_in, fan_out) of each layer's [W; b]
        start = 0
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=False):
            self._blocks.append((start, fan_in, fan_out))
            start += (fan_in + 1) * fan_out
        self.size = start

    def blocks(self, theta: np.ndarray) -> list[np.ndarray]:
        """Each layer's [W; b], shape (in + 1, out), as views into ``theta``."""
        return [
            theta[start : start + (fan_in + 1) * fan_out].reshape(fan_in + 1, fan_out)
            for start, fan_in, fan_out in self._blocks
        ]

    def layers(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """[(W, b)] as views into ``theta``."""
        return [(block[:-1], block[-1]) for block in self.blocks(theta)]

    def initial_parameters(self, rng: np.random.Generator, output_gain: float = 1.0) -> np.ndarray:
        """Orthogonal weights (gain √2 for hidden layers, ``output_gain`` for the last) and
        zero biases, the initialisation of the OpenAI baselines and Stable-Baselines3
        policies (Saxe et al. 2014)."""
        theta = np.zeros(self.size)
        last = len(self._blocks) - 1
        for index, (W, _) in enumerate(self.layers(theta)):
            gain = output_gain if index == last else np.sqrt(2.0)
            a = rng.standard_normal(W.shape if W.shape[0] >= W.shape[1] else W.shape[::-1])
            q, r = np.linalg.qr(a)
            q = q * np.sign(np.diag(r))  # the uniform (Haar) distribution over orthogonal q
            W[...] = gain * (q if W.shape[0] >= W.shape[1] else q.T)
        return theta

    def forward(self, theta: np.ndarray, x: np.ndarray) -> Pass:
        """The output for a batch ``x`` of shape (N, sizes[0]), and what the derivative
        passes need."""
        n = x.shape[0]
        inputs: list[np.ndarray] = []
        slopes: list[np.ndarray] = []
        A = np.empty((n, self.sizes[0] + 1))
        A[:, :-1] = x
        A[:, -1] = 1.0
        blocks = self.blocks(theta)
        for index, block in enumerate(blocks):
            fan_in, fan_out = block.shape[0] - 1, block.shape[1]
            inputs.append(A)
            z = A[:, : fan_in + 1] @ block
            if index == len(blocks) - 1:
                return Pass(tuple(inputs), tuple(slopes), z)
            A = np.empty((n, 2 * fan_out + 1))
            A[:, fan_out] = 1.0
            slopes.append(self._activate(z, A[:, :fan_out]))
        raise AssertionError("unreachable: the last layer returns")

    def output(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        """The output alone: the forward pass without what the derivative passes need,
        for acting one step at a time."""
        h = np.asarray(x, dtype=np.float64)
        blocks = self.blocks(theta)
        for block in blocks[:-1]:
            z = h @ block[:-1]
            z += block[-1]
            self._activate(z, z)
            h = z
        out = h @ blocks[-1][:-1]
        out += blocks[-1][-1]
        return out

    def _activate(self, z: np.ndarray, h: np.ndarray) -> np.ndarray:
        """h = act(z) (``h`` may be ``z``); returns act'(z)."""
        slope = np.empty_like(z)
        if self.activation == "tanh":
            tanh_and_slope(z, h, slope)
        else:
            np.greater(z, 0.0, out=slope)
            np.maximum(z, 0.0, out=h)
        return slope

    def jvp(self, theta: np.ndarray, cache: Pass, v: np.ndarray) -> np.ndarray:
        """J v: the change of the output for a change ``v`` of the parameters (forward
        mode; one matrix product per layer)."""
        return self._forward_mode(cache, self._tangent_blocks(theta, v), slice(None))

    def vjp(self, theta: np.ndarray, cache: Pass, u: np.ndarray) -> np.ndarray:
        """Jᵀ u: the gradient of Σ uᵢⱼ yᵢⱼ with respect to the parameters (reverse mode)."""
        u = np.asarray(u, dtype=np.float64)
        reverse = _Reverse(self, theta)
        for rows in _row_blocks(u.shape[0]):
            reverse.add(cache, u[rows], rows)
        return reverse.out

    def jtmj(
        self,
        theta: np.ndarray,
        cache: Pass,
        v: np.ndarray,
        weigh: Callable[[np.ndarray, slice], np.ndarray],
    ) -> np.ndarray:
        """Σᵢ Jᵢᵀ Mᵢ Jᵢ v, with ``weigh(Jv, rows)`` returning the rows' Mᵢ(Jᵢv) (it may
        work in place): the Gauss–Newton and Fisher products, a forward-mode then a
        reverse-mode pass over each block of rows while its intermediates are in cache."""
        tangents = self._tangent_blocks(theta, v)
        reverse = _Reverse(self, theta)
        for rows in _row_blocks(cache.output.shape[0]):
            reverse.add(cache, weigh(self._forward_mode(cache, tangents, rows), rows), rows)
        return reverse.out

    def _tangent_blocks(self, theta: np.ndarray, v: np.ndarray) -> list[np.ndarray]:
        """[Ẇ; ḃ] for the first layer and [Ẇ; ḃ; W] for the others: the right-hand sides of
        the forward-mode products [h, 1]·[Ẇ; ḃ] and [h, 1, ḣ]·[Ẇ; ḃ; W]."""
        blocks, tangents = self.blocks(theta), self.blocks(np.asarray(v, dtype=np.float64))
        return [tangents[0]] + [
            np.concatenate([t, b[:-1]]) for t, b in zip(tangents[1:], blocks[1:], strict=False)
        ]

    @staticmethod
    def _forward_mode(cache: Pass, tangents: list[np.ndarray], rows: slice) -> np.ndarray:
        last = len(tangents) - 1
        for index, tangent in enumerate(tangents):
            dz = cache.inputs[index][rows] @ tangent
            if index == last:
                return dz
            fan_out = tangent.shape[1]
            np.multiply(
                dz, cache.slopes[index][rows], out=cache.inputs[index + 1][rows, fan_out + 1 :]
            )
        raise AssertionError("unreachable: the last layer returns")


class _Reverse:
    """Accumulates Jᵀu over blocks of rows into ``out``."""

    def __init__(self, net: MLP, theta: np.ndarray) -> None:
        self.out = np.zeros(net.size)
        self._sums = net.blocks(self.out)
        self._scratch = [np.empty_like(s) for s in self._sums]
        self._transposed = [block[:-1].T for block in net.blocks(theta)]

    def add(self, cache: Pass, gz: np.ndarray, rows: slice) -> None:
        for index in range(len(self._sums) - 1, -1, -1):
            fan_in = self._sums[index].shape[0] - 1
            np.matmul(cache.inputs[index][rows, : fan_in + 1].T, gz, out=self._scratch[index])
            self._sums[index] += self._scratch[index]
            if index > 0:
                gz = gz @ self._transposed[index]
                gz *= cache.slopes[index - 1][rows]


def _row_blocks(n: int) -> list[slice]:
    return [slice(start, min(start + BLOCK_ROWS, n)) for start in range(0, n, BLOCK_ROWS)]
