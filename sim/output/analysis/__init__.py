"""The files of sweeps and sensitivity analyses, and their section in the run's report."""
