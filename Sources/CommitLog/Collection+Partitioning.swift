extension RandomAccessCollection {
    /// Binary search: the first index whose element satisfies `predicate`, given that the
    /// collection is partitioned (every element failing it comes before every one passing).
    func partitioningIndex(where predicate: (Element) -> Bool) -> Index {
        var low = startIndex
        var count = self.count
        while count > 0 {
            let half = count / 2
            let middle = index(low, offsetBy: half)
            if predicate(self[middle]) {
                count = half
            } else {
                low = index(after: middle)
                count -= half + 1
            }
        }
        return low
    }
}
