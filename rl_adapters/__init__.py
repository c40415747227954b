"""Reinforcement-learning adapters (TRPO, NPG) built on :mod:`trustregion`.

Empty until the RL-adapters issue lands: the update rules there are compositions of
:func:`trustregion.solve_subproblem` and the line searches, not new algorithms.
"""
