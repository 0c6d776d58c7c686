// Filled in by the agent issue.
