"""The model core: the town, its agents and the weekly rules. Imports only from sim.config."""
