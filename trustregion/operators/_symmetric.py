"""The symmetric-operator type every solver works with, and conversions into it."""

import math
from collections.abc import Callable
from typing import Any, NamedTuple, TypeAlias

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.sparse.linalg import LinearOperator

from .. import _kernels as K
from .._validation import all_finite, max_abs, power_of_two_scale

_FLOAT64 = np.dtype(np.float64)
_EMPTY_1D = np.empty(0)
# CSR arrays in the kernels' types: column indices unsigned (Numba then skips the
# negative-index wraparound test on every gathered entry), row pointers int64.
_INDEX = np.uint64
_POINTER = np.int64
_EMPTY_INDEX = np.empty(0, dtype=_INDEX)
_EMPTY_POINTER = np.empty(0, dtype=_POINTER)
_EMPTY_2D = np.empty((0, 0))

#: What the solvers accept as a symmetric matrix: a dense array (or anything
#: ``numpy.asarray`` makes a 2-D one of), a scipy sparse matrix or array, a
#: ``scipy.sparse.linalg.LinearOperator`` (a :class:`SymmetricOperator` included) or a
#: plain callable ``v ↦ A v``.
OperatorLike: TypeAlias = (
    ArrayLike | sp.spmatrix | sp.sparray | LinearOperator | Callable[[np.ndarray], np.ndarray]
)


class ExplicitMatrix(NamedTuple):
    """A stored matrix in the form the Numba kernels take: ``A + shift·I``.

    ``kind`` is ``_kernels.DENSE`` (``dense`` holds A) or ``_kernels.CSR`` (``data``,
    ``indices``, ``indptr`` hold A, all rows present). The unused arrays are empty so
    that every call has the same argument types and the kernels compile once. The tuple
    itself is the kernels' leading arguments.
    """

    kind: int
    dense: np.ndarray
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shift: float = 0.0

    @property
    def is_dense(self) -> bool:
        """Whether A is stored as a dense array (else as CSR)."""
        return self.kind == K.DENSE

    def matrix(self, shifted: bool = True) -> np.ndarray | sp.csr_matrix:
        """``A + shift·I`` (or A alone, with ``shifted=False``) as what it is stored as: an
        ndarray or a ``scipy.sparse`` CSR matrix. Without a shift to add, a dense A is the
        stored array itself, not a copy."""
        if self.is_dense:
            A = self.dense
            return A + self.shift * np.eye(A.shape[0]) if shifted and self.shift else A
        n = self.indptr.shape[0] - 1
        A = sp.csr_matrix((self.data, self.indices, self.indptr), shape=(n, n))
        return A + self.shift * sp.identity(n, format="csr") if shifted and self.shift else A


# What a kernel is given for a matrix-free operator: it then asks for each product.
MATRIX_FREE = ExplicitMatrix(K.EXTERNAL, _EMPTY_2D, _EMPTY_1D, _EMPTY_INDEX, _EMPTY_POINTER)


