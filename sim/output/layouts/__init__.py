"""The files of layout comparisons and recommendations."""
