// Processors inside sluice serve.
