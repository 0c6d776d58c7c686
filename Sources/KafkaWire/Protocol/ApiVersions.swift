/// ApiVersions (key 18), v0–4. v3+ bodies are flexible; the response header stays v0.
public struct ApiVersionsRequest: Sendable, Equatable {
    public var clientSoftwareName: String?
    public var clientSoftwareVersion: String?

    public init(from reader: inout ByteReader, version: Int16) throws {
        if version >= 3 {
            clientSoftwareName = try reader.readCompactString()
            clientSoftwareVersion = try reader.readCompactString()
            try reader.skipTaggedFields()
        }
    }
}

public struct ApiVersionsResponse: Sendable, Equatable {
    public struct ApiVersion: Sendable, Equatable {
        public var apiKey: Int16
        public var minVersion: Int16
        public var maxVersion: Int16
    }

    public var errorCode: ErrorCode
    public var apiKeys: [ApiVersion]

    /// Every API this broker supports, with its range.
    public static func supported(errorCode: ErrorCode = .none) -> ApiVersionsResponse {
        ApiVersionsResponse(errorCode: errorCode, apiKeys: ApiKey.allCases.map {
            ApiVersion(apiKey: $0.rawValue, minVersion: $0.supportedVersions.lowerBound, maxVersion: $0.supportedVersions.upperBound)
        })
    }

    public init(errorCode: ErrorCode, apiKeys: [ApiVersion]) {
        self.errorCode = errorCode
        self.apiKeys = apiKeys
    }

    public func encode(into bytes: inout [UInt8], version: Int16) {
        bytes.appendInt16(errorCode.rawValue)
        if version >= 3 {
            bytes.appendCompactArray(apiKeys) { bytes, key in
                bytes.appendInt16(key.apiKey)
                bytes.appendInt16(key.minVersion)
                bytes.appendInt16(key.maxVersion)
                bytes.appendEmptyTaggedFields()
            }
            bytes.appendInt32(0)  // throttle_time_ms
            bytes.appendEmptyTaggedFields()
        } else {
            bytes.appendArray(apiKeys) { bytes, key in
                bytes.appendInt16(key.apiKey)
                bytes.appendInt16(key.minVersion)
                bytes.appendInt16(key.maxVersion)
            }
            if version >= 1 { bytes.appendInt32(0) }
        }
    }
}
