"""What goes onto a device from the therapist's PC: the plan (mapped to the ids of the
table the device holds) and protocols and plan together in one load."""
