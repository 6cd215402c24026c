"""hlsim's exchange state and rules: accounts, books, matching, validation, limits, nonces."""
