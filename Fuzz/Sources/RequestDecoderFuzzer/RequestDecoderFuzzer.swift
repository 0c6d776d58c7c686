// Feeds arbitrary bytes to the broker's request decoding: the request header, every API's
// body decoder at every supported version, and RecordBatch validation and record decoding
// for produce payloads. Any input may be refused with an error; none may crash.
import KafkaWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    // The header as the broker reads it from a frame.
    var reader = ByteReader(input)
    if let header = try? RequestHeader(from: &reader), let api = ApiKey(rawValue: header.apiKey),
       api.supportedVersions.contains(header.apiVersion) {
        decode(api, version: header.apiVersion, reader)
    }
    // The same bytes as a body of every API and version, so that the fuzzer need not
    // first discover a valid header to reach each decoder.
    if let selector = input.first {
        let api = ApiKey.allCases[Int(selector) % ApiKey.allCases.count]
        let versions = Array(api.supportedVersions)
        let version = versions[Int(input.count > 1 ? input[1] : 0) % versions.count]
        decode(api, version: version, ByteReader(UnsafeRawBufferPointer(rebasing: input.dropFirst(min(2, input.count)))))
    }
    // As a record batch.
    if let header = try? RecordBatch.validate(input) {
        _ = try? RecordBatch.decodeRecords(input, header: header, maxDecompressedBytes: 1 << 20)
    }
    return 0
}

private func decode(_ api: ApiKey, version: Int16, _ reader: ByteReader) {
    var reader = reader
    guard let request = try? KafkaRequest.decode(api, version: version, from: &reader) else { return }
    if case .produce(let produce) = request {
        for topic in produce.topics {
            for partition in topic.partitions {
                guard let bytes = partition.records, let batch = try? RecordBatch(validating: bytes) else { continue }
                _ = try? batch.records(maxDecompressedBytes: 1 << 20)
            }
        }
    }
}

// SwiftPM links an executable's entry point under the name `<module>_main`; hand control to
// libFuzzer's driver from there.
@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("RequestDecoderFuzzer_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { data, size in fuzz(data, size) }
}
