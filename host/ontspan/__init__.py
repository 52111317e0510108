"""Ontspan host tools: protocols, link, sim device, archive and reports."""

__version__ = "0.1.0"
