import SluiceModel
import Testing
@testable import PromQL

/// A fixed origin for test samples (ms); tests speak in seconds after it.
let origin: Int64 = 1_700_000_000_000

func at(_ seconds: Double) -> Int64 { origin + Int64((seconds * 1000).rounded()) }

func series(_ labels: Labels, _ samples: [(Double, Double)]) -> MetricSeriesSamples {
    MetricSeriesSamples(labels: labels, timestamps: samples.map { at($0.0) }, values: samples.map(\.1))
}

func engine(_ series: MetricSeriesSamples...) -> PromQLEngine {
    PromQLEngine(source: InMemorySampleSource(series))
}

/// An instant query's vector as (labels, value) pairs, in result order.
func vector(_ engine: PromQLEngine, _ query: String, at seconds: Double) throws -> [(Labels, Double)] {
    guard case .vector(let samples) = try engine.instantQuery(query, at: at(seconds)) else {
        Issue.record("\(query) did not return a vector")
        return []
    }
    for sample in samples { #expect(sample.time == at(seconds)) }
    return samples.map { ($0.labels, $0.value) }
}

/// The single value of an instant query that must return exactly one sample.
func single(_ engine: PromQLEngine, _ query: String, at seconds: Double) throws -> Double? {
    let result = try vector(engine, query, at: seconds)
    guard result.count == 1 else {
        if !result.isEmpty { Issue.record("\(query): \(result.count) samples") }
        return nil
    }
    return result[0].1
}

func scalar(_ engine: PromQLEngine, _ query: String, at seconds: Double = 0) throws -> Double? {
    guard case .scalar(_, let value) = try engine.instantQuery(query, at: at(seconds)) else { return nil }
    return value
}

func isClose(_ actual: Double?, _ expected: Double, relative: Double = 1e-12) -> Bool {
    guard let actual else { return false }
    if actual == expected { return true }
    return abs(actual - expected) <= relative * max(abs(actual), abs(expected))
}

func executionError(_ body: () throws -> Any) -> String? {
    do {
        _ = try body()
        return nil
    } catch let error as PromQLError {
        return error.description
    } catch {
        return "\(error)"
    }
}
