// The LogQL subset (SPEC §4). See Sources/LogQL/*.swift.
