"""What a scenario says: the schema, reading files with line-accurate errors, cross-checks, layouts
and overrides.
"""
