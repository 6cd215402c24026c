"""Quote math: fair price, ladder, inventory skew, re-quote planning (no engine)."""
