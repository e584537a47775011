"""Questions over many runs: layouts compared, a layout recommended, sweeps and sensitivity
analyses.
"""
