import SluiceModel

/// Decodes Loki's JSON push body into log events for the `logs` topic:
/// `{"streams":[{"stream":{"label":"value"},"values":[["<unix ns>","<line>",{"meta":"v"}?],…]}]}`.
/// Stream labels become the event's labels (stream labels after the pipeline); the
/// optional third element (structured metadata) becomes fields. Every problem is an
/// error naming the stream and value index, and nothing of a bad body is accepted.
enum LokiPushDecoder {
    static func decode(_ body: [UInt8]) throws -> [LogEvent] {
        let document: JSONValue
        do { document = try JSONValue.parse(body) } catch {
            throw APIError.badData("push body: \(error)")
        }
        guard case .array(let streams)? = document["streams"] else {
            throw APIError.badData("push body: expected an object with a \"streams\" array")
        }
        var events: [LogEvent] = []
        for (streamIndex, stream) in streams.enumerated() {
            guard case .object(let labelMembers)? = stream["stream"] else {
                throw APIError.badData("push body: streams[\(streamIndex)].stream must be an object of labels")
            }
            var labels = Labels()
            for (name, value) in labelMembers {
                guard case .string(let text) = value else {
                    throw APIError.badData("push body: streams[\(streamIndex)].stream.\(name) must be a string")
                }
                labels[name] = text
            }
            guard case .array(let values)? = stream["values"] else {
                throw APIError.badData("push body: streams[\(streamIndex)].values must be an array")
            }
            for (valueIndex, value) in values.enumerated() {
                let place = "streams[\(streamIndex)].values[\(valueIndex)]"
                guard case .array(let parts) = value, parts.count == 2 || parts.count == 3,
                      case .string(let timeText) = parts[0], case .string(let line) = parts[1] else {
                    throw APIError.badData("push body: \(place) must be [\"<unix ns>\", \"<line>\"] with optional metadata")
                }
                guard let nanoseconds = Int64(timeText) else {
                    throw APIError.badData("push body: \(place): timestamp '\(timeText)' is not Unix nanoseconds")
                }
                var fields: [LogField] = []
                if parts.count == 3 {
                    guard case .object(let metadata) = parts[2] else {
                        throw APIError.badData("push body: \(place)[2] (structured metadata) must be an object")
                    }
                    for (name, item) in metadata {
                        guard case .string(let text) = item else {
                            throw APIError.badData("push body: \(place)[2].\(name) must be a string")
                        }
                        fields.append(LogField(name, .string(text)))
                    }
                }
                events.append(LogEvent(timestamp: Timestamp(nanosecondsSinceEpoch: nanoseconds), host: labels["host"] ?? "",
                                       source: "http", message: Array(line.utf8), fields: fields, labels: labels))
            }
        }
        return events
    }
}
