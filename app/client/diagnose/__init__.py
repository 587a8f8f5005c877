"""`transport-lab diagnose URL`: whether any stream really streams, and what holds it back."""
