import Foundation
import Testing

/// Runs the real command-line compressors (gzip, zstd, lz4; scripts/test installs them), for
/// interop with bytes we did not produce.
enum CommandLineTool {
    /// Pipes `input` through `shellCommand` (reading stdin, so sizes are unknown to the tool).
    static func run(_ shellCommand: String, input: [UInt8]) throws -> [UInt8] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("compression-\(UUID().uuidString)")
        try Data(input).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "cat '\(file.path)' | \(shellCommand)"]
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(shellCommand) failed")
        return [UInt8](data)
    }
}
