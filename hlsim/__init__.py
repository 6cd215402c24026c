"""hlsim: a local Hyperliquid-compatible exchange for tests, replay and paper trading."""
