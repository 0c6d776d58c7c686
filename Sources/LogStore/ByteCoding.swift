import CommitLog

/// Part files' fields (`StoredFieldReader`), failing with `LogStoreError.corrupt`.
typealias FieldReader = StoredFieldReader<LogStoreError>

extension StoredFieldReader where Failure == LogStoreError {
    init(_ bytes: UnsafeRawBufferPointer, path: String, position: Int = 0) {
        self.init(bytes, position: position) { .corrupt(path: path, reason: $0) }
    }
}
