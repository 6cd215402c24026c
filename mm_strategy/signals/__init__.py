"""Market signals computed from book and trade events (no engine)."""
