import Glibc
import Hummingbird
import SluiceModel

/// The web UI: `GET /` is `index.html`, `GET /ui/<path>` a file of the UI folder. The files
/// are read on each request (they are small, and a folder named by `ui.directory` can be
/// edited while the appliance runs); a path that climbs out of the folder is refused.
/// Also the dashboards the UI renders: `GET /api/sluice/v1/dashboards` (the list) and
/// `GET /api/sluice/v1/dashboards/<name>` (one definition, checked).
struct UIRoutes: Sendable {
    let directory: String?
    let dashboards: DashboardCatalog

    func register(on router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in try serve("index.html") }
        router.get("/ui/**") { _, context in
            try serve(context.parameters.getCatchAll().joined(separator: "/"))
        }
        router.get("/api/sluice/v1/dashboards") { _, _ in
            var writer = JSONWriter(capacity: 1024)
            writer.raw("{\"status\":\"success\",\"data\":[")
            for (index, entry) in dashboards.list().enumerated() {
                if index > 0 { writer.raw(",") }
                writer.raw("{\"name\":")
                writer.string(entry.name)
                writer.raw(",\"title\":")
                writer.string(entry.title)
                writer.raw(",\"description\":")
                writer.string(entry.description)
                if let problem = entry.problem {
                    writer.raw(",\"error\":")
                    writer.string(problem)
                }
                writer.raw("}")
            }
            writer.raw("]}")
            return LogsAPI.json(writer.bytes)
        }
        router.get("/api/sluice/v1/dashboards/:name") { _, context in
            let name = try context.parameters.require("name")
            let definition: [UInt8]?
            do { definition = try dashboards.definition(named: name) } catch { throw APIError.badData("\(error)") }
            guard let definition else {
                throw APIError(.notFound, "not_found", dashboards.directory == nil
                               ? "no dashboards folder is configured (ui.dashboards)" : "no dashboard named '\(name)'")
            }
            var body = Array("{\"status\":\"success\",\"data\":".utf8)
            body.append(contentsOf: definition)
            body.append(UInt8(ascii: "}"))
            return LogsAPI.json(body)
        }
    }

    private func serve(_ relativePath: String) throws -> Response {
        guard let directory else {
            throw APIError(.serviceUnavailable, "unavailable",
                           "the web UI's files were not found next to the executable or in the source tree; set ui.directory in the configuration")
        }
        let parts = relativePath.split(separator: "/", omittingEmptySubsequences: true)
        guard !parts.isEmpty, !parts.contains(where: { $0 == ".." || $0 == "." || $0.hasPrefix(".") }) else {
            throw APIError(.notFound, "not_found", "no UI file '\(relativePath)'")
        }
        let path = directory + "/" + parts.joined(separator: "/")
        guard !LocalFiles.isDirectory(path), let bytes = try? LocalFiles.read(path) else {
            throw APIError(.notFound, "not_found", "no UI file '\(relativePath)'")
        }
        return Response(status: .ok, headers: [.contentType: Self.contentType(of: path), .cacheControl: "no-cache"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func contentType(of path: String) -> String {
        let suffix = path.split(separator: ".").last.map { $0.lowercased() } ?? ""
        return switch suffix {
        case "html": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "json": "application/json"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "txt": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
    }

    /// Where the UI's files are when no folder is configured: the resource bundle SwiftPM
    /// puts next to the executable, else this source tree (a build run from its checkout).
    static func defaultDirectory(sourceFile: String = #filePath) -> String? {
        var candidates: [String] = []
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if length > 0 {
            let executable = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let slash = executable.lastIndex(of: "/") {
                candidates.append(String(executable[..<slash]) + "/Sluice_HTTPAPI.resources/UI")
            }
        }
        if let slash = sourceFile.lastIndex(of: "/") { candidates.append(String(sourceFile[..<slash]) + "/UI") }
        return candidates.first { LocalFiles.exists($0 + "/index.html") }
    }
}
