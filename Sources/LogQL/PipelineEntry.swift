import SluiceModel

/// One entry as the pipeline works on it: its labels (stream, then structured metadata,
/// then parsed), the error label and the current line.
///
/// Loki 3's precedence (pkg/logql/log/labels.go): metadata or parsed names that clash
/// with a stream label get the suffix `_extracted`; parsed labels replace metadata of
/// the same name.
struct PipelineEntry {
    var stream: Labels
    var pairs: [(name: String, value: String)]
    var error: String?
    var line: [UInt8]
    var timestamp: Timestamp

    init(stream: Labels, metadata: Labels, line: [UInt8], timestamp: Timestamp) {
        self.stream = stream
        self.line = line
        self.timestamp = timestamp
        pairs = stream.pairs
        for pair in metadata {
            set(stream[pair.name] == nil ? pair.name : pair.name + "_extracted", pair.value)
        }
    }

    /// A label's value; `__error__` is the error. nil when absent.
    func value(_ name: String) -> String? {
        if name == "__error__" { return error }
        for pair in pairs where pair.name == name { return pair.value }
        return nil
    }

    /// Sets a label a parser extracted.
    mutating func setParsed(_ name: String, _ value: String) {
        set(stream[name] == nil ? name : name + "_extracted", value)
    }

    private mutating func set(_ name: String, _ value: String) {
        for index in pairs.indices where pairs[index].name == name {
            pairs[index].value = value
            return
        }
        pairs.append((name, value))
    }

    /// Sets the error label unless one is set already.
    mutating func setErrorIfNone(_ error: String) {
        if self.error == nil { self.error = error }
    }

    /// The labels a result shows: every non-empty label, and `__error__` when set.
    var labels: Labels {
        var dictionary: [String: String] = [:]
        dictionary.reserveCapacity(pairs.count + 1)
        for pair in pairs where !pair.value.isEmpty { dictionary[pair.name] = pair.value }
        if let error { dictionary["__error__"] = error }
        return Labels(dictionary)
    }
}
