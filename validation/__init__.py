"""Checks of the cascade kernel against bond-percolation theory and peer simulators."""
