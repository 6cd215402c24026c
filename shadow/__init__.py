"""Shadow mode: live data, an execution client that sends nothing, fills from the queue model."""
