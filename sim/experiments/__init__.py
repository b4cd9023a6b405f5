"""Experiments: experiment files, designs, sweep execution and sweep analysis."""
