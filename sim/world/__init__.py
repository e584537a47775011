"""The simulated world: its type, the builder, the generated audience, networkx import and export,
and its description.
"""
