"""What the device gives for a protocol, from the firmware's own cue code: traces, pictures, terminal."""
