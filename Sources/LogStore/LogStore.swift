// The indexed log store. See Sources/LogStore/*.swift.
