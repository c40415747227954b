"""The user's ``numba.njit`` functions as the compiled loops take them: the addresses of
their compiled code for one signature (Numba's first-class function types)."""

import weakref
from collections.abc import Callable
from typing import Any

from numba.core.dispatcher import Dispatcher
from numba.core.errors import NumbaError
from numba.core.types import FunctionType, WrapperAddressProtocol

# The one way Numba offers to turn a jit function into the address of its compiled code
# for a given signature (what it does itself when such a function is passed where a
# first-class function type is expected). Marked experimental since Numba 0.49.
from numba.experimental.function_type import _get_wrapper_address


def is_compiled(*functions: Any) -> bool:
    """Whether every one of ``functions`` is a ``numba.njit`` function."""
    return all(isinstance(f, Dispatcher) for f in functions)


class _Address(WrapperAddressProtocol):
    """A compiled function as a compiled loop takes it: the address of its code for one
    signature (Numba's wrapper-address protocol)."""

    def __init__(self, function: Dispatcher, name: str, signature: Any, call: str) -> None:
        self._signature = signature
        # Numba's typeof takes this type as it is instead of building it from
        # signature() at every call, which cost 15 µs a function.
        self._numba_type_ = FunctionType(signature)
        try:
            self._address = _get_wrapper_address(function, signature)
        except NumbaError as error:
            raise TypeError(
                f"{name} is a numba.njit function, so it runs in a compiled loop, which "
                f"calls it as {name}{call}; it does not compile for that signature "
                f"({signature}): {error}"
            ) from error

    def __wrapper_address__(self) -> int:
        return self._address

    def signature(self) -> Any:
        return self._signature


# A function's address is looked up once per role: the lookup costs tens of
# microseconds, as much as a whole compiled run on a small problem.
_ADDRESSES: "weakref.WeakKeyDictionary[Callable[..., Any], dict[tuple[str, int], _Address]]" = (
    weakref.WeakKeyDictionary()
)


def function_address(function: Dispatcher, name: str, signature: Any, call: str) -> _Address:
    """The cached address of ``function`` compiled for ``signature``, in the role
    ``name`` (which, with ``call``, a TypeError names when it does not compile so)."""
    roles = _ADDRESSES.get(function)
    if roles is None:
        roles = _ADDRESSES[function] = {}
    key = (name, id(signature))  # the signatures are module constants
    address = roles.get(key)
    if address is None:
        address = roles[key] = _Address(function, name, signature, call)
    return address
