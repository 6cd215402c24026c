"""The Redis contract between the screener and the trading node: payload schema, publisher, feed."""
