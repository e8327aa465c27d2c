import Foundation
import TransferscopeCore

/// Synthetic images of shapes and textures, any size, with a controllable domain shift: for
/// tests and for trying the tool with nothing installed.
///
/// Ten classes: five shapes (disc, square, triangle, cross, ring) and five textures (horizontal,
/// vertical and diagonal stripes, checkerboard, dots), each drawn at a random position, scale,
/// rotation and phase. `shift` in [0, 1] moves the domain: it lowers the contrast, inverts the
/// polarity half the time, adds a textured background, more pixel noise and a colour tint (for 3
/// channels), so that a source (shift 0) and a target (shift > 0) share the classes but not the
/// low-level statistics.
public struct ProceduralDataset: Sendable {
    /// All ten class names, shapes then textures; a dataset of k classes uses the first k.
    public static let classNames = [
        "disc", "square", "triangle", "cross", "ring", "h-stripes", "v-stripes", "d-stripes", "checker", "dots",
    ]

    /// The side of the square images, in pixels (>= 8; default 28).
    public var side: Int
    /// C: 1 (gray, the default) or 3 (RGB, with a colour tint when shifted).
    public var channels: Int
    /// Number of classes, 2...10: the first `classes` of `classNames`.
    public var classes: Int
    /// Domain shift in [0, 1] (clamped): 0 is the source domain, larger values move further from it.
    public var shift: Double
    /// Seed of every draw; image i depends only on (seed, i).
    public var seed: UInt64

    /// A generator; traps unless 2...10 classes, side >= 8 and 1 or 3 channels. `shift` is clamped to [0, 1].
    public init(side: Int = 28, channels: Int = 1, classes: Int = 10, shift: Double = 0, seed: UInt64 = 0) {
        precondition((2...10).contains(classes), "ProceduralDataset: 2...10 classes, got \(classes)")
        precondition(side >= 8 && (channels == 1 || channels == 3), "ProceduralDataset: side >= 8 and 1 or 3 channels")
        self.side = side
        self.channels = channels
        self.classes = classes
        self.shift = min(1, max(0, shift))
        self.seed = seed
    }

    /// `count` images, labels cycling through the classes; image i depends only on (seed, i).
    public func generate(count: Int, offset: Int = 0, name: String = "procedural") -> ImageDataset {
        let size = side * side * channels
        let pixels = SlotArray<[UInt8]>(count: count, initial: [])
        Parallel.forEachShare(of: count) { _, range in
            for i in range {
                var generator = RandomGenerator(seed: seed).derived(.proceduralImage(offset + i))
                pixels[i] = render(label: (offset + i) % classes, generator: &generator)
            }
        }
        var flat = [UInt8]()
        flat.reserveCapacity(count * size)
        for image in pixels.values { flat += image }
        return ImageDataset(
            name: name, height: side, width: side, channels: channels, pixels: flat,
            labels: (0..<count).map { ($0 + offset) % classes }, classNames: Array(Self.classNames.prefix(classes)))
    }

    /// Train and test splits of the given sizes (disjoint sample streams).
    public func splits(train: Int, test: Int, name: String = "procedural") -> DatasetSplits {
        DatasetSplits(
            train: generate(count: train, name: name),
            test: generate(count: test, offset: 1 << 40, name: name))
    }

    /// One image of class `label`.
    func render(label: Int, generator: inout RandomGenerator) -> [UInt8] {
        let s = Double(side)
        let centreX = s * (0.35 + 0.3 * generator.nextUniform())
        let centreY = s * (0.35 + 0.3 * generator.nextUniform())
        let radius = s * (0.22 + 0.12 * generator.nextUniform())
        let angle = (generator.nextUniform() - 0.5) * (0.5 + shift) * .pi / 2
        let period = s * (0.16 + 0.08 * generator.nextUniform())
        let phase = generator.nextUniform() * 2 * .pi
        let contrast = 1 - 0.55 * shift * generator.nextUniform()
        let inverted = generator.nextUniform() < shift * 0.5
        let noise = 0.04 + 0.18 * shift
        let backgroundPeriod = s * (0.3 + 0.4 * generator.nextUniform())
        let tint = (0..<3).map { _ in 1 - shift * 0.6 * generator.nextUniform() }
        let (cosA, sinA) = (cos(angle), sin(angle))
        var image = [UInt8](repeating: 0, count: side * side * channels)
        for y in 0..<side {
            for x in 0..<side {
                // Coordinates relative to the centre, rotated, in units of the radius.
                let dx = Double(x) + 0.5 - centreX
                let dy = Double(y) + 0.5 - centreY
                let u = (cosA * dx + sinA * dy) / radius
                let v = (-sinA * dx + cosA * dy) / radius
                let ink = Self.ink(
                    label: label, u: u, v: v, x: Double(x), y: Double(y), period: period, phase: phase, angle: angle)
                let background =
                    shift * 0.25 * (1 + sin(2 * .pi * (Double(x) + Double(y) * 0.5) / backgroundPeriod)) / 2
                var value = background + (ink ? contrast * (1 - background) : 0)
                if inverted { value = 1 - value }
                for c in 0..<channels {
                    let noisy = value * (channels == 3 ? tint[c] : 1) + noise * generator.nextNormal()
                    image[(y * side + x) * channels + c] = UInt8(max(0, min(255, (noisy * 255).rounded())))
                }
            }
        }
        return image
    }

    /// Whether the pixel at shape coordinates (u, v) / image coordinates (x, y) is drawn.
    static func ink(
        label: Int, u: Double, v: Double, x: Double, y: Double, period: Double, phase: Double, angle: Double
    ) -> Bool {
        let r = (u * u + v * v).squareRoot()
        let wave = { (t: Double) in sin(2 * .pi * t / period + phase) > 0 }
        switch label {
        case 0: return r <= 1
        case 1: return abs(u) <= 0.8 && abs(v) <= 0.8
        case 2: return v <= 0.7 && v >= -0.9 + 1.6 * abs(u) * 1.15
        case 3: return (abs(u) <= 0.25 && abs(v) <= 1) || (abs(v) <= 0.25 && abs(u) <= 1)
        case 4: return r <= 1 && r >= 0.6
        case 5: return wave(y + angle * 3)
        case 6: return wave(x + angle * 3)
        case 7: return wave((x + y) / 1.414)
        case 8: return wave(x) != wave(y)
        default:
            let cellX = (x / period).rounded(.down)
            let cellY = (y / period).rounded(.down)
            let fx = x / period - cellX - 0.5
            let fy = y / period - cellY - 0.5
            return fx * fx + fy * fy < 0.09
        }
    }
}
