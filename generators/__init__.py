"""What is generated from the model: regression cases for coverage criteria (with the tour,
walks and negative cases behind them), traceability, diagrams, and the Promela export with
its SPIN runner.

May import: model, properties, checker.
"""
