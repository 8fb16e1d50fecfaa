"""The checker: exhaustive exploration of the model's worlds with symmetry, every property on
every state and transition, liveness under fairness, shortest counterexamples, and the
replayable case format that counterexamples and generated tests share.

May import: model, properties.
"""
