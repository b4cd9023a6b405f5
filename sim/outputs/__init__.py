"""Outputs: the results folder, storage, figures, reports and the printed comparison."""
