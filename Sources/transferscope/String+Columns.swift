/// Text in aligned columns.
extension String {
    /// The text followed by spaces up to `width` characters; a longer text is kept whole
    /// (`padding(toLength:)` would cut it, making e.g. two study nodes' ids look the same).
    func padded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
