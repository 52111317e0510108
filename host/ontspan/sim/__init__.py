"""The simulated device: the real firmware under the MicroPython unix port on a pseudo-terminal."""
