"""A multilayer perceptron over a flat parameter vector, with forward- and reverse-mode
products (Jacobian-vector and vector-Jacobian) of its output with respect to the
parameters.

TRPO and NPG need three things of a network: its output, the gradient of a scalar
loss of the output (reverse mode), and the Fisher product Jᵀ M J v (one forward-mode pass
for Jv, one reverse-mode pass for Jᵀu). All three are written here once, over numpy
arrays, so that each is a few matrix products per layer (BLAS does the work) and no
N×P Jacobian is ever formed.
"""

from typing import NamedTuple, Sequence, Tuple

import numpy as np

ACTIVATIONS = ("tanh", "relu")


class Pass(NamedTuple):
    """What a forward pass keeps for the derivative passes: each layer's input
    ``inputs[l]`` (the batch for l = 0) and the derivative of each hidden activation at
    its pre-activation, ``slopes[l]``."""

    inputs: Tuple[np.ndarray, ...]
    slopes: Tuple[np.ndarray, ...]
    output: np.ndarray


class MLP:
    """y = W_L(…act(W_1 x + b_1)…) + b_L: hidden layers with ``activation``, a linear output.

    The parameters live in one flat float64 vector (``size`` entries): per layer the
    weight matrix (in × out, row-major), then the bias. The network itself holds only the
    layout; every method takes the parameter vector it should use, so that a line search
    can evaluate candidate parameters without touching the current ones.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths from the input to the output, e.g. ``(11, 64, 64, 3)``.
    activation : {"tanh", "relu"}
    """

    def __init__(self, sizes: Sequence[int], activation: str = "tanh"):
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must list at least an input and an output width, all "
                             f"positive; got {sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        self.sizes = sizes
        self.activation = activation
        self._slices = []
        start = 0
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            weights = slice(start, start + fan_in * fan_out)
            bias = slice(weights.stop, weights.stop + fan_out)
            self._slices.append((weights, bias, fan_in, fan_out))
            start = bias.stop
        self.size = start

    def layers(self, theta):
        """[(W, b)] as views into ``theta``."""
        return [(theta[w].reshape(fan_in, fan_out), theta[b])
                for w, b, fan_in, fan_out in self._slices]

    def initial_parameters(self, rng: np.random.Generator, output_gain: float = 1.0):
        """Orthogonal weights (gain √2 for hidden layers, ``output_gain`` for the last) and
        zero biases, the initialisation of the OpenAI baselines and Stable-Baselines3
        policies (Saxe et al. 2014)."""
        theta = np.zeros(self.size)
        last = len(self._slices) - 1
        for index, (W, _) in enumerate(self.layers(theta)):
            gain = output_gain if index == last else np.sqrt(2.0)
            a = rng.standard_normal(W.shape if W.shape[0] >= W.shape[1] else W.shape[::-1])
            q, r = np.linalg.qr(a)
            q = q * np.sign(np.diag(r))  # the uniform (Haar) distribution over orthogonal q
            W[...] = gain * (q if W.shape[0] >= W.shape[1] else q.T)
        return theta

    def forward(self, theta, x) -> Pass:
        """The output for a batch ``x`` of shape (N, sizes[0]), and what the derivative
        passes need."""
        inputs, slopes = [x], []
        h = x
        layers = self.layers(theta)
        for W, b in layers[:-1]:
            z = h @ W
            z += b
            if self.activation == "tanh":
                h = np.tanh(z)
                slopes.append(1.0 - h * h)
            else:
                slopes.append((z > 0.0).astype(z.dtype))
                h = np.maximum(z, 0.0)
            inputs.append(h)
        W, b = layers[-1]
        out = h @ W
        out += b
        return Pass(tuple(inputs), tuple(slopes), out)

    def output(self, theta, x):
        """The output alone."""
        return self.forward(theta, x).output

    def jvp(self, theta, cache: Pass, v):
        """J v: the change of the output for a change ``v`` of the parameters (forward
        mode; two matrix products per layer, one for the first)."""
        dh = None
        layers, dlayers = self.layers(theta), self.layers(v)
        for index, ((W, _), (dW, db)) in enumerate(zip(layers, dlayers)):
            dz = cache.inputs[index] @ dW
            dz += db
            if dh is not None:
                dz += dh @ W
            if index < len(cache.slopes):
                dh = dz * cache.slopes[index]
            else:
                return dz
        raise AssertionError("unreachable: the last layer returns")

    def vjp(self, theta, cache: Pass, u):
        """Jᵀ u: the gradient of Σ uᵢⱼ yᵢⱼ with respect to the parameters (reverse mode)."""
        grad = np.empty(self.size)
        layers, glayers = self.layers(theta), self.layers(grad)
        gz = u
        for index in range(len(layers) - 1, -1, -1):
            (W, _), (gW, gb) = layers[index], glayers[index]
            np.matmul(cache.inputs[index].T, gz, out=gW)
            gb[...] = gz.sum(axis=0)
            if index > 0:
                gz = (gz @ W.T) * cache.slopes[index - 1]
        return grad
