// The PromQL subset (see PromQLEngine.swift).
