"""Ontspan host tools: protocols, link, sim device, archive and reports."""


def __getattr__(name: str) -> str:
    # one version for the package, the firmware it installs and HELLO; read when asked,
    # so importing the package runs nothing before the program's Ctrl-C handler (__main__)
    if name == "__version__":
        from .firmware.contract import FIRMWARE_VERSION

        return FIRMWARE_VERSION
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
