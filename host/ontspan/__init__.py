"""Ontspan host tools: protocols, link, sim device, archive and reports."""

from .firmware.contract import FIRMWARE_VERSION

# one version for the package, the firmware it installs and HELLO
__version__ = FIRMWARE_VERSION
