"""The desktop (all Qt lives here)."""
