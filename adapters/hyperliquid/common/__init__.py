"""What every part of the adapter shares: constants, fees, credentials, cloids, nonces, the price/size rule."""
