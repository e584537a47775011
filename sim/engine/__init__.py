"""One replication: the day step over a replication's state, and the scenario events as SimPy
processes.
"""
