"""The shared budget of one account across several live nodes, held in Redis (claims, leases, activity)."""
