import CommitLog

/// Block files' fields (`StoredFieldReader`), failing with `MetricStoreError.corrupt`.
typealias FieldReader = StoredFieldReader<MetricStoreError>

extension StoredFieldReader where Failure == MetricStoreError {
    init(_ bytes: UnsafeRawBufferPointer, path: String, position: Int = 0) {
        self.init(bytes, position: position) { .corrupt(path: path, reason: $0) }
    }
}
