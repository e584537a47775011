"""Many replications: where they run, the paired variants of a run, its figures and result, and the
memory guard.
"""