class SymmetricOperator(LinearOperator):
    """A symmetric n×n operator v ↦ Av, applied matrix-free.

    This is the single operator type of the project: every solver converts its operator
    arguments into one (:func:`as_operator`), and the concrete operators (Hessian-vector
    products, Gauss–Newton, Fisher, damping) are instances. It is a
    ``scipy.sparse.linalg.LinearOperator``, so it can be handed to scipy as it is.

    Parameters
    ----------
    n : int
        Dimension.
    product : callable
        ``v ↦ A v`` for a 1-D float64 ``v`` of length ``n`` (array_like results are
        converted).
    positive_semidefinite : bool
        Declared structure: vᵀAv ≥ 0 for all v. Solvers that need positive curvature
        still detect its absence at run time; the flag documents intent and lets callers
        choose methods.
    explicit : ExplicitMatrix, optional
        The stored matrix behind ``product`` when there is one, which lets the solvers run
        their whole loop inside a Numba kernel.

    Notes
    -----
    Symmetry is assumed, not checked: checking costs as much as several products.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> "SymmetricOperator":
        # LinearOperator.__new__ only warns about subclasses without _matvec; this one has
        # it, and skipping that check keeps building an operator cheap next to a small solve.
        return object.__new__(cls)

    def __init__(
        self,
        n: int,
        product: Callable[[np.ndarray], ArrayLike],
        *,
        positive_semidefinite: bool = False,
        explicit: ExplicitMatrix | None = None,
    ) -> None:
        # LinearOperator.__init__ only normalises these two attributes; setting them
        # directly keeps the construction of an operator off the per-solve budget.
        self.dtype = _FLOAT64
        self.shape = (n, n)
        self._product = product
        self.positive_semidefinite = bool(positive_semidefinite)
        if explicit is not None:
            check_kernel_shapes(explicit, n, "the explicit matrix")
        self.explicit = explicit
        # The operator as the kernels take it: the stored matrix, or 'ask for products'.
        self.kernel_args = explicit if explicit is not None else MATRIX_FREE

    @property
    def n(self) -> int:
        return self.shape[0]

    def apply(self, v: np.ndarray) -> np.ndarray:
        """A v for a 1-D float64 ``v`` of length n; checks the shapes of ``v`` (before the
        product, which may be a kernel that trusts it) and of what the product returned."""
        if v.shape != (self.shape[0],):
            raise ValueError(
                f"v must be a 1-D array of length {self.shape[0]}, got shape {v.shape}"
            )
        out = np.asarray(self._product(v), dtype=np.float64)
        if out.shape != (self.shape[0],):
            out = out.reshape(-1) if out.size == self.shape[0] else out
            if out.shape != (self.shape[0],):
                raise ValueError(
                    f"the operator returned an array of shape {out.shape} for a vector of "
                    f"length {self.shape[0]}; it must return shape ({self.shape[0]},)"
                )
        return out

    def to_dense(self, copy: bool = True) -> np.ndarray:
        """The n×n matrix, formed from the stored matrix or from n products.

        With ``copy=False`` a stored dense matrix without damping is returned itself, for
        callers that only read it.
        """
        if self.explicit is not None:
            A = self.explicit.matrix()
            if not isinstance(A, np.ndarray):  # CSR
                return A.toarray()
            return A.copy() if copy and A is self.explicit.dense else A
        eye = np.eye(self.shape[0])
        cols = np.column_stack([self.apply(eye[:, j]) for j in range(self.shape[0])])
        return 0.5 * (cols + cols.T)

    def _matvec(self, x: ArrayLike) -> np.ndarray:
        return self.apply(np.asarray(x, dtype=np.float64).reshape(-1))

    def _rmatvec(self, x: ArrayLike) -> np.ndarray:
        return self._matvec(x)

    def _adjoint(self) -> "SymmetricOperator":
        return self

    def __repr__(self) -> str:
        kind = "explicit" if self.explicit is not None else "matrix-free"
        return (
            f"<{type(self).__name__} {self.shape[0]}x{self.shape[1]} {kind}"
            f"{', PSD' if self.positive_semidefinite else ''}>"
        )


def as_operator(
    A: OperatorLike,
    n: int | None = None,
    *,
    positive_semidefinite: bool = False,
    name: str = "A",
) -> SymmetricOperator:
    """Convert ``A`` into a :class:`SymmetricOperator`.

    Parameters
    ----------
    A : ndarray, scipy sparse matrix or array, LinearOperator, callable or SymmetricOperator
        A symmetric n×n matrix, or the product ``v ↦ A v``. A :class:`SymmetricOperator`
        is returned unchanged. Dense and sparse matrices keep their storage, so that
        the solvers can run their loop in a Numba kernel; they are not copied when they are
        already float64 (and, for dense, C-contiguous), and are never modified.
    n : int, optional
        The dimension; required for a plain callable, checked against the others.
    positive_semidefinite : bool
        Declared structure (see :class:`SymmetricOperator`).
    name : str
        The argument name used in error messages.

    Raises
    ------
    ValueError
        If ``A`` is not square, does not have dimension ``n``, holds non-finite values, or
        is a callable without ``n``.
    """
    if type(A) is np.ndarray and A.dtype == _FLOAT64 and A.ndim == 2 and A.flags.c_contiguous:
        return _dense_operator(A, n, name, positive_semidefinite)
    if isinstance(A, SymmetricOperator):
        _check_dimension(A.shape, n, name)
        return A
    if sp.issparse(A):
        sparse: Any = A  # (scipy is untyped: issparse does not narrow A)
        _check_dimension(sparse.shape, n, name)
        csr = sp.csr_matrix(A, dtype=np.float64)
        try:  # indices past the shape would make the kernels read out of bounds
            csr.check_format(full_check=True)
        except ValueError as exc:
            raise ValueError(f"{name} is not a valid sparse matrix: {exc}") from None
        if not csr.has_canonical_format:
            csr = csr.copy()
            csr.sum_duplicates()
        data = np.asarray(csr.data, dtype=np.float64)
        if not all_finite(data):
            raise ValueError(f"{name} contains non-finite values (NaN or infinity)")
        explicit = ExplicitMatrix(
            K.CSR, _EMPTY_2D, data, csr.indices.astype(_INDEX), csr.indptr.astype(_POINTER)
        )
        return SymmetricOperator(
            csr.shape[0], csr.dot, explicit=explicit, positive_semidefinite=positive_semidefinite
        )
    if isinstance(A, LinearOperator):
        _check_dimension(A.shape, n, name)
        return SymmetricOperator(A.shape[0], A.matvec, positive_semidefinite=positive_semidefinite)
    if callable(A):
        if n is None:
            raise ValueError(f"{name} is a callable, so its dimension n must be given")
        return SymmetricOperator(int(n), A, positive_semidefinite=positive_semidefinite)
    try:
        dense = np.ascontiguousarray(A, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be an array, a sparse matrix, a LinearOperator or a "
            f"callable; got {type(A).__name__} ({exc})"
        ) from None
    if dense.ndim != 2:
        raise ValueError(f"{name} must be a 2-D square matrix, got shape {dense.shape}")
    return _dense_operator(dense, n, name, positive_semidefinite)


def _dense_operator(
    dense: np.ndarray, n: int | None, name: str, positive_semidefinite: bool
) -> SymmetricOperator:
    return SymmetricOperator(
        dense.shape[0],
        dense.dot,
        explicit=_dense_explicit(dense, n, name),
        positive_semidefinite=positive_semidefinite,
    )


def _dense_explicit(
    dense: np.ndarray, n: int | None, name: str, check_finite: bool = True
) -> ExplicitMatrix:
    """Validate a float64 C-contiguous square matrix and describe it for the kernels."""
    shape = dense.shape
    if shape[0] != shape[1] or (n is not None and shape[0] != n):
        _check_dimension(shape, n, name)  # raises, with the message
    if check_finite and not K.all_finite(dense.ravel()):
        raise ValueError(f"{name} contains non-finite values (NaN or infinity)")
    # _make skips the NamedTuple's Python-level __new__: this runs on every cg call.
    return ExplicitMatrix._make((K.DENSE, dense, _EMPTY_1D, _EMPTY_INDEX, _EMPTY_POINTER, 0.0))


def kernel_operand(
    A: OperatorLike, n: int, name: str = "A"
) -> tuple[ExplicitMatrix, Callable[[np.ndarray], np.ndarray]]:
    """``(kernel_args, apply)`` for A, as the Krylov drivers need it.

    The same conversion as :func:`as_operator`, without building the operator object for
    a plain float64 array, whose finiteness the kernel checks when it starts: solvers that
    only multiply (``cg``) keep the cost of a call on a small system down to the work.
    """
    if type(A) is np.ndarray and A.dtype == _FLOAT64 and A.ndim == 2 and A.flags.c_contiguous:
        return _dense_explicit(A, n, name, check_finite=False), A.dot
    op = as_operator(A, n, name=name)
    return op.kernel_args, op.apply


def operator_scale(op: SymmetricOperator) -> float:
    """A power of four near the largest entry of a stored matrix when that is beyond 2^±64
    (else 1.0, as for a matrix-free operator, whose size is not known without products).
    A power of four, so that the square roots of a Cholesky factorisation scale exactly
    too; beyond 2^±64 only, where the copy that scaling makes is worth it."""
    e = op.explicit
    if e is None:
        return 1.0
    largest = max(max_abs(e.dense if e.is_dense else e.data), abs(e.shift))
    root = power_of_two_scale(math.sqrt(largest))
    return root * root


def scaled_stored(op: SymmetricOperator, factor: float) -> SymmetricOperator:
    """factor·A for an operator with a stored matrix A, stored again (scaled), so that the
    kernels still run the whole loop."""
    e = op.explicit
    assert e is not None, "scaled_stored needs an operator with a stored matrix"
    product: Callable[[np.ndarray], np.ndarray]
    if e.is_dense:
        dense = factor * e.dense
        explicit = e._replace(dense=dense, shift=factor * e.shift)
        product = dense.dot
    else:
        data = factor * e.data
        explicit = e._replace(data=data, shift=factor * e.shift)
        product = sp.csr_matrix((data, e.indices, e.indptr), shape=op.shape).dot
    if explicit.shift:
        unshifted, shift = product, explicit.shift

        def product(v: np.ndarray) -> np.ndarray:
            return unshifted(v) + shift * v

    return SymmetricOperator(
        op.n, product, explicit=explicit, positive_semidefinite=op.positive_semidefinite
    )


def check_kernel_shapes(kernel_args: ExplicitMatrix, n: int, name: str) -> None:
    """Refuse a stored matrix that is not n×n before a kernel indexes it with vectors of
    length n (the kernels trust their callers: a mismatch would read out of bounds)."""
    e = kernel_args
    if e.kind == K.DENSE and e.dense.shape != (n, n):
        raise ValueError(f"{name} has shape {e.dense.shape}, but the vectors have length {n}")
    if e.kind == K.CSR and e.indptr.shape != (n + 1,):
        raise ValueError(
            f"{name} has {e.indptr.shape[0] - 1} rows, but the vectors have length {n}"
        )


def _check_dimension(shape: tuple[int, ...], n: int | None, name: str) -> None:
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"{name} must be square, got shape {tuple(shape)}")
    if n is not None and shape[0] != n:
        raise ValueError(f"{name} has shape {tuple(shape)}, but the problem has dimension {n}")


class DampedOperator(SymmetricOperator):
    """A + λI: Tikhonov/Levenberg–Marquardt damping of a symmetric operator.

    TRPO damps the Fisher matrix this way (``cg_damping``, Schulman et al. 2015, App. C)
    so that CG on it is well posed when the batch Fisher is singular. An explicit ``A``
    stays explicit (the shift is folded into the kernels' product).

    Parameters
    ----------
    A : anything :func:`as_operator` accepts (with ``n`` known)
    damping : float
        λ, finite. The result is declared positive semidefinite when ``A`` is and λ ≥ 0.
    """

    def __init__(self, A: OperatorLike, damping: float, n: int | None = None) -> None:
        base = as_operator(A, n)
        lam = float(damping)
        if not np.isfinite(lam):
            raise ValueError(f"damping must be finite, got {damping!r}")
        self.base = base
        self.damping = lam
        explicit = None
        if base.explicit is not None:
            explicit = base.explicit._replace(shift=base.explicit.shift + lam)

        def product(v: np.ndarray) -> np.ndarray:
            return base.apply(v) + lam * v

        super().__init__(
            base.n,
            product,
            explicit=explicit,
            positive_semidefinite=base.positive_semidefinite and lam >= 0.0,
        )
