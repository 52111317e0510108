# Lets the host package carry the firmware (`ontspan.firmware`); never installed on a device.
