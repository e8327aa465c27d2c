import ArgumentParser
import TransferscopeCore
import TransferscopeIO
import TransferscopeNN

/// Options that choose a ResNet architecture.
struct ArchitectureOptions: ParsableArguments {
    @Argument(help: "Architecture: \(ResNetConfiguration.knownNames.joined(separator: ", ")).")
    var architecture: String

    @Option(parsing: .unconditional, help: "Number of classes of the head.")
    var classes = 10

    @Option(parsing: .unconditional, help: "Input channels (1 for gray, 3 for RGB).")
    var inputChannels = 3

    @Option(
        parsing: .unconditional, help: "Comma-separated stage widths, e.g. 16,32,64 (CIFAR family) or 64,128,256,512.")
    var widths: CommaList<Int>?

    @Option(help: "Stem: small (3x3, stride 1, no max pool) or imagenet (7x7 stride 2 + max pool).")
    var stem: ResNetConfiguration.Stem?

    func validate() throws {
        _ = try configuration()
    }

    func configuration() throws -> ResNetConfiguration {
        try FlagCheck.require(widths, in: 1...Limits.width, "--widths")
        let parsedWidths = widths?.values
        try FlagCheck.require(classes, in: 2...Limits.classes, "--classes")
        try FlagCheck.require(inputChannels, in: 1...Limits.inputChannels, "--input-channels")
        guard ResNetConfiguration.knownNames.contains(architecture) else {
            throw ValidationError(
                "unknown architecture '\(architecture)'; known: "
                    + "\(ResNetConfiguration.knownNames.joined(separator: ", "))"
            )
        }
        guard
            let configuration = ResNetConfiguration.named(
                architecture, inputChannels: inputChannels, classes: classes, widths: parsedWidths, stem: stem)
        else {
            throw ValidationError(
                "--widths for \(architecture) needs "
                    + "\(["resnet18", "resnet34", "resnet50"].contains(architecture) ? 4 : 3) values (one per stage), "
                    + "got '\(widths?.defaultValueDescription ?? "")'"
            )
        }
        do { try configuration.validate() } catch { throw ValidationError(error.localizedDescription) }
        return configuration
    }
}
