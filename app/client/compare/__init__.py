"""`transport-lab compare`: the registry's endpoints opened at once, every message printed as it arrives."""
