"""REST `/info` and `/exchange` client with endpoint failover and rate-limit accounting."""
