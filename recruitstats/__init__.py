"""recruitstats: cleaning and modelling of military recruitment data."""

__version__ = "0.1.0"
