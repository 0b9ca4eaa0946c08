"""Use cases of the register, each over one unit of work."""
