"""Arrays and floats in, arrays out: compressed sparse rows, random streams, compiled loops and the
cascade kernel.
"""
