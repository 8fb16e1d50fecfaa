"""The harness: the adapter protocol a real implementation is wrapped in, the lockstep driver
and Hypothesis machine that run it against the model, and the call-log format and validator.

May import: model, properties, checker.
"""
