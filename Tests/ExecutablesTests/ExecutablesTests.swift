import Foundation
import SluiceModel
import Testing

/// The two executables exist, answer --help and --version, and refuse what they do not know.
@Suite struct ExecutablesTests {
    static let productsDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

    static func run(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = productsDirectory.appendingPathComponent(name)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test(arguments: ["sluice", "sluice-agent"])
    func versionAndHelp(executable: String) throws {
        let version = try Self.run(executable, ["--version"])
        #expect(version.status == 0)
        #expect(version.output.trimmingCharacters(in: .whitespacesAndNewlines) == SluiceVersion.current)

        let help = try Self.run(executable, ["--help"])
        #expect(help.status == 0)
        #expect(help.output.contains("USAGE: \(executable)"))

        let unknown = try Self.run(executable, ["--no-such-flag"])
        #expect(unknown.status != 0)
        #expect(unknown.output.contains("no-such-flag"))
    }
}
