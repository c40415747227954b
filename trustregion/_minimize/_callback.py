"""The user's callback, in any of scipy's forms, behind one call."""

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from ._result import Result


def as_callback(callback: Callable[..., Any] | None) -> Callable[[Result], bool] | None:
    """``stop(intermediate_result) -> bool`` calling ``callback`` the way scipy would.

    scipy's rule (``scipy.optimize._optimize._wrap_callback``): a callback whose only
    parameter is named ``intermediate_result`` gets the intermediate result as that
    keyword; trust-constr's ``callback(xk, state)`` (two required positional parameters)
    gets a copy of x and the result, and stops the run by returning True; any other gets a
    copy of x, ``callback(xk)``. Raising ``StopIteration`` stops the run in every form.
    """
    if callback is None:
        return None
    if not callable(callback):
        raise ValueError(f"callback must be callable, got {type(callback).__name__}")
    parameters: Mapping[str, inspect.Parameter]
    try:
        parameters = inspect.signature(callback).parameters
    except (TypeError, ValueError):  # a builtin without a signature: the plain form
        parameters = {}
    required = [
        p
        for p in parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if set(parameters) == {"intermediate_result"}:

        def call(result: Result) -> bool:
            callback(intermediate_result=result)
            return False
    elif len(required) >= 2:

        def call(result: Result) -> bool:
            return callback(result.x.copy(), result) is True
    else:

        def call(result: Result) -> bool:
            callback(result.x.copy())
            return False

    def stop(result: Result) -> bool:
        try:
            return call(result)
        except StopIteration:
            return True

    return stop
