"""Validation: the Bass model, docking, calibration and the validation report."""
