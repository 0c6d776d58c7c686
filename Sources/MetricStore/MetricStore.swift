// The metric store: series index and Gorilla-compressed chunks (see MetricStore.swift).
