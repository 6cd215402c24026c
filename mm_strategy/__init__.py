"""Market-making strategy, governor and risk actors, and their pure logic."""
