/// A pixel value images are resampled in: 8-bit (rounded and clamped after resampling) or
/// float on the 0...255 scale (kept exact).
public protocol PixelValue: Sendable {
    /// The value nearest `value` that this type holds.
    init(resampled value: Double)
    /// The value as a Double on the 0...255 scale, for resampling arithmetic.
    var sampleValue: Double { get }
    /// ITU-R BT.601 luma of an RGB pixel.
    static func luma(red: Self, green: Self, blue: Self) -> Self
}

extension UInt8: PixelValue {
    /// `value` rounded to the nearest integer and clamped to 0...255.
    public init(resampled value: Double) { self = UInt8(Swift.min(255, Swift.max(0, value.rounded()))) }
    /// The byte as a Double, 0...255.
    public var sampleValue: Double { Double(self) }
    /// As PIL's `convert("L")`: integer weights, rounded.
    public static func luma(red: UInt8, green: UInt8, blue: UInt8) -> UInt8 {
        let (r, g, b): (Int, Int, Int) = (Int(red), Int(green), Int(blue))
        let weighted: Int = r * 299 + g * 587 + b * 114
        return UInt8((weighted + 500) / 1000)
    }
}

extension Float: PixelValue {
    /// `value` as a Float, neither rounded nor clamped.
    public init(resampled value: Double) { self = Float(value) }
    /// The value as a Double, unchanged.
    public var sampleValue: Double { Double(self) }
    /// 0.299 R + 0.587 G + 0.114 B (BT.601), not rounded.
    public static func luma(red: Float, green: Float, blue: Float) -> Float {
        0.299 * red + 0.587 * green + 0.114 * blue
    }
}
