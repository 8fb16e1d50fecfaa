"""The harness: the adapter protocols a real implementation is wrapped in (a system acting on
its own, judged by the log validator; a system with steering hooks, driven in lockstep), the
Hypothesis machines that run them against the model, and the call-log format and validator.

May import: model, properties, checker.
"""
