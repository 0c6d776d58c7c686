// HTTP API: see the routes once LogQL lands.
