"""Engine-free market models shared by hlsim, shadow and backtest: queue rules and the matcher."""
