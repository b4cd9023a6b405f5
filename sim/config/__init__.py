"""Configuration, the bottom layer: the parameter table, scenario files and their validation."""
