"""hlsim's wire front: the aiohttp server, POST /info, POST /exchange and WS /ws."""
