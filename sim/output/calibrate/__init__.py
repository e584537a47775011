"""The files of a calibration: the calibrated scenario, its samples and the fit report."""
