"""WS client: greeting, subscriptions, ping, reconnect with backoff, `post` requests."""
