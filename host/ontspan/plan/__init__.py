"""The practice plan: its model and bytes for the device, and its TOML file checked."""
